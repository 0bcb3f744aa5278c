// What every server of a cluster sweeps, every half lease: batches whose server died before
// publishing them are abandoned; abandoned batches' rows are removed from the shards (asked
// again a minute later if some are still there), and a batch none of whose rows is left is
// `removed`, out of every snapshot's excluded list. Published and removed batches are history
// once no snapshot can need them: their rows in PostgreSQL are pruned once an hour old, below
// the batch counter as this server read it an hour before (a feed publishes hundreds of
// batches a second; the table would grow by millions of rows a day).
import type { Shards } from '../clickhouse/shards.js';
import type { PostgresState } from '../postgres/index.js';
import { batchRowsLeft, removeBatchRows } from './session-ingest.js';

/** How long published batches' rows stay in PostgreSQL (for an operator looking into a batch's counts). */
export const BATCH_HISTORY_MS = 3_600_000;
const REMOVAL_RETRY_MS = 60_000;

/** The counter readings a sweeper keeps: the newest one at least `keepMs` old is where pruning stops. */
export class CounterReadings {
  private readings: { at: number; seq: number }[] = [];

  constructor(private readonly keepMs: number) {}

  /** Records a reading; answers the number below which batches are old enough to prune (0: none yet). */
  read(at: number, seq: number): number {
    this.readings.push({ at, seq });
    const old = this.readings.filter((r) => r.at <= at - this.keepMs);
    if (old.length === 0) return 0;
    this.readings = this.readings.slice(old.length - 1);
    return old.at(-1)!.seq + 1;
  }
}

export function batchSweeper(state: PostgresState, shards: Shards, log: (line: string) => void, keepMs = BATCH_HISTORY_MS) {
  const removalAsked = new Map<number, number>();
  const counter = new CounterReadings(keepMs);
  return async function sweep(): Promise<void> {
    for (const { seq } of await state.expiredBatches()) {
      if (await state.abandonBatch(seq)) log(`ingest batch ${seq} was never published (its server stopped); its rows are being removed`);
    }
    for (const seq of await state.abandonedBatches()) {
      if ((await batchRowsLeft(shards, seq)) === 0) {
        await state.markRemoved(seq);
        removalAsked.delete(seq);
      } else if (Date.now() - (removalAsked.get(seq) ?? 0) >= REMOVAL_RETRY_MS) {
        await removeBatchRows(shards, seq);
        removalAsked.set(seq, Date.now());
      }
    }
    const below = counter.read(Date.now(), (await state.snapshot()).upTo);
    if (below > 0) await state.pruneBatches(below);
  };
}
