// A farm's sessions in pages (Store.exportSessions), keyed by seq: the order sessions were
// first written, kept when a session is updated in place. seq rises through the table, so
// each page skips the row groups before its key (zone maps) instead of sorting the farm.
import type { Session } from '../../domain/resources.js';
import type { Page, PageRequest } from '../store.js';
import type { Sql } from './connections.js';
import { SESSION_COLUMN_LIST, toSession } from './session-columns.js';

export async function exportSessions(db: Sql, farmId: string, req: PageRequest): Promise<Page<Session>> {
  const after = req.after === undefined ? -1n : BigInt(req.after);
  const rows = await db.all(`SELECT seq, ${SESSION_COLUMN_LIST} FROM sessions WHERE farm_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, [farmId, after, req.limit + 1]);
  const kept = rows.slice(0, req.limit);
  const last = kept[kept.length - 1];
  return { items: kept.map(toSession), nextAfter: rows.length > req.limit && last ? String(last.seq) : undefined };
}
