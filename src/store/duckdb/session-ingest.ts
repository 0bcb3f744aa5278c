// Session ingest on DuckDB (being written: see the ingest work in progress).
import type { SessionStore } from '../store.js';
import type { Database } from './database.js';

export function duckDbSessionIngest(_db: Database): SessionStore {
  return {
    async ingestSessions() {
      throw new Error('session ingest is not written yet');
    },
  };
}
