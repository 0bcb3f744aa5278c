// Where a cluster batch's time goes: the store's own parts (ClusterIngest over ClusterState
// and Shards) wrapped so that every PostgreSQL step and every shard statement is timed, by
// kind, as intervals; a kind's time is the union of its intervals (the shards' inserts run
// in parallel, and count once).
import { Shards } from '../../src/store/clickhouse/shards.js';
import type { HttpQueryOptions } from '../../src/store/clickhouse/http-query.js';
import type { ClusterState, StateTx } from '../../src/store/cluster/cluster-state.js';

export class Timeline {
  private intervals: [kind: string, start: number, end: number][] = [];

  reset(): void {
    this.intervals = [];
  }

  add(kind: string, start: number, end: number): void {
    this.intervals.push([kind, start, end]);
  }

  async time<T>(kind: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.intervals.push([kind, start, performance.now()]);
    }
  }

  /** Milliseconds per kind (the union of its intervals), and of the kinds matching `all` together. */
  totals(): Map<string, number> {
    const kinds = new Map<string, [number, number][]>();
    for (const [kind, a, b] of this.intervals) kinds.set(kind, [...(kinds.get(kind) ?? []), [a, b]]);
    const out = new Map<string, number>();
    for (const [kind, spans] of kinds) out.set(kind, union(spans));
    return out;
  }

  /** The union of the intervals of the kinds `which` picks, in ms. */
  unionOf(which: (kind: string) => boolean): number {
    return union(this.intervals.filter(([k]) => which(k)).map(([, a, b]) => [a, b]));
  }
}

function union(spans: [number, number][]): number {
  const sorted = [...spans].sort((x, y) => x[0] - y[0]);
  let total = 0;
  let [start, end] = [-Infinity, -Infinity];
  for (const [a, b] of sorted) {
    if (a > end) {
      if (end > start) total += end - start;
      [start, end] = [a, b];
    } else end = Math.max(end, b);
  }
  if (end > start) total += end - start;
  return total;
}

/** The kind of a shard statement: the table an INSERT writes, `respans` for the jobs' spans, `read` for the rest. */
function kindOf(sql: string): string {
  const insert = /^INSERT INTO (\w+)/.exec(sql);
  if (insert) return `insert ${insert[1]}`;
  if (/GROUP BY job_id/.test(sql)) return 'respans';
  if (/^ALTER/.test(sql)) return 'mutation';
  return 'read';
}

export class TimedShards extends Shards {
  constructor(
    urls: readonly string[],
    database: string,
    private readonly timeline: Timeline,
  ) {
    super(urls, database);
  }

  override query(sql: string, options: HttpQueryOptions & { shard?: number; faults?: boolean } = {}): Promise<string> {
    return this.timeline.time(kindOf(sql), () => super.query(sql, options));
  }
}

/** The state with each step timed: `pg: <step>`, and `pg: commit` from the work's end to the transaction's. */
export function timedState(state: ClusterState, timeline: Timeline): ClusterState {
  const t = <A extends unknown[], R>(kind: string, f: (...args: A) => Promise<R>) => (...args: A) => timeline.time(kind, () => f(...args));
  return {
    farmIds: () => state.farmIds(),
    openBatches: t('pg: open batch', state.openBatches),
    abandonBatches: (seqs) => state.abandonBatches(seqs),
    async transaction(work) {
      let workEnd = 0;
      const result = await state.transaction(async (tx) => {
        const timed: StateTx = {
          lockFarm: t('pg: lock farm', tx.lockFarm),
          snapshot: t('pg: snapshot', tx.snapshot),
          missingParents: t('pg: parents', tx.missingParents),
          writeJobs: t('pg: jobs', tx.writeJobs),
          adjustSessionCounts: t('pg: counts', tx.adjustSessionCounts),
          deleteResource: tx.deleteResource,
          renameUserInResults: tx.renameUserInResults,
          publishBatches: t('pg: publish', tx.publishBatches),
        };
        const r = await work(timed);
        workEnd = performance.now();
        return r;
      });
      timeline.add('pg: commit', workEnd, performance.now());
      return result;
    },
  };
}
