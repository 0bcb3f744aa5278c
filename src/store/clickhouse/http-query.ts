// One statement to one ClickHouse server over its HTTP interface, with Node's fetch.
// Chosen over @clickhouse/client for what the store needs here: the statement in the POST
// body, settings as URL parameters (max_query_size must be in force before the text is
// parsed, so it cannot travel in a SETTINGS clause), the body as text, and an error that
// carries the server's message; on 18.16 and current releases alike, with no client-side
// notion of formats or sessions to keep compatible with a 2018 server.

export interface HttpQueryOptions {
  settings?: Record<string, string | number>;
  /** Default database for unqualified names. */
  database?: string;
  signal?: AbortSignal;
}

export class ClickHouseError extends Error {
  constructor(
    message: string,
    /** The server's exception code (`Code: 279` is a shard that did not answer), when it gave one. */
    readonly code: number | undefined,
  ) {
    super(message);
    this.name = 'ClickHouseError';
  }
}

/** Runs `sql` on the server at `url` (http://host:port) and answers the response body; throws ClickHouseError on an error status. */
export async function httpQuery(url: string, sql: string, options: HttpQueryOptions = {}): Promise<string> {
  const params = new URLSearchParams();
  if (options.database) params.set('database', options.database);
  for (const [k, v] of Object.entries(options.settings ?? {})) params.set(k, String(v));
  let res: Response;
  try {
    res = await fetch(`${url.replace(/\/+$/, '')}/?${params}`, { method: 'POST', body: sql, signal: options.signal });
  } catch (err) {
    throw withCause(err);
  }
  const body = await res.text();
  if (!res.ok) {
    const code = /Code: (\d+)/.exec(body);
    throw new ClickHouseError(`ClickHouse at ${url} answered ${res.status}: ${body.trim().slice(0, 2000)}`, code ? Number(code[1]) : undefined);
  }
  return body;
}

/** fetch's own error says only "fetch failed": its cause (ECONNRESET, ECONNREFUSED, ...) is what tells a shard down from a connection cut. */
function withCause(err: unknown): unknown {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (!(err instanceof Error) || err.name === 'AbortError' || err.name === 'TimeoutError' || !cause) return err;
  return new Error(`${err.message} (${[cause.code, cause.message].filter(Boolean).join(': ')})`, { cause: err });
}
