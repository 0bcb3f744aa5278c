// Budgets' usage kept current (docs/DECISIONS.md, "Budget usage kept current"), and their
// actions: each budget's usage is a BudgetLedger (domain/budget-ledger.ts) built once from
// one reading of the store (its cost so far and its open sessions, at one version of the
// sessions) and then moved by every session change the store reports as it commits. A read
// costs no query while the ledger is at the store's version. Writes by another server of a
// cluster move the version past it: the next read asks the store what changed in between
// (one small read per farm, shared by its budgets) and moves the ledgers by that. A write
// whose changes cannot be said (a bulk merge or deletion on DuckDB, too many at once, rows
// gone) leaves the ledger behind, and the next read builds it again.
//
// When usage reaches an action's threshold, the budget's queueStoppedAt is set (its queue
// then reads SCHEDULING_BLOCKED) and an event is published once per (budget, window,
// threshold, limit); when a change leaves usage below every threshold, it is cleared.
// Crossings are looked for after each reported change and by a sweep every few seconds
// (running sessions cross thresholds with time alone).
import { sessionRamps, BudgetLedger } from '../../domain/budget-ledger.js';
import { budgetWindowAt, type BudgetWindow } from '../../domain/budget-window.js';
import { budgetThresholdEventId, type BudgetThresholdEvent } from '../../domain/budget-events.js';
import { hourlyRate, type RateCard } from '../../domain/pricing.js';
import type { UnpricedUsageRecord } from '../../domain/aggregation-rules.js';
import { budgetScope, budgetStatusAt, budgetTracksSession, type Budget, type Farm, type FleetKind } from '../../domain/resources.js';
import { UTC_ZONE } from '../../domain/timezone.js';
import type { BudgetBasis, SessionsChanged } from '../../store/budget-usage-store.js';
import type { Store } from '../../store/store.js';
import { aggregationQuery } from '../statistics/aggregation-query.js';

/**
 * Session changes remembered while a ledger is being built, to bring it up to date with the
 * commits that overlapped its reading (seconds of a busy feed); past this many, a build that
 * needs them is left behind and built again at its next read.
 */
const REMEMBERED_CHANGES = 100_000;
/** Past this many sessions changed since a ledger's version, building it again is the cheaper read. */
const CATCH_UP_CHANGES = 10_000;
const PAGE = 100;

interface TrackedBudget {
  /** What the ledger was built for: a budget changed in any of these is built again. */
  definition: string;
  ledger: BudgetLedger;
  version: string;
  budget: Budget;
  /** Thresholds already announced, by event ID. */
  announced: Set<string>;
}

interface TrackedFarm {
  costScaleFactor: number;
  fleetKinds: Map<string, FleetKind>;
  budgets: Map<string, TrackedBudget>;
}

export interface BudgetTrackerOptions {
  store: Store;
  rateCard: RateCard;
  /** How long one reading of the store may take (the aggregation timeout). */
  timeoutMs: number;
  now: () => number;
  /** Told each threshold crossing once (the notifier records, logs and delivers it). */
  publish: (events: BudgetThresholdEvent[]) => Promise<unknown>;
  log: (message: string) => void;
}

/** A recurring budget's current window is in it: at the turn of a period the ledger is built again, and its thresholds announced anew. */
const definitionOf = (b: Budget, window: BudgetWindow, farm: Pick<Farm, 'costScaleFactor'>) =>
  JSON.stringify([budgetScope(b), window.startsAt, window.endsAt, farm.costScaleFactor]);

export class BudgetTracker {
  private readonly farms = new Map<string, TrackedFarm>();
  /** Builds under way, by farm and budget: concurrent readers share one. */
  private readonly building = new Map<string, Promise<TrackedBudget>>();
  /** Reads of what changed between two versions under way, by farm and versions: the farm's budgets share one. */
  private readonly catchingUp = new Map<string, Promise<void>>();
  /** The commits since the oldest build under way began (none kept while nothing is built), and how many changes they list. */
  private recent: SessionsChanged[] = [];
  private recentChanges = 0;
  private readonly unsubscribe: () => void;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  /** Each budget's threshold work, one at a time (setting queueStoppedAt, publishing). */
  private readonly actions = new Map<string, Promise<void>>();

  constructor(private readonly o: BudgetTrackerOptions) {
    this.unsubscribe = o.store.onSessionsChanged((event) => this.applyChanges(event));
  }

  /** The budget's usage in USD at `nowMs` (the budget as just read from the store). */
  async usage(farm: Farm, budget: Budget, nowMs: number): Promise<number> {
    const tracked = await this.current(farm, budget, nowMs);
    return tracked.ledger.usageAt(nowMs);
  }

