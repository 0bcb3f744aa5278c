// The secret that signs page tokens, the same for every API server sharing this database
// (a token one server gave out must read on any other): created once, by whichever server
// asks first, and never changed. Remembered once read: it cannot change afterwards.
import { randomBytes } from 'node:crypto';
import type { PgDatabase } from './connection.js';

const KEY = 'server-secret';

export function postgresServerSecret(db: PgDatabase): () => Promise<Buffer> {
  let known: Buffer | undefined;
  return async () => {
    if (!known) {
      // Insert a candidate unless one is there, then read what won: two servers asking at once agree.
      await db.query(`INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [KEY, randomBytes(32).toString('base64')]);
      const r = await db.one<{ value: string }>(`SELECT value FROM meta WHERE key = $1`, [KEY]);
      known = Buffer.from(r!.value, 'base64');
    }
    return Buffer.from(known);
  };
}
