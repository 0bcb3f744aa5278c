// The cluster through failures, on a cluster of this test's own (scripts/cluster.sh with a
// port offset of its own: it stops shards and PostgreSQL, which the shared test cluster's
// other users must never see), with two API servers whose leases last 1.5 s
// (FARMTALLY_LEASE_MS):
//   a shard killed (-9) mid-aggregation, and before one: FAILED naming ClickHouse and the
//     shard, never COMPLETED; ingest meanwhile refused with a retryable 503, and once the
//     shard is back every acknowledged batch is there whole and no refused one at all;
//   PostgreSQL stopped: retryable 503s naming PostgreSQL, and the same servers serve again
//     once it is back;
//   an API server killed mid-aggregation: the other ends it FAILED once its lease expires,
//     and the farm can start again;
//   an API server killed mid-ingest, a batch's rows on the shards but not published: once
//     its leases expire, what it acknowledged is there, what it did not is there whole or not
//     at all, and the rows of the batches it never published are removed from the shards.
// Skipped with the reason where clickhouse-server or PostgreSQL 15 is not installed.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetFarmCommand, GetSessionsStatisticsAggregationCommand, InternalServerErrorException, ListSessionsCommand, StartSessionsStatisticsAggregationCommand,
  ThrottlingException, type DeadlineClient, type GetSessionsStatisticsAggregationResponse, type StartSessionsStatisticsAggregationCommandInput,
} from '@aws-sdk/client-deadline';
import pg from 'pg';
import { newId } from '../src/domain/resources.js';
import { privateClusterForTests, scratchCluster, type PrivateCluster, type ScratchCluster } from './support/cluster.js';
import { killServer, migrateScratch, startClusterServer } from './support/cluster-servers.js';
import { countSessionsPerJob } from './support/count-sessions.js';
import { eventually } from './support/eventually.js';
import type { Farmtally } from './support/server.js';
import { farmWithParents, postSessions, sessionRecord, toNdjson, type FarmParents } from './support/session-records.js';

const privateCluster = privateClusterForTests();
const LEASE_MS = 1_500;
const SERVER_ENV = { FARMTALLY_LEASE_MS: String(LEASE_MS) };

/** What an ingest POST came back with: an answer, or the error that ended the connection. */
type IngestAnswer = { status: number; retryAfter: string | null; errorType: string | null; text: string } | { error: string };

interface SentBatch {
  /** Each batch is a job of its own, so a count per job tells which batches are there, and whether whole. */
  jobId: string;
  sessionIds: string[];
  sentAt: number;
  answer: IngestAnswer;
}

const acknowledged = (b: SentBatch) => 'status' in b.answer && b.answer.status === 200;

/** Feeds still posting: a failed test's are stopped after it (afterEach), so none outlives its test. */
const feeds = new Set<{ stop(): Promise<unknown> }>();

/**
 * Posts batches of `size` fresh sessions to `url`, `loops` at a time, each after the last
 * answered (and `pauseMs`), until stopped or, with `untilCut`, until a connection ends
 * without an answer.
 */
function ingestFeed(url: string, parents: FarmParents, options: { size: number; loops?: number; pauseMs?: number; untilCut?: boolean }) {
  const batches: SentBatch[] = [];
  let stopping = false;
  const loop = async () => {
    while (!stopping) {
      const jobId = newId('job');
      const records = Array.from({ length: options.size }, (_, i) => sessionRecord(parents, { jobId, jobName: `batch ${batches.length}`, startedAt: new Date(Date.UTC(2025, 2, 1) + i * 1000).toISOString() }));
      const sentAt = Date.now();
      let answer: IngestAnswer;
      try {
        const res = await fetch(`${url}/ingest/v1/farms/${parents.farmId}/sessions`, {
          method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: toNdjson(records), signal: AbortSignal.timeout(60_000),
        });
        answer = { status: res.status, retryAfter: res.headers.get('retry-after'), errorType: res.headers.get('x-amzn-errortype'), text: await res.text() };
      } catch (err) {
        answer = { error: String((err as { cause?: unknown }).cause ?? err) };
      }
      batches.push({ jobId, sessionIds: records.map((r) => r.sessionId), sentAt, answer });
      if ('error' in answer && options.untilCut) return;
      await sleep(options.pauseMs ?? 0);
    }
  };
  const loops = Promise.all(Array.from({ length: options.loops ?? 1 }, loop));
  const feed = {
    batches,
    async stop(): Promise<SentBatch[]> {
      stopping = true;
      await loops;
      feeds.delete(feed);
      return batches;
    },
    finished: loops,
  };
  feeds.add(feed);
  return feed;
}

