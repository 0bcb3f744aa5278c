// kill -9 during a deletion on a farm of 100 000 sessions: a time range of sessions
// (DeleteSessions), a user given a pseudonym (ForgetUser), and a queue deleted with its
// sessions (DeleteQueue withSessions=true). After a restart the farm is wholly as before
// or wholly as after, never a part; another farm is untouched either way. Each write is timed
// once to the end (the server's trace: began, committed in N ms), then killed at random
// moments within one and a half times that span (so mostly before the commit, now and then
// just after it), and once as soon as it says committed. DELETION_KILL_SESSIONS sets the
// size, DELETION_KILLS the number of random kills.
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { rmSync } from 'node:fs';
import { test, type TestContext } from 'node:test';
import { killHard, whenOutput } from '../support/crash.js';
import { deleteSessions, forgetUser, sessionAt } from '../support/deletions.js';
import { CreateQueueCommand } from '@aws-sdk/client-deadline';
import { http, newDataDir, readDataFile, startFarmtally, type Farmtally, type RawResponse } from '../support/server.js';
import { farmWithParents, numberedRecord, postSessions, toNdjson, type FarmParents } from '../support/session-records.js';

const SESSIONS = Number(process.env.DELETION_KILL_SESSIONS ?? 100_000);
const KILLS = Number(process.env.DELETION_KILLS ?? 3);
const ENV = { FARMTALLY_INGEST_TRACE: '1' };
const RANGE = { startedAtOrAfter: '2024-01-01T00:00:00Z', startedBefore: '2026-01-01T00:00:00Z' };

/** The farm's sessions, with every 50th still running (running_sessions rows to delete too). */
function body(farm: FarmParents): string {
  return toNdjson(Array.from({ length: SESSIONS }, (_, i) => {
    const r = numberedRecord(farm, i, 9);
    if (i % 50 === 0) delete (r as { endedAt?: string }).endedAt;
    return r;
  }));
}

/** Reads the stopped server's data file. */
const counted = (dataDir: string, sql: string) =>
  readDataFile(dataDir, async (query) => Number(((await query(sql))[0] as { n: unknown }).n));

/** What the stopped server's data file holds of the farm. */
async function stored(dataDir: string, farmId: string): Promise<{ sessions: number; jobs: number; running: number }> {
  const n = (table: string) => counted(dataDir, `SELECT count(*) AS n FROM ${table} WHERE farm_id = '${farmId}'`);
  return { sessions: await n('sessions'), jobs: await n('jobs'), running: await n('running_sessions') };
}

/** One kind of deletion, as the kill loop drives it. */
interface KilledWrite<S> {
  /** Its name in the writer's trace (SessionWriter.exclusive's `what`). */
  what: string;
  send(ft: Farmtally): Promise<RawResponse>;
  /** Brings the farm back to `before` on a running server, after a kill left it `after`. */
  refill(ft: Farmtally): Promise<void>;
  /** What the stopped server's data file holds of what the write changes. */
  state(dataDir: string): Promise<S>;
  before: S;
  after: S;
}

/**
 * Starts a server on `dataDir` holding `before` (the caller filled it), runs the write once to
 * the end, then kills the server during it again and again: after each restart the data is
 * `before` or `after`, never a part, a write answered or traced as committed stays done, and
 * `bystander` holds what it held.
 */
async function killDuring<S>(t: TestContext, dataDir: string, w: KilledWrite<S>, bystander: { farmId: string; holds: unknown }): Promise<void> {
  let ft = await startFarmtally({ dataDir, env: ENV });
  try {
    await w.refill(ft);
    const escaped = w.what.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const began = new RegExp(`${escaped}: began`);
    const committed = new RegExp(`${escaped}: committed in ([\\d.]+) ms`);
    const done = await w.send(ft);
    assert.equal(done.status, 200, done.text);
    const commitMs = Number((await whenOutput(ft, committed))[1]);
    t.diagnostic(`${w.what} took ${commitMs} ms`);

    const outcomes: string[] = [];
    let present = false;
    // Random moments, mostly inside the transaction, now and then past its commit; and last,
    // as soon as the trace says committed (the writer reading its memory again, no answer yet):
    // the kill that once left DuckDB's job index wrong (migrations.ts, rebuildJobKeys).
    for (let kill = 0; kill <= KILLS; kill++) {
      if (!present) await w.refill(ft);
      const outputBefore = ft.output().length;
      const request = w.send(ft).catch(() => undefined);
      const seen = (pattern: RegExp) =>
        new Promise<void>((resolve) => {
          const look = () => (pattern.test(ft.output().slice(outputBefore)) ? resolve() : setTimeout(look, 1));
          look();
        });
      await seen(began);
      const atCommit = kill === KILLS;
      const delayMs = atCommit ? 0 : Math.round(Math.random() * commitMs * 1.5);
      if (atCommit) await seen(committed);
      else await new Promise((r) => setTimeout(r, delayMs));
      await killHard(ft);
      const answered = (await request)?.status === 200;
      const wasCommitted = committed.test(ft.output().slice(outputBefore));

      // The restart replays the WAL; the stopped file is then read as it is.
      ft = await startFarmtally({ dataDir, env: ENV });
      await ft.stop(false);
      const after = await w.state(dataDir);
      present = isDeepStrictEqual(after, w.before);
      outcomes.push(`kill ${kill} ${atCommit ? 'at the commit' : `at ${delayMs} ms`}: ${present ? 'all there' : 'all gone'}${wasCommitted ? ' (the trace had said committed)' : ''}`);
      assert.deepEqual(after, present ? w.before : w.after, `kill ${kill} at ${delayMs} ms left a part`);
      if (answered || wasCommitted) assert.equal(present, false, 'a committed deletion stays done');
      assert.deepEqual(await stored(dataDir, bystander.farmId), bystander.holds, 'another farm is untouched');
      ft = await startFarmtally({ dataDir, env: ENV });
    }
    for (const outcome of outcomes) t.diagnostic(outcome);
    assert.equal(present, false, 'the kill after the commit found the deletion done');
    // The server works on what is left: the same sessions and jobs are taken again, whole.
    await w.refill(ft);
  } finally {
    await ft.stop(false);
  }
}

