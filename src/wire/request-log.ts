// The server's log: JSON lines on stderr through Fastify's own logger (a pino instance),
// stdout being left to the one `farmtally listening on URL` line. Each request gets one
// line when its answer is sent: time, request ID, principal, operation, farm, status and
// duration. Never logged: headers (so no Authorization, signature or key), query strings
// (page tokens are harmless but long, and a query could carry anything), bodies (records).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { pino, type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel = 'info'): Logger {
  return pino(
    { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    // Synchronous: a line is out before the next request (or an exit) can overtake it.
    pino.destination({ dest: 2, sync: true }),
  );
}

/** What the request log says about who called what; filled in by the auth step and the route. */
export interface RequestFacts {
  principal?: string;
  operation?: string;
  farmId?: string;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** Path parameters the log never shows: a user ID (ForgetUser's is the very thing to forget). */
const UNLOGGED_PARAMS = ['userId'];

/**
 * The request's path for the log, without its query string; a route with a parameter the
 * log must not show is written from its template, that parameter as `{name}`.
 */
export function loggablePath(request: FastifyRequest): string {
  const path = (request.raw.url ?? request.url).split('?')[0]!;
  const params = (request.params ?? {}) as Record<string, unknown>;
  const template = request.routeOptions.url;
  if (!template || !UNLOGGED_PARAMS.some((name) => params[name] !== undefined)) return path;
  return template.replace(/:(\w+)/g, (_, name: string) => (UNLOGGED_PARAMS.includes(name) ? `{${name}}` : encodeURIComponent(String(params[name] ?? ''))));
}

/** One line per request, when its answer has been sent. */
export function logRequests(app: FastifyInstance, facts: (request: FastifyRequest) => RequestFacts): void {
  app.addHook('onResponse', async (request, reply) => {
    const known = facts(request);
    const params = request.params as Record<string, unknown> | undefined;
    const farmId = known.farmId ?? (typeof params?.farmId === 'string' ? params.farmId : undefined);
    const line = {
      method: request.method,
      path: clip(loggablePath(request), 256),
      principal: known.principal ?? null,
      operation: known.operation ?? null,
      farmId: farmId === undefined ? null : clip(farmId, 64),
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (reply.statusCode >= 500) request.log.error(line, 'request');
    else request.log.info(line, 'request');
  });
}