/** A 503 InternalServerErrorException with a Retry-After whose message matches `naming`, as the raw answer to an ingest POST. */
function assertRetryableAnswer(answer: IngestAnswer, naming: RegExp, what: string): void {
  assert.ok('status' in answer, `${what}: no answer (${'error' in answer ? answer.error : ''})`);
  assert.equal(answer.status, 503, `${what}: ${answer.text}`);
  assert.equal(answer.errorType, 'InternalServerErrorException', what);
  assert.ok(Number(answer.retryAfter) > 0, `${what}: a Retry-After (${answer.retryAfter})`);
  assert.match(answer.text, naming, what);
}

/**
 * An aggregation's message when shard 2 is down: it says a shard is unreachable, whichever
 * shard the statement went to (shard 2 itself, or shard 1, which could not reach it), never
 * that the live shard failed, and does not send the user to check the request.
 */
function assertShardDown(message: string | undefined, what: string): void {
  assert.match(message ?? '', /ClickHouse shard .*unreachable|A ClickHouse shard is unreachable/, `${what}: ${message}`);
  assert.doesNotMatch(message ?? '', /Check the request|\.\./, `${what}: ${message}`);
}

/** The SDK call fails with InternalServerErrorException, 503, a Retry-After, its message matching `naming`. */
async function rejectsRetryable(call: Promise<unknown>, naming: RegExp, what: string): Promise<void> {
  await assert.rejects(call, (err) => {
    assert.ok(err instanceof InternalServerErrorException, `${what}: expected InternalServerErrorException, got ${String(err)}`);
    assert.equal(err.$metadata.httpStatusCode, 503, what);
    assert.ok((err.retryAfterSeconds ?? 0) > 0, `${what}: a Retry-After`);
    assert.match(err.message, naming, what);
    return true;
  });
}

const status = (client: DeadlineClient, farmId: string, aggregationId: string) =>
  client.send(new GetSessionsStatisticsAggregationCommand({ farmId, aggregationId, maxResults: 1 }));

/** The aggregation's first page once it is no longer IN_PROGRESS (asked of `client`), within `timeoutMs`. */
const ended = (client: DeadlineClient, farmId: string, aggregationId: string, timeoutMs = 60_000): Promise<GetSessionsStatisticsAggregationResponse> =>
  eventually(`aggregation ${aggregationId} to end`, async () => {
    const page = await status(client, farmId, aggregationId);
    return page.status !== 'IN_PROGRESS' && page;
  }, timeoutMs);

/**
 * A farm whose aggregation runs for seconds in ClickHouse: sessions running since 2010,
 * HOURLY up to now (about 140 000 buckets each).
 */
const SLOW_SINCE = Date.UTC(2010, 0, 1);
async function slowFarm(ft: Farmtally): Promise<{ parents: FarmParents; input: StartSessionsStatisticsAggregationCommandInput }> {
  const parents = await farmWithParents(ft.client, 'slow');
  const running = Array.from({ length: 20 }, () => sessionRecord(parents, { startedAt: new Date(SLOW_SINCE).toISOString(), endedAt: undefined }));
  const sent = await postSessions(ft.url, parents.farmId, toNdjson(running));
  assert.equal(sent.status, 200, sent.text);
  return {
    parents,
    input: { farmId: parents.farmId, resourceIds: { queueIds: [parents.queueId] }, startTime: new Date(SLOW_SINCE), endTime: new Date(), period: 'HOURLY', groupBy: ['USAGE_TYPE'], statistics: ['SUM'] },
  };
}

