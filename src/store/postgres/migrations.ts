// Creates or upgrades the PostgreSQL state's schema (schema.ts), once per database: every
// API server runs it at start-up, so two may run it at once. They take turns on a
// transaction-scoped advisory lock (released by the commit or by a dropped connection: a
// migration only, never a lease), and each upgrade is one transaction with its version, so a
// server stopped part way leaves the schema as it was.
import type { PgDatabase } from './connection.js';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';

/** The advisory lock key of migrations (advisory locks are per database): "farmtall" in ASCII. */
const MIGRATION_LOCK = 0x6661726d74616c6cn;

/** Brings the database's schema to SCHEMA_VERSION; answers the version it found (0: empty). */
export async function migrate(db: PgDatabase, log?: (message: string) => void): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock($1)`, [MIGRATION_LOCK.toString()]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_version (one boolean PRIMARY KEY DEFAULT true CHECK (one), version integer NOT NULL)`);
    const found = ((await tx.query<{ version: number }>(`SELECT version FROM schema_version`))[0]?.version ?? 0) as number;
    if (found > SCHEMA_VERSION) {
      throw new Error(
        `The PostgreSQL state at ${db.where} has schema version ${found}, newer than this farmtally's (${SCHEMA_VERSION}): a newer farmtally upgraded it. Run that version on this server too.`,
      );
    }
    for (const migration of MIGRATIONS.filter((m) => m.version > found)) {
      for (const statement of migration.statements) await tx.query(statement);
      log?.(`PostgreSQL state at ${db.where}: schema version ${migration.version} (${migration.what})`);
    }
    if (found < SCHEMA_VERSION) {
      await tx.query(`INSERT INTO schema_version (one, version) VALUES (true, $1) ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version`, [SCHEMA_VERSION]);
    }
    return found;
  });
}
