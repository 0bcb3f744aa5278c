// Group commit of small batches, the part both engines share (store/duckdb/session-writer.ts,
// store/cluster/session-ingest.ts): a farm's feed arrives as many small requests, and each
// engine's commit costs about the same for 1 record as for thousands, so the batches waiting
// when a turn comes are committed together, each keeping its own counts and batch ID.

/** A group's bounds: past them the rest waits for the next turn. */
export const MAX_GROUP_BATCHES = 256;
export const MAX_GROUP_RECORDS = 20_000;
/** Records waiting at most: past them a batch is refused at once (ThrottlingException), so memory stays bounded under a flood. */
export const MAX_WAITING_RECORDS = 200_000;

/** Takes from the front of `queue` the batches one group commits: the first, then as many as the bounds allow. */
export function takeGroup<T extends { records: readonly unknown[] }>(queue: T[]): T[] {
  const group: T[] = [];
  let records = 0;
  while (queue.length && group.length < MAX_GROUP_BATCHES && (group.length === 0 || records + queue[0]!.records.length <= MAX_GROUP_RECORDS)) {
    const next = queue.shift()!;
    records += next.records.length;
    group.push(next);
  }
  return group;
}