  /** Forgets what is held of a farm: after its budgets, farm or fleets change. */
  forget(farmId: string): void {
    this.farms.delete(farmId);
  }

  /** Starts looking for crossings every `everyMs` (and at once). */
  startSweeping(everyMs: number): void {
    const sweep = () => {
      this.sweeping ??= this.sweep().finally(() => (this.sweeping = undefined));
    };
    sweep();
    this.sweepTimer = setInterval(sweep, everyMs);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.sweepTimer);
    this.unsubscribe();
    await this.sweeping;
    await Promise.all(this.actions.values());
  }

  /** Every ACTIVE budget of every farm, at the store's version now, its thresholds checked; one that fails does not keep the others from it. */
  async sweep(): Promise<void> {
    const failed = (what: string, err: unknown) => this.o.log(`budget check of ${what} failed (tried again at the next check): ${err instanceof Error ? err.message : String(err)}`);
    try {
      for (let after: string | undefined, first = true; first || after; first = false) {
        const farms = await this.o.store.listFarms({ limit: PAGE, after });
        after = farms.nextAfter;
        for (const farm of farms.items) {
          const now = this.o.now();
          for (const budget of await this.activeBudgets(farm.farmId, now)) {
            try {
              this.check(farm.farmId, await this.current(farm, budget, now), now);
            } catch (err) {
              failed(`budget ${budget.budgetId}`, err);
            }
          }
        }
      }
    } catch (err) {
      failed('the farms', err);
    }
  }

  /** Waits for the threshold work started so far (a test's clock in its hands waits for it). */
  async settled(): Promise<void> {
    while (this.actions.size) await Promise.all(this.actions.values());
  }

  private async activeBudgets(farmId: string, nowMs: number): Promise<Budget[]> {
    const out: Budget[] = [];
    for (let after: string | undefined, first = true; first || after; first = false) {
      const page = await this.o.store.listBudgets(farmId, { limit: PAGE, after }, { status: 'ACTIVE', nowMs });
      out.push(...page.items);
      after = page.nextAfter;
    }
    return out;
  }

  /** The budget's ledger at the store's version now: moved there by what changed since, or built again. */
  private async current(farm: Farm, budget: Budget, nowMs: number): Promise<TrackedBudget> {
    const version = await this.o.store.sessionsVersion();
    const held = this.farms.get(farm.farmId)?.budgets.get(budget.budgetId);
    const window = budgetWindowAt(budget, nowMs);
    const definition = definitionOf(budget, window, farm);
    if (held && held.definition === definition && held.version !== version) await this.catchUp(farm.farmId, held.version, version);
    if (held && held.definition === definition && held.version === version) {
      this.hold(held, farm.farmId, budget);
      return held;
    }
    const key = `${farm.farmId}/${budget.budgetId}/${definition}`;
    let build = this.building.get(key);
    if (!build) {
      build = this.build(farm, budget, window, definition, held?.definition === definition ? held.announced : new Set()).finally(() => {
        this.building.delete(key);
        if (this.building.size === 0) [this.recent, this.recentChanges] = [[], 0];
      });
      this.building.set(key, build);
    }
    const built = await build;
    this.hold(built, farm.farmId, budget);
    return built;
  }

  /** Keeps the budget as just read, but the queueStoppedAt this tracker is still writing. */
  private hold(tracked: TrackedBudget, farmId: string, budget: Budget): void {
    const writing = this.actions.has(`${farmId}/${budget.budgetId}`);
    tracked.budget = writing ? { ...budget, queueStoppedAt: tracked.budget.queueStoppedAt } : budget;
  }

  private async build(farm: Farm, budget: Budget, window: BudgetWindow, definition: string, announced: Set<string>): Promise<TrackedBudget> {
    const tracked = this.farms.get(farm.farmId) ?? { costScaleFactor: farm.costScaleFactor, fleetKinds: new Map(), budgets: new Map() };
    const asOfMs = this.o.now();
    // The cost so far is asked only once the window has begun: before it, usage is nothing yet.
    const costEndMs = Math.min(window.endsAt, asOfMs);
    const basis = await this.basis(farm, budget, window, costEndMs, asOfMs);
    const ledger = new BudgetLedger(window);
    // Read with the sessions: a fleet the open sessions name is known (fleets are never re-kinded).
    tracked.fleetKinds = await this.fleetKinds(farm.farmId);
    const price = this.pricing(tracked);
    for (const session of basis.open) ledger.add(sessionRamps(session, ledger.window, price), 1);
    // What the open sessions add by asOf is in the cost already: the rest of the cost is constant.
    ledger.addConstant(basis.costUsd - ledger.usageAt(asOfMs));
    const built: TrackedBudget = { definition, ledger, version: basis.version, budget, announced };
    // Changes committed while the reading was on its way back are in the log: apply them.
    for (const event of this.recent) if (event.from === built.version) this.applyTo(built, farm.farmId, tracked, event);
    if (!this.farms.has(farm.farmId)) this.farms.set(farm.farmId, tracked);
    this.farms.get(farm.farmId)!.budgets.set(budget.budgetId, built);
    return built;
  }

  /**
   * The statistics' cost query for what the budget tracks: its queue, its fleet (resourceKind
   * 'fleet'), or every queue of the farm (the store takes any number of IDs; the API's ten is
   * validation only), a user's budget grouped by USER_ID for the store to keep that user's
   * rows. A farm without queues has no sessions: nothing to read but the version, read before
   * the queues are listed (a queue created after it comes with a later version).
   */
  private async basis(farm: Farm, budget: Budget, window: BudgetWindow, costEndMs: number, asOfMs: number): Promise<BudgetBasis> {
    const scope = budgetScope(budget);
    const version = await this.o.store.sessionsVersion();
    const [resourceKind, resourceIds] =
      scope.kind === 'queue' ? (['queue', [scope.queueId]] as const)
      : scope.kind === 'fleet' ? (['fleet', [scope.fleetId]] as const)
      : (['queue', await this.queueIds(farm.farmId)] as const);
    if (resourceIds.length === 0) return { costUsd: 0, open: [], version };
    const query = aggregationQuery({
      farm,
      resourceKind,
      resourceIds: [...resourceIds],
      startMs: window.startsAt,
      endMs: costEndMs > window.startsAt ? costEndMs : window.startsAt + 1,
      zone: UTC_ZONE,
      groupBy: [scope.kind === 'user' ? 'USER_ID' : resourceKind === 'queue' ? 'QUEUE_ID' : 'FLEET_ID'],
      asOfMs,
      rateCard: this.o.rateCard,
    });
    return this.o.store.budgetBasis(query, this.o.timeoutMs, { cost: costEndMs > window.startsAt, ...(scope.kind === 'user' && { userId: scope.userId }) });
  }

  private async queueIds(farmId: string): Promise<string[]> {
    const ids: string[] = [];
    for (let after: string | undefined, first = true; first || after; first = false) {
      const page = await this.o.store.listQueues(farmId, { limit: PAGE, after });
      ids.push(...page.items.map((q) => q.queueId));
      after = page.nextAfter;
    }
    return ids;
  }

  private async fleetKinds(farmId: string): Promise<Map<string, FleetKind>> {
    const kinds = new Map<string, FleetKind>();
    for (let after: string | undefined, first = true; first || after; first = false) {
      const page = await this.o.store.listFleets(farmId, { limit: PAGE, after });
      for (const fleet of page.items) kinds.set(fleet.fleetId, fleet.kind);
      after = page.nextAfter;
    }
    return kinds;
  }

  /**
   * Moves every ledger of the farm held at `from` to `to` by what the store says changed in
   * between (one read for all of them); those it cannot move stay at `from`, to be built again.
   */
  private async catchUp(farmId: string, from: string, to: string): Promise<void> {
    const key = `${farmId}\n${from}\n${to}`;
    let reading = this.catchingUp.get(key);
    if (!reading) {
      reading = (async () => {
        const changes = await this.o.store.sessionChangesBetween(farmId, from, to, CATCH_UP_CHANGES).catch((err: unknown) => {
          this.o.log(`reading what changed in farm ${farmId}'s sessions failed (its budgets are read again instead): ${err instanceof Error ? err.message : String(err)}`);
          return undefined;
        });
        const farm = this.farms.get(farmId);
        if (!changes || !farm) return;
        const now = this.o.now();
        for (const tracked of farm.budgets.values()) {
          if (tracked.version !== from) continue;
          if (this.applyTo(tracked, farmId, farm, { from, to, changes })) this.check(farmId, tracked, now);
        }
      })().finally(() => this.catchingUp.delete(key));
      this.catchingUp.set(key, reading);
    }
    await reading;
  }

  /** A usage record's USD-per-hour rate as the statistics price it; throws UnknownFleet for a fleet not read yet. */
  private pricing(farm: TrackedFarm) {
    return (usage: UnpricedUsageRecord): number => {
      const fleetKind = farm.fleetKinds.get(usage.fleetId);
      if (fleetKind === undefined) throw new UnknownFleet();
      return hourlyRate(this.o.rateCard, { ...usage, fleetKind }).rate * farm.costScaleFactor;
    };
  }

  /** A store's committed write: each held ledger at its `from` version moves to `to`. */
  private applyChanges(event: SessionsChanged): void {
    if (this.building.size > 0) {
      this.recent.push(event);
      this.recentChanges += event.changes?.length ?? 0;
      while (this.recentChanges > REMEMBERED_CHANGES && this.recent.length) this.recentChanges -= this.recent.shift()!.changes?.length ?? 0;
    }
    const now = this.o.now();
    for (const [farmId, farm] of this.farms) {
      for (const tracked of farm.budgets.values()) {
        if (tracked.version !== event.from) continue;
        if (this.applyTo(tracked, farmId, farm, event)) this.check(farmId, tracked, now);
      }
    }
  }

  /** Moves one ledger by the event; answers whether it changed. A write whose changes are not listed leaves it behind (built again when next read). */
  private applyTo(tracked: TrackedBudget, farmId: string, farm: TrackedFarm, event: SessionsChanged): boolean {
    if (!event.changes) return false;
    const price = this.pricing(farm);
    const scope = budgetScope(tracked.budget);
    let moved = false;
    try {
      for (const change of event.changes) {
        if (change.farmId !== farmId) continue;
        for (const [session, sign] of [[change.before, -1], [change.after, 1]] as const) {
          if (!session || !budgetTracksSession(scope, session)) continue;
          tracked.ledger.add(sessionRamps(session, tracked.ledger.window, price), sign);
          moved = true;
        }
      }
    } catch (err) {
      if (err instanceof UnknownFleet) return false; // a fleet created since: built again when next read
      throw err;
    }
    tracked.version = event.to;
    return moved;
  }

  /** Sets or clears queueStoppedAt and publishes new crossings, one budget's work at a time. */
  private check(farmId: string, tracked: TrackedBudget, nowMs: number): void {
    const budget = tracked.budget;
    if (budgetStatusAt(budget, nowMs) !== 'ACTIVE') return;
    // A recurring budget's ledger of a period past: its next read builds the current one (and checks that).
    if (nowMs >= tracked.ledger.window.endsAt) return;
    const usage = tracked.ledger.usageAt(nowMs);
    const reached = budget.actions.filter((a) => usage >= (a.thresholdPercentage / 100) * budget.approximateDollarLimit);
    // Only a queue budget stops its queue: a fleet, user or farm budget's crossings are events alone (blocking is per queue).
    const scope = budgetScope(budget);
    const stop = reached.length > 0 && budget.queueStoppedAt === undefined && scope.kind === 'queue';
    const resume = reached.length === 0 && budget.queueStoppedAt !== undefined;
    const events: BudgetThresholdEvent[] = reached
      .map((action) => ({
        eventId: budgetThresholdEventId(budget.budgetId, tracked.ledger.window.startsAt, action.thresholdPercentage, budget.approximateDollarLimit),
        type: 'BUDGET_THRESHOLD_REACHED' as const,
        farmId,
        budgetId: budget.budgetId,
        budgetName: budget.displayName,
        scope: scope.kind,
        ...(scope.kind === 'queue' && { queueId: scope.queueId }),
        ...(scope.kind === 'fleet' && { fleetId: scope.fleetId }),
        ...(scope.kind === 'user' && { userId: scope.userId }),
        thresholdPercentage: action.thresholdPercentage,
        actionType: action.type,
        approximateDollarLimit: budget.approximateDollarLimit,
        approximateDollarUsage: usage,
        occurredAt: nowMs,
      }))
      .filter((e) => !tracked.announced.has(e.eventId));
    if (!stop && !resume && events.length === 0) return;
    // Marked before the work, so that the next check (a change a moment later) does not do it again.
    if (stop) budget.queueStoppedAt = nowMs;
    if (resume) budget.queueStoppedAt = undefined;
    for (const e of events) tracked.announced.add(e.eventId);
    const key = `${farmId}/${budget.budgetId}`;
    const work = (this.actions.get(key) ?? Promise.resolve())
      .then(async () => {
        if (stop || resume) await this.o.store.setBudgetQueueStopped(farmId, budget.budgetId, budget.queueStoppedAt);
        if (events.length) await this.o.publish(events);
      })
      .catch((err) => {
        // Not done: looked at again by the next sweep (the budget is read from the store again).
        for (const e of events) tracked.announced.delete(e.eventId);
        this.forget(farmId);
        this.o.log(`budget ${budget.budgetId}: acting on its thresholds failed (tried again at the next check): ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => {
        if (this.actions.get(key) === work) this.actions.delete(key);
      });
    this.actions.set(key, work);
  }
}

class UnknownFleet extends Error {}
