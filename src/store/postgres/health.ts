// The PostgreSQL state's answer to GET /health, as the DuckDB store's: it never writes
// (anyone may call it, as often as they like), reads at most once a second (checks within a
// second share the last answer), and a read not answered within 5 s is the problem. A
// PostgreSQL that answers but is a read-only standby is a problem too: the state is written
// on every request that changes anything.
import { StorageFault, type StoreHealth } from '../store.js';
import type { PgDatabase } from './connection.js';
import { within } from '../health-wait.js';
import { SCHEMA_VERSION } from './schema.js';

const PROBE_EVERY_MS = 1_000;
const PROBE_WAIT_MS = 5_000;
/** SQLSTATE undefined_table: schema_version is missing, the database was never migrated. */
const UNDEFINED_TABLE = '42P01';

export function postgresHealth(db: PgDatabase, now: () => number = Date.now): () => Promise<StoreHealth> {
  let last: { at: number; health: StoreHealth } | undefined;
  let reading: { since: number; outcome: Promise<StoreHealth> } | undefined;
  const late: StoreHealth = { ok: false, problem: `PostgreSQL at ${db.where} did not answer a read within ${PROBE_WAIT_MS / 1000} s` };

  const read = (): Promise<StoreHealth> =>
    db
      .one<{ standby: boolean; version: number }>(`SELECT pg_is_in_recovery() AS standby, (SELECT version FROM schema_version) AS version`)
      .then(
        (r): StoreHealth =>
          r?.standby
            ? { ok: false, problem: `PostgreSQL at ${db.where} is a read-only standby; point the servers at the primary.` }
            : Number(r?.version ?? 0) < SCHEMA_VERSION
              ? { ok: false, problem: `the PostgreSQL state at ${db.where} has schema version ${r?.version ?? 0}, older than this farmtally's (${SCHEMA_VERSION}): run farmtally migrate.` }
              : { ok: true },
        (err): StoreHealth => ({ ok: false, problem: problemOf(err, db.where) }),
      )
      .then((health) => {
        last = { at: now(), health };
        reading = undefined;
        return health;
      });

  return async () => {
    const at = now();
    if (last && at - last.at < PROBE_EVERY_MS) return last.health;
    if (reading && at - reading.since >= PROBE_WAIT_MS) return late;
    reading ??= { since: at, outcome: read() };
    return within(reading.outcome, PROBE_WAIT_MS - (at - reading.since), late);
  };
}

function problemOf(err: unknown, where: string): string {
  if (err instanceof StorageFault) return err.message;
  if ((err as { code?: unknown }).code === UNDEFINED_TABLE) return `the PostgreSQL state at ${where} has no schema yet: run farmtally migrate.`;
  return `PostgreSQL at ${where} failed a read: ${err instanceof Error ? err.message : String(err)}`;
}
