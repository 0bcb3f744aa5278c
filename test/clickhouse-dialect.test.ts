// The ClickHouse aggregation SQL in the current dialect: chDB (ClickHouse in-process) runs
// the generated statement over the schema's local tables (plain MergeTree; chDB has no
// cluster), and every row must equal the independent reference's: every period, fixed
// offsets (half-hour ones too) and IANA zones with odd or half-hour changes, running
// sessions, every group-by field and combinations, costs, the batch snapshot rules and the
// row limit. The same SQL on a real 18.16 cluster: clickhouse-cluster-sql.test.ts.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Session } from 'chdb';
import type { GroupByField } from '../src/domain/aggregation-rules.js';
import type { Period } from '../src/domain/buckets.js';
import type { AggregationQuery } from '../src/store/aggregation-store.js';
import { aggregationOutput, missingRatesOutput } from '../src/store/clickhouse/aggregation-rows.js';
import { aggregationSql, missingRatesSql, type AggregationStatement, type BatchSnapshot, type FleetKinds } from '../src/store/clickhouse/aggregation-sql.js';
import { slotLookup } from '../src/store/clickhouse/bucket-index-sql.js';
import { localTablesDdl, TABLES } from '../src/store/clickhouse/schema.js';
import { generateFarm, type GeneratedFarm, type RefSession } from './reference/aggregate-reference.js';
import { assertMatchesReference, caseQuery, customerManaged, describeCase, sessionRow, type AggregationCase, type StoreAnswer } from './support/clickhouse-aggregation.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EVERYTHING: BatchSnapshot = { upTo: 1_000_000, excluded: [] };

