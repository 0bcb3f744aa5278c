// Runs aggregations in the background, one at a time per farm (the service's rule), makes
// their results ready to serve (result-pages), and sweeps expired results. Start answers at
// once; the work goes on here. An aggregation is over for its callers once its outcome is
// known (the farm's slot is free, a held poll answers); the store then stores it, and a stop
// waits for that too.
import type { AggregationQuery, AggregationRecord, AggregationStore, Lease, NewAggregation } from '../../store/aggregation-store.js';
import { StorageFault } from '../../store/store.js';
import { throttling } from '../errors.js';
import type { JsonText } from '../json-text.js';
import { ResultPages } from './result-pages.js';

/** An aggregation's ID, as the farm's slot holds it (anything else holding it is an `exclusive` write). */
const AGGREGATION_ID = /^[0-9a-f]{32}$/;

/** Start's refusal while the farm's slot is held. */
function busy(farmId: string, heldBy: string) {
  if (!AGGREGATION_ID.test(heldBy)) return throttling(`Farm ${farmId} is busy: ${heldBy}. Start the aggregation again in a moment.`, 1);
  return throttling(`Aggregation ${heldBy} is still running for farm ${farmId}; a farm runs one at a time. Wait for it to finish (GetSessionsStatisticsAggregation) and start again.`, 1);
}

/** What an aggregation whose server stopped (or lost its lease) ends with. */
export const CUT_SHORT = 'The server running this aggregation stopped before it finished. Start it again.';

export interface RunnerLimits {
  maxRows: number;
  timeoutMs: number;
}

export class AggregationRunner {
  /** aggregationId → its background work while it runs: `ended` once its outcome is known, `work` once it is stored too. */
  private readonly inFlight = new Map<string, { farmId: string; ended: Promise<void>; work: Promise<void> }>();
  private readonly pages: ResultPages;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly store: AggregationStore,
    private readonly limits: RunnerLimits,
    private readonly log: (line: string) => void,
    /** This server's claims: its ID, and how long they last unrenewed (the heartbeat renews them at a third of that). */
    private readonly lease: Lease,
  ) {
    this.pages = new ResultPages((id, offset, limit) => store.readAggregationRows(id, offset, limit));
  }

  /**
   * Inserts the aggregation's record and takes the farm's slot for it, in one step of the
   * store's (every server sharing the store sees one aggregation per farm), or throws
   * ThrottlingException saying what holds the slot.
   */
  async begin(record: NewAggregation): Promise<void> {
    const claim = await this.store.startAggregation(record, this.lease);
    if ('heldBy' in claim) throw busy(record.farmId, claim.heldBy);
  }

  /**
   * Runs `work` while no aggregation of the farm runs or is being stored, for a write that
   * changes the farm's stored results (a user given a pseudonym): takes the farm's slot
   * (ThrottlingException while an aggregation holds it; Starts meanwhile are throttled,
   * `what` saying why), waits for the farm's results still being stored, and afterwards drops
   * the farm's results held ready, so their pages are read again from the store.
   */
  async exclusive<T>(farmId: string, what: string, work: () => Promise<T>): Promise<T> {
    const claim = await this.store.claimFarmSlot(farmId, what, this.lease);
    if ('heldBy' in claim) {
      const who = AGGREGATION_ID.test(claim.heldBy) ? `aggregation ${claim.heldBy} is running` : claim.heldBy;
      throw throttling(`Farm ${farmId} is busy (${who}); ${what} waits until it is not. Send the request again in a moment.`, 1);
    }
    try {
      await Promise.all([...this.inFlight.values()].filter((f) => f.farmId === farmId).map((f) => f.work));
      return await work();
    } finally {
      this.pages.forgetFarm(farmId);
      await this.release(farmId, what);
    }
  }

  private async release(farmId: string, holder: string): Promise<void> {
    await this.store.releaseFarmSlot(farmId, holder).catch((err) => this.log(`freeing farm ${farmId}'s slot failed (it frees itself when its lease expires): ${String(err)}`));
  }

  /** Runs a begun aggregation in the background; any failure ends it FAILED with the reason. */
  start(farmId: string, aggregationId: string, buildQuery: () => AggregationQuery): void {
    let ended!: () => void;
    const outcomeKnown = new Promise<void>((resolve) => (ended = resolve));
    const work = (async () => {
      try {
        const outcome = await this.store.runAggregation(aggregationId, buildQuery(), this.limits);
        if (outcome.record.status === 'COMPLETED') this.pages.add(outcome.record, outcome.rows);
        await this.release(farmId, aggregationId);
        ended();
        await outcome.stored;
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        this.log(`aggregation ${aggregationId} failed: ${err instanceof Error ? err.stack : why}`);
        // A storage fault (a shard or PostgreSQL out of reach) already says what to do, and
        // the request was not at fault: "check the request" after it would mislead.
        const advice = err instanceof StorageFault ? '' : ' Check the request; if it looks right, start it again.';
        await this.store.failAggregation(aggregationId, `The aggregation failed: ${why.replace(/\.+$/, '')}.${advice}`).catch(() => undefined);
      } finally {
        await this.release(farmId, aggregationId);
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
   * Keeps this server's leases renewed (at a third of their length), ends FAILED the
   * aggregations whose server's lease expired, and deletes expired results: now (what a
   * previous run left), then every minute, or more often when results or leases last less
   * than that (at least every second): a result outlives its expiry by at most one interval.
   */
  startSweeping(now: () => number, ttlMs: number): void {
    const renew = () => this.store.renewLeases(this.lease.owner, this.lease.ttlMs).catch((err) => this.log(`renewing this server's leases failed: ${String(err)}`));
    const sweep = async () => {
      await this.store.failExpiredAggregations(CUT_SHORT).catch((err) => this.log(`failing aggregations whose server stopped failed: ${String(err)}`));
      await this.store.deleteExpiredAggregations(now()).catch((err) => this.log(`sweeping expired aggregations failed: ${String(err)}`));
    };
    void sweep();
    this.timers = [setInterval(renew, Math.max(100, this.lease.ttlMs / 3)), setInterval(sweep, Math.min(60_000, Math.max(1_000, Math.min(ttlMs, this.lease.ttlMs))))];
    for (const timer of this.timers) timer.unref();
  }

  /** Waits for running aggregations and the storing of their outcomes (for a clean stop; each is bounded by the timeout). */
  async drain(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await Promise.all([...this.inFlight.values()].map((running) => running.work));
  }
}