/** A farm of SESSIONS sessions and a bystander farm of two, on a new data folder (the server stopped). */
async function farms(name: string): Promise<{ dataDir: string; farm: FarmParents; records: string; bystander: { farmId: string; holds: unknown } }> {
  const dataDir = newDataDir();
  const ft = await startFarmtally({ dataDir, env: ENV });
  try {
    const farm = await farmWithParents(ft.client, name);
    const other = await farmWithParents(ft.client, 'bystander');
    assert.equal((await postSessions(ft.url, other.farmId, toNdjson([sessionAt(other, 0), sessionAt(other, 1, { running: true })]))).status, 200);
    return { dataDir, farm, records: body(farm), bystander: { farmId: other.farmId, holds: { sessions: 2, jobs: 2, running: 1 } } };
  } finally {
    await ft.stop(false);
  }
}

const fill = async (ft: Farmtally, farmId: string, records: string) => {
  const res = await postSessions(ft.url, farmId, records);
  assert.equal(res.status, 200, `${res.text.slice(0, 500)}\n${ft.output().split('\n').filter((l) => /error/i.test(l)).join('\n').slice(-3000)}`);
};

// What the farm holds whole: numberedRecord gives a job to every 100 sessions.
const WHOLE = { sessions: SESSIONS, jobs: SESSIONS / 100, running: SESSIONS / 50 };

test('kill -9 during a large deletion: after a restart the sessions are all there or all gone', { timeout: 10 * 60_000 }, async (t) => {
  const { dataDir, farm, records, bystander } = await farms('deletion kill');
  try {
    await killDuring(t, dataDir, {
      what: `deleting sessions of ${farm.farmId}`,
      send: (ft) => deleteSessions(ft.url, farm.farmId, RANGE),
      refill: (ft) => fill(ft, farm.farmId, records),
      state: (dir) => stored(dir, farm.farmId),
      before: WHOLE,
      after: { sessions: 0, jobs: 0, running: 0 },
    }, bystander);
    const ft = await startFarmtally({ dataDir, env: ENV });
    try {
      const last = await deleteSessions(ft.url, farm.farmId, { ...RANGE, dryRun: true });
      assert.equal(last.body.matched, SESSIONS);
    } finally {
      await ft.stop(false);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('kill -9 while a user is given a pseudonym: the user is in every session or in none', { timeout: 10 * 60_000 }, async (t) => {
  const { dataDir, farm, records, bystander } = await farms('forget kill');
  // numberedRecord names user0 to user6 in turn: user3 is in a seventh of the sessions.
  const named = Math.ceil((SESSIONS - 3) / 7);
  const byUser = (dir: string) =>
    counted(dir, `SELECT count(*) FILTER (user_id = 'user3') * 1000000 + count(*) FILTER (user_id LIKE 'forgotten-%') AS n FROM sessions WHERE farm_id = '${farm.farmId}'`);
  try {
    await killDuring(t, dataDir, {
      what: `giving a user of ${farm.farmId} a pseudonym`,
      send: (ft) => forgetUser(ft.url, farm.farmId, 'user3'),
      // Sending the records again names user3 again (the pseudonym's sessions are changed back).
      refill: (ft) => fill(ft, farm.farmId, records),
      state: byUser,
      before: named * 1_000_000,
      after: named,
    }, bystander);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('kill -9 while a queue is deleted with its sessions: the queue, its sessions and jobs are all there or all gone', { timeout: 10 * 60_000 }, async (t) => {
  const { dataDir, farm, bystander } = await farms('queue kill');
  // A deleted queue cannot come back under its ID: each refill makes a new queue and sends
  // the same sessions into it, and the write and the check follow the current one.
  let queueId = farm.queueId;
  const state = async (dir: string) => ({
    queue: await counted(dir, `SELECT count(*) AS n FROM queues WHERE queue_id = '${queueId}'`),
    ...(await stored(dir, farm.farmId)),
  });
  try {
    let first = true;
    await killDuring(t, dataDir, {
      what: 'with its sessions',
      send: (ft) => http(ft.url, 'DELETE', `/2023-10-12/farms/${farm.farmId}/queues/${queueId}?withSessions=true`),
      refill: async (ft) => {
        if (!first) queueId = (await ft.client.send(new CreateQueueCommand({ farmId: farm.farmId, displayName: 'queue kill again' }))).queueId!;
        first = false;
        await fill(ft, farm.farmId, body({ ...farm, queueId }));
      },
      state,
      before: { queue: 1, ...WHOLE },
      after: { queue: 0, sessions: 0, jobs: 0, running: 0 },
    }, bystander);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