/** The shard's statement text for the aggregation's one flat SELECT. */
const AGGREGATION_QUERY = `query LIKE '%arrayJoin%' AND query NOT LIKE '%system.processes%' AND query NOT LIKE 'KILL%'`;

async function clickhouse(url: string, sql: string): Promise<string> {
  const res = await fetch(`${url}/`, { method: 'POST', body: sql });
  const text = await res.text();
  if (!res.ok) throw new Error(`${url}: ${text}`);
  return text.trim();
}

describe('the cluster through failures', { skip: privateCluster.skip }, () => {
  let cluster: PrivateCluster;
  let scratch: ScratchCluster;
  let a: Farmtally;
  let b: Farmtally;
  const startServer = () => startClusterServer(scratch, { env: SERVER_ENV });
  /** Statements that shard `n` is running now for an aggregation (the cluster is this test's alone). */
  const aggregationsRunningOn = async (n: number) => Number(await clickhouse(cluster.urls.clickhouse[n - 1]!, `SELECT count() FROM system.processes WHERE ${AGGREGATION_QUERY}`));

  before(async () => {
    cluster = await privateCluster.start([370, 470, 570, 670]);
    scratch = await scratchCluster(cluster.urls, cluster.clickhouseCluster);
    await migrateScratch(scratch);
    [a, b] = await Promise.all([startServer(), startServer()]);
  });

  afterEach(async () => {
    for (const feed of [...feeds]) await feed.stop();
  });

  after(async () => {
    for (const ft of [a, b]) {
      if (!ft) continue;
      await killServer(ft);
      rmSync(ft.dataDir, { recursive: true, force: true });
    }
    await cluster?.stop();
  });

  test('a shard killed: a running aggregation and one started meanwhile end FAILED naming it; ingest is refused with a retryable 503; once it is back every acknowledged batch is there whole and no refused one', async () => {
    const slow = await slowFarm(b);
    const fed = await farmWithParents(a.client, 'fed');
    const { aggregationId } = await a.client.send(new StartSessionsStatisticsAggregationCommand(slow.input));
    // The kill lands while ClickHouse runs the aggregation's statement.
    await eventually('the slow aggregation running in ClickHouse', async () => (await aggregationsRunningOn(1)) > 0, 30_000);
    assert.equal((await status(b.client, slow.parents.farmId, aggregationId!)).status, 'IN_PROGRESS');
    // Three clients at once: their batches meet in group commits, before, during and after the outage.
    const feed = ingestFeed(a.url, fed, { size: 50, loops: 3, pauseMs: 50 });
    await eventually('batches acknowledged before the kill', async () => feed.batches.filter(acknowledged).length >= 3);

    await cluster.stopShard(2);
    const downAt = Date.now();
    let upAt = Infinity;
    try {
      const failed = await ended(b.client, slow.parents.farmId, aggregationId!);
      assert.equal(failed.status, 'FAILED', `killed mid-aggregation: ${failed.status} ${failed.statusMessage}`);
      assertShardDown(failed.statusMessage, 'killed mid-aggregation');
      assert.equal(failed.statistics, undefined);

      // Started while the shard is down: FAILED too, never COMPLETED on half the sessions.
      const { aggregationId: meanwhile } = await b.client.send(new StartSessionsStatisticsAggregationCommand({ ...slow.input, period: 'MONTHLY' }));
      const alsoFailed = await ended(a.client, slow.parents.farmId, meanwhile!);
      assert.equal(alsoFailed.status, 'FAILED', `started while a shard is down: ${alsoFailed.status} ${alsoFailed.statusMessage}`);
      assertShardDown(alsoFailed.statusMessage, 'started while a shard is down');

      // Reads of sessions are refused the same way.
      const someJob = feed.batches.find(acknowledged)!.jobId;
      await rejectsRetryable(b.client.send(new ListSessionsCommand({ farmId: fed.farmId, queueId: fed.queueId, jobId: someJob })), /ClickHouse shard/, 'ListSessions with a shard down');
      await eventually('ingest refused during the outage', async () => feed.batches.filter((x) => x.sentAt > downAt && !acknowledged(x)).length >= 3, 30_000);
    } finally {
      await cluster.startShard(2);
      upAt = Date.now();
    }
    await eventually('ingest acknowledged again once the shard is back', async () => feed.batches.filter((x) => x.sentAt > upAt && acknowledged(x)).length >= 3, 30_000);
    const batches = await feed.stop();

    const refused = batches.filter((x) => !acknowledged(x));
    assert.ok(refused.length >= 3, 'some batches were refused');
    for (const x of refused) assertRetryableAnswer(x.answer, /ClickHouse/, `batch sent ${x.sentAt - downAt} ms after the kill`);
    // Each batch is a job: acknowledged ones are there whole, refused ones not at all (B and A alike).
    for (const client of [b.client, a.client]) {
      const { perJob } = await countSessionsPerJob(client, fed.farmId, [fed.queueId]);
      for (const x of batches) assert.equal(perJob.get(x.jobId) ?? 0, acknowledged(x) ? 50 : 0, `batch of job ${x.jobId}, ${acknowledged(x) ? 'acknowledged' : 'refused'}, sent ${x.sentAt - downAt} ms after the kill`);
      assert.equal(perJob.size, batches.filter(acknowledged).length);
    }
    // The last batch acknowledged before the kill, session by session.
    const lastBefore = batches.filter((x) => x.sentAt < downAt && acknowledged(x)).at(-1)!;
    const listed = await b.client.send(new ListSessionsCommand({ farmId: fed.farmId, queueId: fed.queueId, jobId: lastBefore.jobId, maxResults: 100 }));
    assert.deepEqual(listed.sessions?.map((s) => s.sessionId).sort(), [...lastBefore.sessionIds].sort());

    // And the slow farm aggregates again (a shorter range).
    const { aggregationId: again } = await a.client.send(new StartSessionsStatisticsAggregationCommand({ ...slow.input, period: 'DAILY', startTime: new Date(Date.UTC(2025, 0, 1)), endTime: new Date(Date.UTC(2025, 0, 3)) }));
    const done = await ended(b.client, slow.parents.farmId, again!);
    assert.equal(done.status, 'COMPLETED', done.statusMessage);
    assert.equal(done.statistics?.[0]?.count, 20);
  });

  test('PostgreSQL stopped: both servers answer a retryable 503 naming PostgreSQL, and serve again without a restart once it is back', async () => {
    const parents = await farmWithParents(a.client, 'state down');
    const before = sessionRecord(parents);
    assert.equal((await postSessions(a.url, parents.farmId, toNdjson([before]))).status, 200);

    await cluster.stopPostgres();
    let refusedJob: string;
    try {
      for (const [name, ft] of [['A', a], ['B', b]] as const) {
        await rejectsRetryable(ft.client.send(new GetFarmCommand({ farmId: parents.farmId })), /PostgreSQL/, `GetFarm on ${name}`);
        await rejectsRetryable(
          ft.client.send(new StartSessionsStatisticsAggregationCommand({ farmId: parents.farmId, resourceIds: { queueIds: [parents.queueId] }, startTime: new Date(0), endTime: new Date(), groupBy: ['USAGE_TYPE'], statistics: ['SUM'] })),
          /PostgreSQL/,
          `Start on ${name}`,
        );
      }
      const refused = sessionRecord(parents);
      refusedJob = refused.jobId;
      const answer = await postSessions(b.url, parents.farmId, toNdjson([refused]));
      assertRetryableAnswer({ status: answer.status, retryAfter: answer.headers.get('retry-after'), errorType: answer.headers.get('x-amzn-errortype'), text: answer.text }, /PostgreSQL/, 'ingest with PostgreSQL down');
      // /health answers from a check at most a second old.
      const health = await eventually('/health to say PostgreSQL is down', async () => {
        const res = await fetch(`${a.url}/health`);
        return res.status === 503 && (await res.text());
      }, 10_000);
      assert.match(health, /PostgreSQL/);
    } finally {
      await cluster.startPostgres();
    }

    for (const ft of [a, b]) await eventually('GetFarm once PostgreSQL is back', async () => (await ft.client.send(new GetFarmCommand({ farmId: parents.farmId })).catch(() => undefined))?.farmId === parents.farmId, 30_000);
    const after = sessionRecord(parents);
    assert.equal((await postSessions(b.url, parents.farmId, toNdjson([after]))).status, 200);
    const { perJob } = await countSessionsPerJob(a.client, parents.farmId, [parents.queueId]);
    assert.deepEqual(Object.fromEntries(perJob), { [before.jobId]: 1, [after.jobId]: 1 });
    assert.equal(perJob.get(refusedJob!), undefined);
    await eventually('/health to say ok again', async () => (await fetch(`${b.url}/health`)).status === 200, 10_000);
  });

  test('an API server killed mid-aggregation: the other ends it FAILED within a few lease lengths, and the farm starts again through it', async () => {
    const slow = await slowFarm(b);
    const { aggregationId } = await a.client.send(new StartSessionsStatisticsAggregationCommand(slow.input));
    await eventually('the slow aggregation running in ClickHouse', async () => (await aggregationsRunningOn(1)) + (await aggregationsRunningOn(2)) > 0, 30_000);
    assert.equal((await status(b.client, slow.parents.farmId, aggregationId!)).status, 'IN_PROGRESS');
    await killServer(a);
    const killedAt = Date.now();
    try {
      // Until its lease expires the farm is still taken.
      const early = await b.client.send(new StartSessionsStatisticsAggregationCommand(slow.input)).catch((err: unknown) => err);
      if (early instanceof ThrottlingException) assert.match(early.message, new RegExp(`Aggregation ${aggregationId} is still running`));
      else assert.fail(`a Start ${Date.now() - killedAt} ms after the kill, within the lease, should be throttled: ${String(early)}`);

      const failed = await ended(b.client, slow.parents.farmId, aggregationId!, 20_000);
      const tookMs = Date.now() - killedAt;
      assert.equal(failed.status, 'FAILED', failed.statusMessage);
      assert.match(failed.statusMessage ?? '', /server running this aggregation stopped before it finished/);
      assert.ok(tookMs < 6 * LEASE_MS, `ended ${tookMs} ms after the kill; the lease is ${LEASE_MS} ms`);
    } finally {
      // Its statement would run on in ClickHouse for seconds with nobody to read it.
      for (const url of cluster.urls.clickhouse) await clickhouse(url, `KILL QUERY WHERE ${AGGREGATION_QUERY} ASYNC`).catch(() => undefined);
    }
    const { aggregationId: next } = await b.client.send(new StartSessionsStatisticsAggregationCommand({ ...slow.input, period: 'DAILY', startTime: new Date(Date.UTC(2025, 0, 1)), endTime: new Date(Date.UTC(2025, 0, 3)) }));
    const done = await ended(b.client, slow.parents.farmId, next!);
    assert.equal(done.status, 'COMPLETED', done.statusMessage);
    assert.equal(done.statistics?.[0]?.count, 20);
    rmSync(a.dataDir, { recursive: true, force: true });
    a = await startServer();
  });

  test('an API server killed mid-ingest, its batch on the shards but unpublished: once its leases expire, what it acknowledged is there, nothing unacknowledged in part, and the batch\'s rows leave the shards', async () => {
    if (a.process.exitCode !== null || a.process.signalCode !== null) a = await startServer(); // the last test failed before restarting it
    const parents = await farmWithParents(b.client, 'killed mid-ingest');
    const SIZE = 2_000;
    const state = new pg.Client({ connectionString: scratch.stateUrl });
    await state.connect();
    const rowsOf = async (seqs: number[]) =>
      Promise.all(cluster.urls.clickhouse.map(async (url) => Number(await clickhouse(url, `SELECT count() FROM ${scratch.clickhouseDatabase}.sessions_local WHERE batch_seq IN (${seqs.join(', ')})`))));
    try {
      const feed = ingestFeed(a.url, parents, { size: SIZE, loops: 3, untilCut: true });
      await eventually('batches acknowledged before the kill', async () => feed.batches.filter(acknowledged).length >= 2, 30_000);
      // The kill lands when a batch's rows are on a shard and it is not published: the moment
      // a half-written batch could be seen, were it not for the publishing.
      let caught: number | undefined;
      for (const deadline = Date.now() + 30_000; caught === undefined && Date.now() < deadline; ) {
        const writing = (await state.query(`SELECT batch_seq FROM batches WHERE farm_id = $1 AND state = 'writing'`, [parents.farmId])).rows.map((r) => Number(r.batch_seq));
        if (writing.length === 0) continue;
        const seqs = await Promise.all(writing.map(async (seq) => ((await rowsOf([seq])).some((n) => n > 0) ? seq : undefined)));
        caught = seqs.find((seq) => seq !== undefined);
      }
      assert.ok(caught !== undefined, 'no batch was caught on the shards before its publishing, in 30 s');
      await killServer(a);
      await feed.finished;
      const batches = feed.batches;
      assert.ok(batches.some((x) => 'error' in x.answer), 'a batch was under way when the server died');
      for (const x of batches) assert.ok(acknowledged(x) || 'error' in x.answer, `a batch answered other than 200: ${JSON.stringify(x.answer)}`);

      // The dead server's batches: their leases expire and the other server sweeps them.
      await eventually('no batch of the killed server left writing', async () => Number((await state.query(`SELECT count(*) AS n FROM batches WHERE farm_id = $1 AND state = 'writing'`, [parents.farmId])).rows[0].n) === 0, 6 * LEASE_MS + 5_000);
      const caughtState = (await state.query(`SELECT state FROM batches WHERE batch_seq = $1`, [caught])).rows[0].state as string;
      // Published between the look and the kill (rarely), it is there whole; else it is abandoned and its rows go.
      assert.ok(caughtState === 'abandoned' || caughtState === 'published', caughtState);
      const abandoned = (await state.query(`SELECT batch_seq FROM batches WHERE farm_id = $1 AND state = 'abandoned'`, [parents.farmId])).rows.map((r) => Number(r.batch_seq));
      if (caughtState === 'abandoned') assert.ok(abandoned.includes(caught));
      if (abandoned.length > 0) {
        // Removed from every shard (a mutation: asynchronous, so in a little while).
        await eventually("the abandoned batches' rows removed from the shards", async () => (await rowsOf(abandoned)).every((n) => n === 0), 30_000);
      }

      rmSync(a.dataDir, { recursive: true, force: true });
      a = await startServer();
      for (const client of [b.client, a.client]) {
        const { perJob } = await countSessionsPerJob(client, parents.farmId, [parents.queueId]);
        for (const x of batches) {
          const n = perJob.get(x.jobId) ?? 0;
          if (acknowledged(x)) assert.equal(n, SIZE, `an acknowledged batch (job ${x.jobId})`);
          else assert.ok(n === 0 || n === SIZE, `an unacknowledged batch is there whole or not at all: ${n} of ${SIZE} (job ${x.jobId})`);
        }
      }
    } finally {
      await state.end();
    }
    // And the restarted server ingests again.
    const again = await postSessions(a.url, parents.farmId, toNdjson([sessionRecord(parents)]));
    assert.equal(again.status, 200, again.text);
  });
});
