// Everything a store holds that `farmtally copy` carries, read through the Store interface
// in one comparable shape (sorted by ID; what a copy makes anew left out: sessions' and jobs'
// write times), and one aggregation's rows: so tests can say two stores hold the same.
import { newId, type Session } from '../../src/domain/resources.js';
import { DEFAULT_RATE_CARD } from '../../src/domain/pricing.js';
import { parseTimezone, type TimeZone } from '../../src/domain/timezone.js';
import { aggregationQuery } from '../../src/operations/statistics/aggregation-query.js';
import { toStatistics } from '../../src/operations/statistics/statistics-output.js';
import type { Page, PageRequest, Store } from '../../src/store/store.js';
import type { RefRow } from '../reference/aggregate-reference.js';

async function all<T>(list: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let after: string | undefined;
  do {
    const page = await list({ limit: 500, after });
    items.push(...page.items);
    after = page.nextAfter;
  } while (after !== undefined);
  return items;
}

const by = <T>(key: (t: T) => string) => (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

export async function dumpStore(store: Store) {
  const farms = (await all((p) => store.listFarms(p))).sort(by((f) => f.farmId));
  const perFarm = [];
  for (const farm of farms) {
    const queues = (await all((p) => store.listQueues(farm.farmId, p))).sort(by((q) => q.queueId));
    const fleets = (await all((p) => store.listFleets(farm.farmId, p))).sort(by((f) => f.fleetId));
    const jobs = [];
    for (const q of queues) jobs.push(...(await all((p) => store.listJobs(farm.farmId, q.queueId, p))).map(({ createdAt: _c, updatedAt: _u, ...job }) => job));
    const sessions = (await all<Session>((p) => store.exportSessions(farm.farmId, p))).map(({ updatedAt: _u, ...s }) => s).sort(by((s) => s.sessionId));
    const budgets = (await all((p) => store.listBudgets(farm.farmId, p, { nowMs: Date.now() }))).sort(by((b) => b.budgetId));
    perFarm.push({ farm, queues, fleets, budgets, jobs: jobs.sort(by((j) => j.jobId)), sessions });
  }
  return perFarm;
}

/** A year's DAILY aggregation of the farm by queue, user and usage type (every statistic), as wire rows. */
export async function aggregateYear(store: Store, farmId: string, queueIds: string[]): Promise<RefRow[]> {
  const farm = (await store.getFarm(farmId))!;
  const aggregationId = newId('');
  const now = Date.now();
  const lease = { owner: 'copy-test', ttlMs: 600_000 };
  await store.startAggregation({ aggregationId, farmId, groupBy: ['QUEUE_ID', 'USER_ID', 'USAGE_TYPE'], statistics: ['SUM', 'MIN', 'MAX', 'AVG'], createdAt: now, expiresAt: now + 3_600_000 }, lease);
  const query = aggregationQuery({
    farm, resourceKind: 'queue', resourceIds: queueIds, startMs: Date.UTC(2025, 0, 1), endMs: Date.UTC(2026, 0, 1),
    zone: parseTimezone('UTC', false) as TimeZone, period: 'DAILY', groupBy: ['QUEUE_ID', 'USER_ID', 'USAGE_TYPE'], asOfMs: Date.UTC(2026, 0, 1), rateCard: DEFAULT_RATE_CARD,
  });
  const { record, rows } = await store.runAggregation(aggregationId, query, { maxRows: 1_000_000, timeoutMs: 120_000 }).finally(() => store.releaseFarmSlot(farmId, aggregationId));
  if (record.status !== 'COMPLETED') throw new Error(`the aggregation ended ${record.status}: ${record.statusMessage}`);
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(toStatistics(row, ['SUM', 'MIN', 'MAX', 'AVG']))) if (v !== undefined) out[k] = v instanceof Date ? v.toISOString() : v;
    return out as unknown as RefRow;
  });
}
