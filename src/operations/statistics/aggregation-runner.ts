// Runs aggregations in the background, one at a time per farm (the service's rule), makes
// their results ready to serve (result-pages), and sweeps expired results. Start answers at
// once; the work goes on here. An aggregation is over for its callers once its outcome is
// known (the farm's slot is free, a held poll answers); the store then stores it, and a stop
// waits for that too.
import type { AggregationQuery, AggregationRecord, AggregationStore } from '../../store/aggregation-store.js';
import { throttling } from '../errors.js';
import type { JsonText } from '../json-text.js';
import { ResultPages } from './result-pages.js';

/** An aggregation's ID, as the farm's slot holds it (anything else holding it is an `exclusive` write). */
const AGGREGATION_ID = /^[0-9a-f]{32}$/;

export interface RunnerLimits {
  maxRows: number;
  timeoutMs: number;
}

export class AggregationRunner {
  /** farmId → the aggregation holding the farm's one slot (or what else holds it: `exclusive`). */
  private readonly running = new Map<string, string>();
  /** aggregationId → its background work while it runs: `ended` once its outcome is known, `work` once it is stored too. */
  private readonly inFlight = new Map<string, { farmId: string; ended: Promise<void>; work: Promise<void> }>();
  private readonly pages: ResultPages;
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly store: AggregationStore,
    private readonly limits: RunnerLimits,
    private readonly log: (line: string) => void,
  ) {
    this.pages = new ResultPages((id, offset, limit) => store.readAggregationRows(id, offset, limit));
  }

  /**
   * Takes the farm's slot for `aggregationId`, or throws ThrottlingException while another
   * holds it. Synchronous on purpose: concurrent Starts cannot both pass the check.
   */
  reserve(farmId: string, aggregationId: string): void {
    const holder = this.running.get(farmId);
    if (holder && !AGGREGATION_ID.test(holder)) throw throttling(`Farm ${farmId} is busy: ${holder}. Start the aggregation again in a moment.`, 1);
    if (holder) {
      throw throttling(`Aggregation ${holder} is still running for farm ${farmId}; a farm runs one at a time. Wait for it to finish (GetSessionsStatisticsAggregation) and start again.`, 1);
    }
    this.running.set(farmId, aggregationId);
  }

  /**
   * Runs `work` while no aggregation of the farm runs or is being stored, for a write that
   * changes the farm's stored results (a user given a pseudonym): takes the farm's slot
   * (ThrottlingException while an aggregation holds it; Starts meanwhile are throttled,
   * `what` saying why), waits for the farm's results still being stored, and afterwards drops
   * the farm's results held ready, so their pages are read again from the store.
   */
  async exclusive<T>(farmId: string, what: string, work: () => Promise<T>): Promise<T> {
    const holder = this.running.get(farmId);
    if (holder) {
      const who = AGGREGATION_ID.test(holder) ? `aggregation ${holder} is running` : holder;
      throw throttling(`Farm ${farmId} is busy (${who}); ${what} waits until it is not. Send the request again in a moment.`, 1);
    }
    this.running.set(farmId, what);
    try {
      await Promise.all([...this.inFlight.values()].filter((f) => f.farmId === farmId).map((f) => f.work));
      return await work();
    } finally {
      this.pages.forgetFarm(farmId);
      this.release(farmId, what);
    }
  }

  release(farmId: string, aggregationId: string): void {
    if (this.running.get(farmId) === aggregationId) this.running.delete(farmId);
  }

  /** Runs a reserved aggregation in the background; any failure ends it FAILED with the reason. */
  start(farmId: string, aggregationId: string, buildQuery: () => AggregationQuery): void {
    let ended!: () => void;
    const outcomeKnown = new Promise<void>((resolve) => (ended = resolve));
    const work = (async () => {
      try {
        const outcome = await this.store.runAggregation(aggregationId, buildQuery(), this.limits);
        if (outcome.record.status === 'COMPLETED') this.pages.add(outcome.record, outcome.rows);
        this.release(farmId, aggregationId);
        ended();
        await outcome.stored;
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        this.log(`aggregation ${aggregationId} failed: ${err instanceof Error ? err.stack : why}`);
        await this.store.failAggregation(aggregationId, `The aggregation failed: ${why}. Check the request; if it looks right, start it again.`).catch(() => undefined);
      } finally {
        this.release(farmId, aggregationId);
        ended();
      }
    })();
    this.inFlight.set(aggregationId, { farmId, ended: outcomeKnown, work });
    void work.finally(() => this.inFlight.delete(aggregationId));
  }

  /** Resolves when the aggregation's outcome is known, or after `withinMs`, whichever is first. */
  async settled(aggregationId: string, withinMs: number): Promise<void> {
    const running = this.inFlight.get(aggregationId);
    if (!running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running.ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)))]);
    clearTimeout(timer);
  }

  /** Rows [offset, offset + limit) of a completed result, ready for the wire, and how many. */
  page(record: AggregationRecord, offset: number, limit: number): Promise<{ statistics: JsonText; count: number }> {
    return this.pages.page(record, offset, limit);
  }

  /**
   * Deletes expired aggregations and their result tables now (what a previous run left), then
   * every minute, or every `ttlMs` when results live shorter than that (at least every
   * second): a table outlives its results by at most one interval.
   */
  startSweeping(now: () => number, ttlMs: number): void {
    const sweep = () => this.store.deleteExpiredAggregations(now()).catch((err) => this.log(`sweeping expired aggregations failed: ${String(err)}`));
    void sweep();
    this.sweeper = setInterval(sweep, Math.min(60_000, Math.max(1_000, ttlMs)));
    this.sweeper.unref();
  }

  /** Waits for running aggregations and the storing of their outcomes (for a clean stop; each is bounded by the timeout). */
  async drain(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.inFlight.values()].map((running) => running.work));
  }
}
