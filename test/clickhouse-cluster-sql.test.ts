// The ClickHouse aggregation SQL on a real two-shard ClickHouse 18.16 cluster, through the
// Distributed tables: the same rows as the reference (a smaller matrix than the chDB dialect
// test), the batch snapshot's anti-join running on each shard against its own local marks
// (a non-GLOBAL IN), rows routed to the shards as the Distributed tables would, and a
// statement past the default max_query_size. Skipped, saying why, without
// FARMTALLY_TEST_CLICKHOUSE (test/support/cluster.ts). Everything lives in a database of this
// run's own, created on both shards and dropped at the end.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AggregationQuery } from '../src/store/aggregation-store.js';
import { aggregationOutput, missingRatesOutput } from '../src/store/clickhouse/aggregation-rows.js';
import { aggregationSql, missingRatesSql, type BatchSnapshot, type FleetKinds } from '../src/store/clickhouse/aggregation-sql.js';
import { httpQuery } from '../src/store/clickhouse/http-query.js';
import { distributedTablesDdl, localTablesDdl, shardOfRowSql, shardsOfSql, TABLES } from '../src/store/clickhouse/schema.js';
import { generateFarm, type RefSession } from './reference/aggregate-reference.js';
import { recordFingerprint } from '../src/store/cluster/record-fingerprint.js';
import { backfillKeysSql } from '../src/store/cluster/session-keys.js';
import { fromSessionRow } from '../src/store/cluster/session-rows.js';
import { clusterForTests, scratchName, testClusterName } from './support/cluster.js';
import { assertMatchesReference, caseQuery, customerManaged, describeCase, sessionRow, type AggregationCase } from './support/clickhouse-aggregation.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const CLUSTER = testClusterName();
const EVERYTHING: BatchSnapshot = { upTo: 1_000_000, excluded: [] };

