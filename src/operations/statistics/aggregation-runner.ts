// Runs aggregations in the background, one at a time per farm (the service's rule), and
// sweeps expired results. Start answers at once; the work goes on here.
import type { AggregationQuery, AggregationStore } from '../../store/aggregation-store.js';

export interface RunnerLimits {
  maxRows: number;
  timeoutMs: number;
}

export class AggregationRunner {
  private readonly running = new Map<string, string>();
  private readonly finished = new Set<Promise<void>>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly store: AggregationStore,
    private readonly limits: RunnerLimits,
    private readonly log: (line: string) => void,
  ) {}

  /** The aggregation still running in this farm, if any. */
  runningIn(farmId: string): string | undefined {
    return this.running.get(farmId);
  }

  /** Starts `buildQuery()`'s aggregation in the background; failures end it FAILED with a reason. */
  start(farmId: string, aggregationId: string, buildQuery: () => AggregationQuery): void {
    this.running.set(farmId, aggregationId);
    const work = (async () => {
      try {
        await this.store.runAggregation(aggregationId, buildQuery(), this.limits);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        this.log(`aggregation ${aggregationId} failed: ${err instanceof Error ? err.stack : why}`);
        await this.store.failAggregation(aggregationId, `The aggregation failed: ${why}. Check the request; if it looks right, start it again.`).catch(() => undefined);
      } finally {
        this.running.delete(farmId);
      }
    })();
    this.finished.add(work);
    void work.finally(() => this.finished.delete(work));
  }

  startSweeping(now: () => number, everyMs = 60_000): void {
    this.sweeper = setInterval(() => {
      this.store.deleteExpiredAggregations(now()).catch((err) => this.log(`sweeping expired aggregations failed: ${String(err)}`));
    }, everyMs);
    this.sweeper.unref();
  }

  /** Waits for running aggregations (for a clean stop). */
  async drain(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.finished]);
  }
}