const db = `ft_dialect_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const chdb = new Session();
const tables = { sessions: `${db}.${TABLES.sessionsLocal}`, superseded: `${db}.${TABLES.supersededLocal}` };

function insert(table: string, lines: string[]): void {
  if (lines.length) chdb.query(`INSERT INTO ${db}.${table} FORMAT JSONEachRow\n${lines.join('\n')}`);
}

function query(statement: AggregationStatement): string {
  for (const [k, v] of Object.entries(statement.settings)) chdb.query(`SET ${k} = ${v}`);
  return chdb.query(statement.sql, 'JSONEachRow');
}

function run(q: AggregationQuery, snapshot: BatchSnapshot, fleets: FleetKinds, maxRows = 1_000_000): StoreAnswer {
  return {
    output: aggregationOutput(query(aggregationSql(q, tables, snapshot, { maxRows }, fleets)), q, { maxRows }),
    missingRates: missingRatesOutput(query(missingRatesSql(q, tables, snapshot, fleets))),
  };
}

// Autumn 2024 (New York and St John's fall back, Lord Howe and Chatham spring forward) and
// spring 2025 (the other way round).
const autumn = generateFarm(1801, { sessions: 260 });
const spring = generateFarm(1802, { sessions: 260, startMs: Date.UTC(2025, 1, 20), days: 75 });

before(() => {
  chdb.query(`CREATE DATABASE ${db}`);
  for (const ddl of localTablesDdl(db)) chdb.query(ddl);
  for (const farm of [autumn, spring]) insert(TABLES.sessionsLocal, farm.sessions.map((s) => sessionRow(farm.farmId, s, 1)));
});

after(() => {
  chdb.query(`DROP DATABASE IF EXISTS ${db}`);
  chdb.cleanup();
});

function check(farm: GeneratedFarm, c: AggregationCase): number {
  const { query, expected } = caseQuery(farm, c);
  assertMatchesReference(run(query, EVERYTHING, customerManaged(farm)), expected, describeCase(c));
  return expected.rows.length;
}

const ALL: GroupByField[] = ['QUEUE_ID', 'FLEET_ID', 'JOB_ID', 'USER_ID', 'USAGE_TYPE', 'INSTANCE_TYPE', 'LICENSE_PRODUCT'];
/** Every field alone, pairs, larger sets in other orders, and all seven. */
const GROUPINGS: GroupByField[][] = [
  ...ALL.map((f) => [f]),
  ['QUEUE_ID', 'USAGE_TYPE'], ['LICENSE_PRODUCT', 'USER_ID'], ['INSTANCE_TYPE', 'FLEET_ID'], ['USAGE_TYPE', 'LICENSE_PRODUCT', 'INSTANCE_TYPE'],
  ['JOB_ID', 'USER_ID', 'QUEUE_ID', 'LICENSE_PRODUCT'], ['FLEET_ID', 'INSTANCE_TYPE', 'USAGE_TYPE', 'JOB_ID', 'USER_ID'],
  ['LICENSE_PRODUCT', 'INSTANCE_TYPE', 'USAGE_TYPE', 'USER_ID', 'JOB_ID', 'FLEET_ID'], ALL, [...ALL].reverse(),
];

describe('every period and zone, against the reference', () => {
  const ZONES = ['UTC', 'UTC+05:30', 'UTC-03:30', 'UTC+08:00', 'America/New_York', 'America/St_Johns', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Europe/London'];
  const PERIODS: (Period | undefined)[] = ['DAILY', 'WEEKLY', 'MONTHLY', undefined];
  let k = 0;
  for (const timezone of ZONES) {
    for (const period of PERIODS) {
      for (const farm of [autumn, spring]) {
        const c: AggregationCase = { timezone, period, groupBy: GROUPINGS[k++ % GROUPINGS.length]!, kind: k % 3 === 0 ? 'fleet' : 'queue' };
        test(`${farm === autumn ? 'autumn' : 'spring'}: ${describeCase(c)}`, () => assert.ok(check(farm, c) > 0));
      }
    }
  }
  // HOURLY over the days around each change (the reference checks every bucket for every record).
  const changes: [GeneratedFarm, string, number][] = [
    [autumn, 'America/New_York', Date.UTC(2024, 10, 3)], [autumn, 'America/St_Johns', Date.UTC(2024, 10, 3)],
    [autumn, 'Australia/Lord_Howe', Date.UTC(2024, 9, 5)], [autumn, 'Pacific/Chatham', Date.UTC(2024, 8, 28)],
    [spring, 'America/New_York', Date.UTC(2025, 2, 9)], [spring, 'America/St_Johns', Date.UTC(2025, 2, 9)],
    [spring, 'Australia/Lord_Howe', Date.UTC(2025, 3, 5)], [spring, 'Pacific/Chatham', Date.UTC(2025, 3, 5)],
    [autumn, 'UTC+05:30', Date.UTC(2024, 9, 1)], [spring, 'UTC-03:30', Date.UTC(2025, 2, 1)],
  ];
  for (const [farm, timezone, around] of changes) {
    // Odd range ends: buckets cut at both ends.
    const c: AggregationCase = { timezone, period: 'HOURLY', from: around - 2 * DAY + 17 * 60_000 + 5, to: around + 2 * DAY - 1234, groupBy: GROUPINGS[k++ % GROUPINGS.length]! };
    test(`HOURLY across a change: ${describeCase(c)}`, () => assert.ok(check(farm, c) > 0));
  }
  test('Lord_Howe HOURLY has half-hour buckets, found by a lookup with two corrections', () => {
    const { query } = caseQuery(autumn, { timezone: 'Australia/Lord_Howe', period: 'HOURLY', from: Date.UTC(2024, 9, 5, 14, 15), to: Date.UTC(2024, 9, 5, 17), groupBy: [] });
    assert.ok(query.boundaries.some((b, i) => i > 0 && b - query.boundaries[i - 1]! === HOUR / 2), 'a half-hour bucket');
    assert.deepEqual([slotLookup(query.boundaries).widthMs, slotLookup(query.boundaries).corrections], [HOUR, 2]);
  });
});

describe('running sessions, costs, resources and range ends', () => {
  const cases: [GeneratedFarm, AggregationCase][] = [
    // Start called mid-span: running sessions end there; finished ones after it still count.
    [autumn, { period: 'DAILY', timezone: 'America/New_York', groupBy: ['USAGE_TYPE'], asOfMs: autumn.spanStartMs + 61 * DAY + 7 * HOUR + 12_345 }],
    [spring, { period: 'HOURLY', from: spring.asOfMs - 4 * DAY, to: spring.asOfMs + DAY, groupBy: ['JOB_ID', 'LICENSE_PRODUCT'] }],
    [autumn, { period: 'WEEKLY', timezone: 'UTC+05:30', groupBy: ['INSTANCE_TYPE', 'USAGE_TYPE'], costScaleFactor: 1.25, kind: 'fleet', resources: 'some' }],
    [spring, { period: 'MONTHLY', timezone: 'Pacific/Chatham', groupBy: ['LICENSE_PRODUCT'], costScaleFactor: 0.85, resources: 'some' }],
    // A range much wider than the sessions, and one far inside a long session.
    [autumn, { period: 'MONTHLY', timezone: 'UTC-03:00', from: Date.UTC(2000, 0, 1), to: Date.UTC(2040, 0, 1), groupBy: ['USAGE_TYPE'] }],
    [autumn, { period: 'HOURLY', timezone: 'UTC+05:30', from: autumn.spanStartMs + 40 * DAY + 1, to: autumn.spanStartMs + 41 * DAY - 1, groupBy: ['FLEET_ID'] }],
  ];
  for (const [farm, c] of cases) test(describeCase(c), () => assert.ok(check(farm, c) > 0));

  test('another farm in the same table is never counted; a queue nobody used has no rows', () => {
    const { query } = caseQuery(autumn, { period: 'DAILY', groupBy: ['QUEUE_ID'] });
    const output = run({ ...query, resourceIds: ['queue-' + '0'.repeat(32)] }, EVERYTHING, customerManaged(autumn));
    assert.deepEqual(output, { output: { kind: 'rows', rows: [] }, missingRates: [] });
    const { output: both } = run({ ...query, resourceIds: [...autumn.queues, ...spring.queues].map((q) => q.queueId) }, EVERYTHING, customerManaged(autumn));
    assert.equal(both.kind === 'rows' && both.rows.length, caseQuery(autumn, { period: 'DAILY', groupBy: ['QUEUE_ID'] }).expected.rows.length);
  });

  test('quotes and backslashes in rate-card keys and names are literals', () => {
    const odd = generateFarm(1803, { sessions: 40 });
    odd.farmId = `farm-it's\\odd`;
    for (const [i, s] of odd.sessions.entries()) {
      if (i % 3 === 0) s.licenseProducts = ["o'brien\\", 'x'];
      if (i % 4 === 0) s.instanceType = "it's\\large";
    }
    odd.rateCard.licenseProducts["o'brien\\"] = 2.5;
    odd.rateCard.instanceTypes["it's\\large"] = 1.75;
    insert(TABLES.sessionsLocal, odd.sessions.map((s) => sessionRow(odd.farmId, s, 1)));
    assert.ok(check(odd, { period: 'WEEKLY', groupBy: ['LICENSE_PRODUCT', 'INSTANCE_TYPE'] }) > 0);
  });

  test("a job whose sessions carry different names shows its latest-started session's name (on a tie, the greater name)", () => {
    const renamed = generateFarm(1805, { sessions: 60, jobsPerQueue: 2 });
    const job = renamed.sessions[0]!;
    const latest = Math.max(...renamed.sessions.filter((s) => s.jobId === job.jobId).map((s) => s.startedAt));
    for (const [i, s] of renamed.sessions.entries()) if (s.jobId === job.jobId) s.jobName = `name ${i % 3}`;
    // Three sessions start last, at the same instant: 'name c' wins in every bucket they are in.
    for (const name of ['name b', 'name c', 'name a']) {
      renamed.sessions.push({ ...job, sessionId: `session-tie-${name.slice(-1)}`, jobName: name, startedAt: latest + HOUR, endedAt: latest + 5 * HOUR });
    }
    insert(TABLES.sessionsLocal, renamed.sessions.map((s) => sessionRow(renamed.farmId, s, 1)));
    const to = latest + 6 * HOUR;
    assert.ok(caseQuery(renamed, { groupBy: ['JOB_ID'], to }).expected.rows.some((r) => r.jobName === 'name c'), 'the reference has the tie');
    assert.ok(check(renamed, { period: 'WEEKLY', groupBy: ['JOB_ID'], to }) > 0);
    assert.ok(check(renamed, { groupBy: ['USER_ID', 'JOB_ID'], to }) > 0);
  });
});

