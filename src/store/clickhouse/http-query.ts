// One statement to one ClickHouse server over its HTTP interface, with Node's fetch.
// Chosen over @clickhouse/client for what the store needs here: the statement in the POST
// body, settings as URL parameters (max_query_size must be in force before the text is
// parsed, so it cannot travel in a SETTINGS clause), the body as text, and an error that
// carries the server's message; on 18.16 and current releases alike, with no client-side
// notion of formats or sessions to keep compatible with a 2018 server. Long lists of values
// (a batch's session IDs) travel as external tables (multipart, TabSeparated) rather than as
// SQL text: parsing an IN list of 125 000 literals took 2 s on 18.16, the same IDs as a
// table 0.05 s.

/** A table sent with the statement, which names it like any table (`x IN name`). */
export interface ExternalTable {
  name: string;
  /** Its columns, as `name Type, ...`. */
  structure: string;
  /** Its rows: each an array of values, written as TabSeparated. */
  rows: readonly (readonly (string | number)[])[];
}

export interface HttpQueryOptions {
  settings?: Record<string, string | number>;
  /** External tables; the statement then travels in the URL, so keep it short. */
  tables?: readonly ExternalTable[];
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
  let body: string | FormData = sql;
  if (options.tables?.length) {
    params.set('query', sql);
    body = new FormData();
    for (const table of options.tables) {
      params.set(`${table.name}_structure`, table.structure);
      body.append(table.name, new Blob([table.rows.map((row) => `${row.map(tsvValue).join('\t')}\n`).join('')]), table.name);
    }
  }
  let res: Response;
  try {
    // A connection of its own each time: ClickHouse closes an idle one after keep_alive_timeout
    // (3 s by default), and fetch reused such a one once its event loop had been busy that long
    // (parsing a large batch): the next insert failed with EPIPE, nothing written.
    res = await fetch(`${url.replace(/\/+$/, '')}/?${params}`, { method: 'POST', body, headers: { connection: 'close' }, signal: options.signal });
  } catch (err) {
    throw withCause(err);
  }
  const text = await res.text();
  if (!res.ok) {
    const code = /Code: (\d+)/.exec(text);
    throw new ClickHouseError(`ClickHouse at ${url} answered ${res.status}: ${text.trim().slice(0, 2000)}`, code ? Number(code[1]) : undefined);
  }
  return text;
}

/** A value as a TabSeparated field: backslash, tab and line breaks escaped. */
const tsvValue = (v: string | number): string => (typeof v === 'number' ? String(v) : v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'));

/** fetch's own error says only "fetch failed": its cause (ECONNRESET, ECONNREFUSED, ...) is what tells a shard down from a connection cut. */
function withCause(err: unknown): unknown {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (!(err instanceof Error) || err.name === 'AbortError' || err.name === 'TimeoutError' || !cause) return err;
  return new Error(`${err.message} (${[cause.code, cause.message].filter(Boolean).join(': ')})`, { cause: err });
}
