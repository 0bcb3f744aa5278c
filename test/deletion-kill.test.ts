// kill -9 during a large deletion (a time range over 100 000 sessions): after a restart the
// farm's sessions, their jobs and running rows are all still there or all gone, never a
// part; another farm's sessions are untouched either way. The deletion is timed once to the
// end (the server's trace: began, committed in N ms), then killed at random moments within
// one and a half times that span (so mostly before the commit, now and then just after
// it), and once as soon as it says committed. DELETION_KILL_SESSIONS sets the size,
// DELETION_KILLS the number of random kills.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { killHard, whenOutput } from './support/crash.js';
import { deleteSessions, sessionAt } from './support/deletions.js';
import { newDataDir, readDataFile, startFarmtally, type Farmtally } from './support/server.js';
import { farmWithParents, numberedRecord, postSessions, toNdjson, type FarmParents } from './support/session-records.js';

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

/** What the stopped server's data file holds of the farm. */
async function stored(dataDir: string, farmId: string): Promise<{ sessions: number; jobs: number; running: number }> {
  return readDataFile(dataDir, async (query) => {
    const n = async (table: string) => Number(((await query(`SELECT count(*) AS n FROM ${table} WHERE farm_id = '${farmId}'`))[0] as { n: unknown }).n);
    return { sessions: await n('sessions'), jobs: await n('jobs'), running: await n('running_sessions') };
  });
}

test('kill -9 during a large deletion: after a restart the sessions are all there or all gone', { timeout: 10 * 60_000 }, async (t) => {
  const dataDir = newDataDir();
  let ft: Farmtally = await startFarmtally({ dataDir, env: ENV });
  const farm = await farmWithParents(ft.client, 'deletion kill');
  const bystander = await farmWithParents(ft.client, 'bystander');
  assert.equal((await postSessions(ft.url, bystander.farmId, toNdjson([sessionAt(bystander, 0), sessionAt(bystander, 1, { running: true })]))).status, 200);
  const records = body(farm);
  const fill = async () => {
    const res = await postSessions(ft.url, farm.farmId, records);
    assert.equal(res.status, 200, `${res.text.slice(0, 500)}\n${ft.output().split('\n').filter((l) => /error/i.test(l)).join('\n').slice(-3000)}`);
  };
  // What the farm holds whole: numberedRecord gives a job to every 100 sessions.
  const all = { sessions: SESSIONS, jobs: SESSIONS / 100, running: SESSIONS / 50 };
  try {
    await fill();

    // Once to the end: how long the transaction takes, from the trace.
    const began = new RegExp(`deleting sessions of ${farm.farmId}: began`);
    const committed = new RegExp(`deleting sessions of ${farm.farmId}: committed in ([\\d.]+) ms`);
    const done = await deleteSessions(ft.url, farm.farmId, RANGE);
    assert.deepEqual([done.status, done.body.deleted], [200, SESSIONS], done.text);
    const commitMs = Number((await whenOutput(ft, committed))[1]);
    t.diagnostic(`deleting ${SESSIONS} sessions took ${commitMs} ms`);

    const outcomes: string[] = [];
    let present = false;
    // Random moments, mostly inside the transaction, now and then past its commit; and last,
    // as soon as the trace says committed (the writer reading its memory again, no answer yet):
    // the kill that once left DuckDB's job index wrong (migrations.ts, rebuildJobKeys).
    for (let kill = 0; kill <= KILLS; kill++) {
      if (!present) await fill();
      const outputBefore = ft.output().length;
      const request = deleteSessions(ft.url, farm.farmId, RANGE).catch(() => undefined);
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
      const after = await stored(dataDir, farm.farmId);
      present = after.sessions > 0;
      outcomes.push(`kill ${kill} ${atCommit ? 'at the commit' : `at ${delayMs} ms`}: ${present ? 'all there' : 'all gone'}${wasCommitted ? ' (the trace had said committed)' : ''}`);
      assert.deepEqual(after, present ? all : { sessions: 0, jobs: 0, running: 0 }, `kill ${kill} at ${delayMs} ms left a part`);
      if (answered || wasCommitted) assert.equal(present, false, 'a committed deletion stays done');
      const bystanding = await stored(dataDir, bystander.farmId);
      assert.deepEqual(bystanding, { sessions: 2, jobs: 2, running: 1 }, 'another farm is untouched');
      ft = await startFarmtally({ dataDir, env: ENV });
    }
    for (const outcome of outcomes) t.diagnostic(outcome);
    assert.equal(present, false, 'the kill after the commit found the deletion done');
    // The server works on what is left: the same sessions and jobs are taken again, whole.
    await fill();
    const last = await deleteSessions(ft.url, farm.farmId, { ...RANGE, dryRun: true });
    assert.equal(last.body.matched, SESSIONS);
  } finally {
    await ft.stop(false);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
