// Idempotent creates across servers: a client token is remembered per scope in PostgreSQL,
// so a retry that reaches another API server gets the same resource ID back. The first
// remembered wins; remembering it again changes nothing (as in the DuckDB store).
import type { ClientTokenStore } from '../store.js';
import type { PgDatabase } from './connection.js';

export function postgresClientTokens(db: PgDatabase): ClientTokenStore {
  return {
    async findClientToken(scope, token) {
      const r = await db.one<{ resource_id: string; fingerprint: string }>(`SELECT resource_id, fingerprint FROM client_tokens WHERE scope = $1 AND token = $2`, [scope, token]);
      return r && { resourceId: r.resource_id, fingerprint: r.fingerprint };
    },
    async rememberClientToken(scope, token, resourceId, fingerprint) {
      await db.query(`INSERT INTO client_tokens VALUES ($1, $2, $3, $4, $5) ON CONFLICT (scope, token) DO NOTHING`, [scope, token, resourceId, fingerprint, Date.now()]);
    },
  };
}
