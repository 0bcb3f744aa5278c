// What changed in one farm's sessions between two snapshots of the cluster (Store
// sessionChangesBetween), read from the shards without an aggregation: a reader of another
// server's writes (the budget tracker) moves what it keeps by these instead of reading it
// all again (docs/DECISIONS.md, "Budget usage kept current").
//
// The batches visible in `to` and not in `from` are the delta. Every version they wrote was
// added, and every version their superseded marks name was removed (replaced or deleted):
// visible(to) = visible(from) + added - removed. Neither read needs the session's other
// versions, so each is a scan of the farm's batch columns, not the aggregation's join.
import type { SessionChange } from '../budget-usage-store.js';
import { identifier } from '../clickhouse/schema.js';
import type { Shards } from '../clickhouse/shards.js';
import { integer, stringLiteral } from '../clickhouse/sql-text.js';
import type { Snapshot } from './cluster-state.js';
import { fromSessionRow } from './session-rows.js';

/** A snapshot as a version (Store.sessionsVersion): it moves with every batch allocated, published or given up. */
export const snapshotVersion = (s: Snapshot): string => `${s.upTo}/${s.excluded.join(',')}`;

/** The snapshot a version names; undefined for text that is not one. */
export function snapshotOfVersion(version: string): Snapshot | undefined {
  const match = /^(\d+)\/((?:\d+(?:,\d+)*)?)$/.exec(version);
  if (!match) return undefined;
  return { upTo: Number(match[1]), excluded: match[2] ? match[2].split(',').map(Number) : [] };
}

/** The batches `to` shows and `from` does not, as a condition on a column of batch numbers; undefined when `to` is not later. */
export function deltaBatchesSql(column: string, from: Snapshot, to: Snapshot): string | undefined {
  if (to.upTo < from.upTo) return undefined;
  const hidden = new Set(to.excluded);
  const published = from.excluded.filter((seq) => !hidden.has(seq) && seq <= to.upTo);
  const list = (seqs: readonly number[]) => `(${[0, ...seqs].map(integer).join(', ')})`;
  const newer = `(${column} > ${integer(from.upTo)} AND ${column} <= ${integer(to.upTo)} AND ${column} NOT IN ${list(to.excluded)})`;
  return published.length ? `(${newer} OR ${column} IN ${list(published)})` : newer;
}

/**
 * The farm's sessions changed from `from` to `to`: each added version as `after`, each removed
 * one as `before` (unpaired: a reader adds the one and takes away the other). Undefined when
 * more than `limit` versions changed, or a removed version's row is no longer on its shard (a
 * user given a pseudonym has the old rows deleted once the new ones are published): the
 * reader reads again instead.
 */
export async function sessionChangesBetween(shards: Shards, farmId: string, from: Snapshot, to: Snapshot, limit: number): Promise<SessionChange[] | undefined> {
  const [added, marks] = [deltaBatchesSql('batch_seq', from, to), deltaBatchesSql('by_seq', from, to)];
  if (!added || !marks) return undefined;
  const farm = `farm_id = ${stringLiteral(farmId)}`;
  const local = `${identifier(shards.database)}.superseded_local`;
  const [after, before, [counted]] = await Promise.all([
    shards.rows(`SELECT * FROM sessions WHERE ${farm} AND ${added} LIMIT ${integer(limit + 1)}`),
    // A version and the marks that supersede it live on one shard: a non-GLOBAL IN reads each shard's own.
    shards.rows(`SELECT * FROM sessions WHERE ${farm} AND (session_id, batch_seq) IN (SELECT session_id, batch_seq FROM ${local} WHERE ${farm} AND ${marks}) LIMIT ${integer(limit + 1)}`),
    shards.rows(`SELECT uniqExact(session_id, batch_seq) AS n FROM superseded WHERE ${farm} AND ${marks}`),
  ]);
  if (after.length + before.length > limit || before.length !== Number(counted?.n ?? 0)) return undefined;
  return [...before.map((row) => ({ farmId, before: fromSessionRow(row) })), ...after.map((row) => ({ farmId, after: fromSessionRow(row) }))];
}
