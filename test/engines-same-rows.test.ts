// The same aggregation on the same data answers the same rows on both engines: one
// generated farm put into the embedded DuckDB store and into the cluster store, every
// period, fixed and IANA zones (those whose hourly buckets ClickHouse's own zone functions
// get wrong among them), running sessions, costs, up to seven group-by fields; the rows
// compared with each other field by field (floats to 1e-9 relative: sums run in another
// order). Each engine is also held to the independent reference by the store contract.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { GroupByField } from '../src/domain/aggregation-rules.js';
import type { Period } from '../src/domain/buckets.js';
import { newId } from '../src/domain/resources.js';
import { parseTimezone, type TimeZone } from '../src/domain/timezone.js';
import { aggregationQuery } from '../src/operations/statistics/aggregation-query.js';
import type { AggregationRow } from '../src/store/aggregation-store.js';
import { migrateCluster, openClusterStore } from '../src/store/cluster/index.js';
import { openDuckDbStore } from '../src/store/duckdb/index.js';
import type { Store } from '../src/store/store.js';
import { generateFarm } from './reference/aggregate-reference.js';
import { close } from './support/same-rows.js';
import { clusterForTests, scratchCluster, type ScratchCluster } from './support/cluster.js';
import { storeGeneratedFarm } from './store-contract/aggregations.js';
import { tick } from './store-contract/fixtures.js';

const { urls, skip } = await clusterForTests();
// 100 random sessions beside the generator's fixed edge cases (boundaries in every zone, DST
// hours, running and zero-length sessions, missing rates), which are what the zones disagree
// on; 400 gave four times the rows to compare for no further kind of case.
const farm = generateFarm(4242, { sessions: 100 });
const ZONES = ['UTC', 'UTC+05:30', 'UTC-03:30', 'America/New_York', 'America/St_Johns', 'Australia/Lord_Howe', 'Pacific/Chatham'];
const PERIODS: (Period | undefined)[] = ['HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', undefined];
const GROUPS: GroupByField[][] = [
  ['QUEUE_ID', 'USAGE_TYPE'],
  ['JOB_ID'],
  ['USER_ID', 'LICENSE_PRODUCT'],
  ['FLEET_ID', 'INSTANCE_TYPE'],
  ['QUEUE_ID', 'FLEET_ID', 'JOB_ID', 'USER_ID', 'USAGE_TYPE', 'INSTANCE_TYPE', 'LICENSE_PRODUCT'],
];

async function rowsOf(store: Store, zone: string, period: Period | undefined, groupBy: GroupByField[], kind: 'queue' | 'fleet'): Promise<AggregationRow[]> {
  const aggregationId = newId('');
  const now = tick();
  assert.deepEqual(await store.startAggregation({ aggregationId, farmId: farm.farmId, groupBy, statistics: ['SUM', 'MIN', 'MAX'], createdAt: now, expiresAt: now + 3_600_000 }, { owner: 'test', ttlMs: 600_000 }), { claimed: true });
  try {
    const query = aggregationQuery({
      farm: { farmId: farm.farmId, costScaleFactor: farm.costScaleFactor },
      resourceKind: kind,
      resourceIds: kind === 'queue' ? farm.queues.map((q) => q.queueId) : farm.fleets.map((f) => f.fleetId),
      startMs: farm.spanStartMs,
      endMs: farm.spanEndMs,
      zone: parseTimezone(zone, false) as TimeZone,
      period,
      groupBy,
      asOfMs: farm.asOfMs,
      rateCard: farm.rateCard,
    });
    const { record, rows } = await store.runAggregation(aggregationId, query, { maxRows: 1_000_000, timeoutMs: 120_000 });
    assert.equal(record.status, 'COMPLETED', record.statusMessage);
    assert.deepEqual(await store.readAggregationRows(aggregationId, 0, rows.length + 1), rows);
    return rows;
  } finally {
    await store.releaseFarmSlot(farm.farmId, aggregationId);
  }
}

function assertSameEngineRows(duck: AggregationRow[], cluster: AggregationRow[], what: string): void {
  assert.equal(cluster.length, duck.length, `${what}: ${cluster.length} rows on the cluster, ${duck.length} on DuckDB`);
  duck.forEach((d, i) => {
    const c = cluster[i]!;
    const show = `${what}: row ${i}\n  duckdb:  ${JSON.stringify(d)}\n  cluster: ${JSON.stringify(c)}`;
    const { runtimeSeconds: dr, costUsd: dc, ...dRest } = d;
    const { runtimeSeconds: cr, costUsd: cc, ...cRest } = c;
    assert.deepEqual(cRest, dRest, show);
    for (const [x, y] of [[cr, dr], [cc, dc]] as const) for (const s of ['sum', 'min', 'max'] as const) assert.ok(close(x[s], y[s]), `${show}\n  ${s}`);
  });
}

describe('both engines answer the same rows', { skip }, () => {
  let scratch: ScratchCluster;
  let duck: Store;
  let cluster: Store;
  before(async () => {
    scratch = await scratchCluster(urls!);
    await migrateCluster(scratch);
    [duck, cluster] = await Promise.all([openDuckDbStore({ dataDir: ':memory:' }), openClusterStore(scratch)]);
    await Promise.all([storeGeneratedFarm(duck, farm), storeGeneratedFarm(cluster, farm)]);
  });
  after(async () => {
    await Promise.all([duck?.close(), cluster?.close()]);
    await scratch?.drop();
  });

  for (const zone of ZONES) {
    test(`every period in ${zone}`, async () => {
      for (const [i, period] of PERIODS.entries()) {
        const groupBy = GROUPS[(i + ZONES.indexOf(zone)) % GROUPS.length]!;
        const kind = i % 2 ? 'fleet' : 'queue';
        const what = `${period ?? 'one bucket'} in ${zone} by ${groupBy.join(',')} over ${kind}s`;
        const [d, c] = await Promise.all([rowsOf(duck, zone, period, groupBy, kind), rowsOf(cluster, zone, period, groupBy, kind)]);
        assert.ok(d.length > 0, what);
        assertSameEngineRows(d, c, what);
      }
    });
  }
});