const { urls, skip } = await clusterForTests({ clickhouse: true, postgres: false });
const db = scratchName('ft_chsql');
/** Shard URLs in the cluster's shard order (shard_num 1 first), learned from each server's own view. */
let shards: string[] = [];
const tables = { sessions: `${db}.${TABLES.sessions}`, superseded: `${db}.${TABLES.supersededLocal}` };
const json = async (url: string, sql: string) => (await httpQuery(url, `${sql} FORMAT JSONEachRow`)).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** Rows (JSONEachRow lines) into each shard's local table, each on the shard its key sends it to. */
async function insertRouted(table: string, rows: { farmId: string; sessionId: string; line: string }[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const [{ shards: routes }] = (await json(shards[0]!, shardsOfSql(rows, shards.length))) as [{ shards: number[] }];
  for (const [i, url] of shards.entries()) {
    const lines = rows.filter((_, k) => Number(routes[k]) === i).map((r) => r.line);
    if (lines.length) await httpQuery(url, `INSERT INTO ${db}.${table} FORMAT JSONEachRow\n${lines.join('\n')}`);
  }
  return routes.map(Number);
}

const versionRows = (farmId: string, versions: [RefSession, number][]) => versions.map(([s, seq]) => ({ farmId, sessionId: s.sessionId, line: sessionRow(farmId, s, seq) }));
const markRow = (farmId: string, sessionId: string, batchSeq: number, bySeq: number) => ({ farmId, sessionId, line: JSON.stringify({ farm_id: farmId, session_id: sessionId, batch_seq: batchSeq, by_seq: bySeq }) });

async function run(q: AggregationQuery, snapshot: BatchSnapshot, fleets: FleetKinds, maxRows = 1_000_000) {
  const statement = aggregationSql(q, tables, snapshot, { maxRows }, fleets);
  const missing = missingRatesSql(q, tables, snapshot, fleets);
  const [output, missingRates] = await Promise.all([statement, missing].map((st) => httpQuery(shards[0]!, `${st.sql}\nFORMAT JSONEachRow`, { settings: st.settings })));
  return { output: aggregationOutput(output!, q, { maxRows }), missingRates: missingRatesOutput(missingRates!), bytes: Buffer.byteLength(statement.sql) };
}

const farm = generateFarm(1901, { sessions: 200 });

describe('the aggregation SQL on a two-shard 18.16 cluster', { skip }, () => {
  before(async () => {
    const all = urls!.clickhouse;
    const numbered = await Promise.all(all.map(async (url) => [Number((await json(url, `SELECT shard_num FROM system.clusters WHERE cluster = '${CLUSTER}' AND is_local`))[0]!.shard_num), url] as const));
    shards = numbered.sort((a, b) => a[0] - b[0]).map(([, url]) => url);
    assert.equal(shards.length, 2, 'two shards');
    for (const url of shards) {
      await httpQuery(url, `CREATE DATABASE ${db}`);
      for (const ddl of [...localTablesDdl(db), ...distributedTablesDdl(db, CLUSTER)]) await httpQuery(url, ddl);
    }
    const routes = await insertRouted(TABLES.sessionsLocal, versionRows(farm.farmId, farm.sessions.map((s) => [s, 1])));
    assert.ok(routes.includes(0) && routes.includes(1), 'sessions on both shards');
  });

  after(async () => {
    for (const url of shards) await httpQuery(url, `DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
  });

  test('rows routed in JS land where the Distributed table itself puts them (a synchronous insert, checked per shard)', async () => {
    for (const url of shards) {
      await httpQuery(url, `CREATE TABLE ${db}.route_local (farm_id String, session_id String) ENGINE = MergeTree() ORDER BY farm_id`);
      await httpQuery(url, `CREATE TABLE ${db}.route AS ${db}.route_local ENGINE = Distributed(${CLUSTER}, ${db}, route_local, sipHash64(farm_id, session_id))`);
    }
    const keys = farm.sessions.slice(0, 40).map((s) => ({ farmId: farm.farmId, sessionId: s.sessionId }));
    await httpQuery(shards[0]!, `INSERT INTO ${db}.route FORMAT JSONEachRow\n${keys.map((k) => JSON.stringify({ farm_id: k.farmId, session_id: k.sessionId })).join('\n')}`, { settings: { insert_distributed_sync: 1 } });
    const [{ shards: routes }] = (await json(shards[0]!, shardsOfSql(keys, 2))) as [{ shards: number[] }];
    for (const [i, url] of shards.entries()) {
      const landed = (await json(url, `SELECT session_id FROM ${db}.route_local ORDER BY session_id`)).map((r) => r.session_id);
      assert.deepEqual(landed, keys.filter((_, k) => Number(routes[k]) === i).map((k) => k.sessionId).sort());
      // The same expression over stored rows.
      assert.deepEqual(await json(url, `SELECT count() AS n FROM ${db}.route_local WHERE ${shardOfRowSql(2)} != ${i}`), [{ n: '0' }]);
    }
  });

  const cases: AggregationCase[] = [
    { period: 'DAILY', timezone: 'UTC+05:30', groupBy: ['QUEUE_ID', 'USAGE_TYPE'] },
    { period: 'HOURLY', timezone: 'America/New_York', from: Date.UTC(2024, 10, 2, 3, 7), to: Date.UTC(2024, 10, 4, 11), groupBy: ['JOB_ID', 'LICENSE_PRODUCT'] },
    { period: 'HOURLY', timezone: 'Australia/Lord_Howe', from: Date.UTC(2024, 9, 4), to: Date.UTC(2024, 9, 7), groupBy: ['INSTANCE_TYPE'] },
    { period: 'WEEKLY', timezone: 'UTC-03:30', groupBy: ['USER_ID', 'LICENSE_PRODUCT'], kind: 'fleet' },
    { period: 'MONTHLY', timezone: 'Pacific/Chatham', groupBy: ['QUEUE_ID', 'FLEET_ID', 'JOB_ID', 'USER_ID', 'USAGE_TYPE', 'INSTANCE_TYPE', 'LICENSE_PRODUCT'], costScaleFactor: 1.25 },
    { period: 'DAILY', timezone: 'America/St_Johns', groupBy: ['FLEET_ID'], asOfMs: farm.spanStartMs + 50 * DAY + 5 * HOUR, resources: 'some' },
    { groupBy: ['USAGE_TYPE', 'INSTANCE_TYPE'] },
  ];
  for (const c of cases) {
    test(describeCase(c), async () => {
      const { query, expected } = caseQuery(farm, c);
      assert.ok(expected.rows.length > 0);
      assertMatchesReference(await run(query, EVERYTHING, customerManaged(farm)), expected, describeCase(c));
    });
  }

  test('Two years of New York hours: past the default max_query_size (256 KiB), the setting sent with the query reaches the shards', async () => {
    const c: AggregationCase = { period: 'HOURLY', timezone: 'America/New_York', from: Date.UTC(2024, 0, 1), to: Date.UTC(2026, 0, 1), groupBy: ['USAGE_TYPE'] };
    const { query, expected } = caseQuery(farm, c);
    const answer = await run(query, EVERYTHING, customerManaged(farm));
    assert.ok(answer.bytes > 262_144, `${answer.bytes} bytes of SQL`);
    assertMatchesReference(answer, expected, describeCase(c));
    const { sql } = aggregationSql(query, tables, EVERYTHING, { maxRows: 1_000_000 }, customerManaged(farm));
    await assert.rejects(httpQuery(shards[0]!, sql), /Max query size exceeded/, 'without the setting');
  });

  test('past maxRows is told apart', async () => {
    const { query, expected } = caseQuery(farm, cases[0]!);
    assert.deepEqual((await run(query, EVERYTHING, customerManaged(farm), expected.rows.length - 1)).output, { kind: 'too-many', maxRows: expected.rows.length - 1 });
  });

  test('the snapshot: each shard drops the versions its own local marks supersede (non-GLOBAL IN), and only those', async () => {
    const snap = generateFarm(1902, { sessions: 20 });
    const t0 = snap.spanStartMs;
    // Sessions until both shards hold some; each written by batch 1 and replaced by batch 2.
    const sessions = snap.sessions.slice(0, 12).map((s, i): RefSession => ({ ...s, sessionId: `session-snap${i}`, startedAt: t0 + i * HOUR, endedAt: t0 + i * HOUR + 20 * 60_000 }));
    const replaced = sessions.map((s): RefSession => ({ ...s, endedAt: s.startedAt + 40 * 60_000 }));
    const routes = await insertRouted(TABLES.sessionsLocal, versionRows(snap.farmId, [...sessions.map((s): [RefSession, number] => [s, 1]), ...replaced.map((s): [RefSession, number] => [s, 2])]));
    assert.ok(routes.includes(0) && routes.includes(1), 'versions on both shards');
    await insertRouted(TABLES.supersededLocal, sessions.map((s) => markRow(snap.farmId, s.sessionId, 1, 2)));
    // A stray mark on the shard that does not hold its session (never written so): the
    // anti-join runs on each shard against its own local table, so it hides nothing.
    const stray = sessions[0]!;
    const strayShard = 1 - routes[0]!;
    await httpQuery(shards[strayShard]!, `INSERT INTO ${db}.${TABLES.supersededLocal} FORMAT JSONEachRow\n${markRow(snap.farmId, stray.sessionId, 2, 3).line}`);
    const c: AggregationCase = { period: 'HOURLY', from: t0, to: t0 + 13 * HOUR, groupBy: ['QUEUE_ID'] };
    for (const [snapshot, seen] of [
      [{ upTo: 1, excluded: [] }, sessions],
      [{ upTo: 2, excluded: [] }, replaced],
      [{ upTo: 3, excluded: [] }, replaced],
      [{ upTo: 3, excluded: [2] }, sessions],
    ] as [BatchSnapshot, RefSession[]][]) {
      const { query, expected } = caseQuery(snap, c, seen);
      assertMatchesReference(await run(query, snapshot, customerManaged(snap)), expected, `snapshot ${JSON.stringify(snapshot)}`);
    }
    // The same stray mark through the Distributed table would hide the session (a GLOBAL IN
    // sees every shard's marks): the local anti-join is the shard-local one, on purpose.
    const { query } = caseQuery(snap, c, replaced);
    const global = aggregationSql(query, { ...tables, superseded: `${db}.${TABLES.superseded}` }, { upTo: 3, excluded: [] }, { maxRows: 1000 }, customerManaged(snap));
    const viaGlobal = await httpQuery(shards[0]!, `${global.sql.replace('NOT IN (\n', 'GLOBAL NOT IN (\n')}\nFORMAT JSONEachRow`, { settings: global.settings });
    const total = (text: string) => text.split('\n').filter(Boolean).reduce((sum, l) => sum + Number((JSON.parse(l) as { n: string }).n), 0);
    const local = await httpQuery(shards[0]!, `${global.sql.replace(`${db}.${TABLES.superseded}`, `${db}.${TABLES.supersededLocal}`)}\nFORMAT JSONEachRow`, { settings: global.settings });
    assert.equal(total(local) - total(viaGlobal), 1 + new Set(stray.licenseProducts ?? []).size, 'the stray mark hides its session (its usage records, one bucket) only when every shard\'s marks are read');
  });

  test('keys made from stored rows (migrate, for sessions stored before the key tables) carry the fingerprint ingest computes, for every field and the awkward values, and the jobs\' rows', async () => {
    const base = { farm_id: 'farm-fp', queue_id: 'queue-a', job_id: 'job-a', job_name: 'Shot 010: comp', user_id: 'user-a', fleet_id: 'fleet-a', worker_id: 'worker-a', instance_type: 'c5.xlarge', started_at: 1_735_689_600_000, ended_at: 1_735_693_200_000, license_products: [] as string[], updated_at: 1, batch_seq: 7 };
    const rows = [
      base,
      { ...base, instance_type: null, ended_at: null },
      { ...base, job_name: "it's 1:2;3 \\ \t tab \n line", license_products: ['a;b', 'c:d'] },
      { ...base, job_name: 'Übergang 日本 🎬', license_products: ['houdini'] },
      { ...base, job_name: '', worker_id: '4:xxxx' },
      { ...base, job_name: '4:xxxx', worker_id: '' },
      { ...base, started_at: 946_684_800_000, ended_at: 946_684_800_000 },
    ].map((r, i) => ({ ...r, session_id: `session-fp${i}` }));
    const url = shards[0]!;
    await httpQuery(url, `INSERT INTO ${db}.${TABLES.sessionsLocal} FORMAT JSONEachRow\n${rows.map((r) => JSON.stringify(r)).join('\n')}`);
    for (const sql of Object.values(backfillKeysSql(db))) await httpQuery(url, sql);
    const keys = await json(url, `SELECT session_id, toString(fingerprint) AS fingerprint FROM ${db}.${TABLES.sessionKeysLocal} WHERE farm_id = 'farm-fp' ORDER BY session_id`);
    const stored = await json(url, `SELECT * FROM ${db}.${TABLES.sessionsLocal} WHERE farm_id = 'farm-fp' ORDER BY session_id`);
    assert.equal(keys.length, rows.length);
    assert.deepEqual(keys.map((k) => k.fingerprint), stored.map((r) => recordFingerprint(fromSessionRow(r))));
    assert.equal(new Set(keys.map((k) => k.fingerprint)).size, rows.length, 'each record its own fingerprint (the two that swap a prefix among them)');
    const jobRows = await json(url, `SELECT session_id, job_id, started_at, ended_at FROM ${db}.${TABLES.jobSessionsLocal} WHERE farm_id = 'farm-fp' ORDER BY session_id`);
    assert.deepEqual(jobRows, stored.map((r) => ({ session_id: r.session_id, job_id: r.job_id, started_at: r.started_at, ended_at: r.ended_at })));
  });
});
