// Which PostgreSQL errors mean the state is out of reach rather than that a statement was
// wrong: the server refuses or drops connections, is shutting down or starting up, or the
// network is gone. Those become StorageFault('unavailable') with a message that names
// PostgreSQL and where it was looked for, so an operator knows what to fix and a client
// knows to retry; every other error passes through as it is.
import { StorageFault } from '../store.js';

/** Socket errors of a server that is down, unreachable, or dropped the connection. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);
/**
 * SQLSTATEs of a server going away or not taking connections: admin_shutdown (57P01, also a
 * terminated backend), crash_shutdown (57P02), cannot_connect_now (57P03: starting up or
 * shutting down), too_many_connections (53300); class 08 is connection exceptions.
 */
const SERVER_GONE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);
/** What node-postgres says, with no code, when a connection died or never came up. */
const CLIENT_GONE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|not queryable/i;

export function isUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_GONE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  return CLIENT_GONE.test(err.message);
}

/** The error's own words: a refused connection to a name with several addresses is an AggregateError with no message. */
function causeOf(err: Error): string {
  const inner = (err as { errors?: unknown[] }).errors?.find((e): e is Error => e instanceof Error);
  const code = (err as { code?: unknown }).code;
  return (err.message || inner?.message || (typeof code === 'string' ? code : '') || err.name).split('\n')[0]!.slice(0, 300);
}

/** `err` as the store throws it: a StorageFault when PostgreSQL is out of reach (at `where`, host:port), else unchanged. */
export function asFault(err: unknown, where: string): unknown {
  if (err instanceof StorageFault || !isUnreachable(err)) return err;
  return new StorageFault(
    'unavailable',
    `PostgreSQL unreachable at ${where} (${causeOf(err as Error)}); farmtally keeps the state its servers share there (farms, queues, fleets, jobs, aggregations), so this request could not be served. Check that PostgreSQL is running and that this server can reach it; retry in a few seconds.`,
  );
}

/** host:port of a postgres:// URL, for messages (never its user or password). */
export function whereOf(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || u.searchParams.get('host') || 'localhost';
    return `${host}:${u.port || u.searchParams.get('port') || '5432'}`;
  } catch {
    return 'the configured --state-url';
  }
}
