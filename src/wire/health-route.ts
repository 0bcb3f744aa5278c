// GET /health, for load balancers and supervisors: 200 only while the storage engine can
// read and write; 503 with the problem otherwise (a full disk, an engine reopening). Anyone
// may call it unsigned, so the check must be cheap (the store's answers from what it knows,
// never a write) and the route is rate-limited per client address (auth/access.ts).
import type { FastifyInstance } from 'fastify';

export type HealthCheck = () => Promise<{ ok: true } | { ok: false; problem: string }>;

export const HEALTH_ROUTE = '/health';

/** The route as 'METHOD /path' for the access hooks' public list (HEAD too: Fastify answers it for the GET, and a load balancer may ask so). */
export const HEALTH_PUBLIC_ROUTES = [`GET ${HEALTH_ROUTE}`, `HEAD ${HEALTH_ROUTE}`];

export function healthRoute(check: HealthCheck): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    app.get(HEALTH_ROUTE, async (_request, reply) => {
      const health = await check();
      reply.header('content-type', 'application/json').header('cache-control', 'no-store');
      if (health.ok) return JSON.stringify({ status: 'ok' });
      reply.code(503);
      return JSON.stringify({ status: 'unavailable', problem: health.problem });
    });
  };
}