describe('the batch snapshot', () => {
  const farm = generateFarm(1804, { sessions: 30 });
  const session = (i: number, startedAt: number, endedAt?: number): RefSession => ({ ...farm.sessions[i]!, sessionId: `session-snap${i}`, startedAt, endedAt, licenseProducts: ['maya'] });
  const t0 = farm.spanStartMs;
  // a: written by 1, replaced by 2; b: written by 1, deleted by 3; c: written by 4; d: written by 2, replaced by 5.
  const a1 = session(0, t0, t0 + HOUR);
  const a2 = session(0, t0, t0 + 3 * HOUR);
  const b1 = session(1, t0 + 2 * HOUR, t0 + 5 * HOUR);
  const c4 = session(2, t0 + HOUR, t0 + 2 * HOUR);
  const d2 = session(3, t0, undefined);
  const d5 = session(3, t0, t0 + 30 * 60_000);
  const versions: [RefSession, number][] = [[a1, 1], [a2, 2], [b1, 1], [c4, 4], [d2, 2], [d5, 5]];
  const marks: [RefSession, number, number][] = [[a1, 1, 2], [b1, 1, 3], [d2, 2, 5]];

  before(() => {
    insert(TABLES.sessionsLocal, versions.map(([s, seq]) => sessionRow(farm.farmId, s, seq)));
    insert(TABLES.supersededLocal, marks.map(([s, seq, by]) => JSON.stringify({ farm_id: farm.farmId, session_id: s.sessionId, batch_seq: seq, by_seq: by })));
  });

  /** The versions a snapshot sees, by the rule in plain code. */
  const visible = (snap: BatchSnapshot) => {
    const sees = (seq: number) => seq <= snap.upTo && !snap.excluded.includes(seq);
    return versions.filter(([s, seq]) => sees(seq) && !marks.some(([m, mseq, by]) => m.sessionId === s.sessionId && mseq === seq && sees(by))).map(([s]) => s);
  };
  const snapshots: [string, BatchSnapshot, RefSession[]][] = [
    ['batch 1 only: the first versions', { upTo: 1, excluded: [] }, [a1, b1]],
    ['up to 2: a replaced, d running', { upTo: 2, excluded: [] }, [a2, b1, d2]],
    ['up to 3: b deleted', { upTo: 3, excluded: [] }, [a2, d2]],
    ['up to 5: c written, d replaced', { upTo: 5, excluded: [] }, [a2, c4, d5]],
    ['2 excluded: a not replaced, d not written', { upTo: 3, excluded: [2] }, [a1]],
    ['3 and 4 excluded: b not deleted, c not written', { upTo: 5, excluded: [3, 4] }, [a2, b1, d5]],
    ['5 excluded: d still running', { upTo: 6, excluded: [5] }, [a2, c4, d2]],
  ];
  for (const [what, snap, expectedVersions] of snapshots) {
    test(what, () => {
      assert.deepEqual(visible(snap), expectedVersions, 'the plain rule');
      const { query, expected } = caseQuery(farm, { period: 'HOURLY', from: t0, to: t0 + 6 * HOUR, groupBy: ['USAGE_TYPE'], asOfMs: t0 + 4 * HOUR }, expectedVersions);
      assertMatchesReference(run(query, snap, customerManaged(farm)), expected, what);
    });
  }
});

describe('the row limit', () => {
  test('more rows than maxRows is told apart; exactly maxRows is not', () => {
    const { query, expected } = caseQuery(autumn, { period: 'WEEKLY', groupBy: ['QUEUE_ID', 'USAGE_TYPE'] });
    const n = expected.rows.length;
    assert.deepEqual(run(query, EVERYTHING, customerManaged(autumn), n - 1).output, { kind: 'too-many', maxRows: n - 1 });
    assertMatchesReference(run(query, EVERYTHING, customerManaged(autumn), n), expected, 'exactly maxRows');
  });
});
