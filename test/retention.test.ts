// serve --retain-days N (FARMTALLY_RETAIN_DAYS): at start-up, before it listens, the server
// deletes every farm's sessions that ended more than N days ago, and logs one line with how
// many; running sessions stay, whenever they started. (Then again every 24 hours.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GetJobCommand } from '@aws-sdk/client-deadline';
import { expectedPerQueue, sessionsPerQueue } from './support/deletions.js';
import { farmtally } from './support/cli.js';
import { startFarmtally } from './support/server.js';
import { farmWithParents, postSessions, sessionRecord, toNdjson, type FarmParents, type IngestRecord } from './support/session-records.js';

const DAY = 24 * 3_600_000;

/** A session that ended `daysAgo` days ago (an hour long), or started then and runs still. */
function endedDaysAgo(p: FarmParents, daysAgo: number, overrides: Partial<IngestRecord> & { running?: boolean } = {}): IngestRecord {
  const { running, ...rest } = overrides;
  const end = Date.now() - daysAgo * DAY;
  const record = sessionRecord(p, { startedAt: new Date(end - 3_600_000).toISOString(), endedAt: new Date(end).toISOString(), ...rest });
  if (running) delete (record as Partial<IngestRecord>).endedAt;
  return record;
}

test('--retain-days at start-up deletes exactly the sessions that ended before then, keeps running ones, and logs it', async () => {
  const ft = await startFarmtally();
  const a = await farmWithParents(ft.client, 'retention A');
  const b = await farmWithParents(ft.client, 'retention B');
  const keptJob = endedDaysAgo(a, 0).jobId;
  const old = [endedDaysAgo(a, 400), endedDaysAgo(a, 31), endedDaysAgo(a, 40, { jobId: keptJob }), endedDaysAgo(b, 100)];
  const young = [endedDaysAgo(a, 29), endedDaysAgo(a, 2, { jobId: keptJob }), endedDaysAgo(a, 400, { running: true }), endedDaysAgo(b, 1)];
  for (const p of [a, b]) {
    const res = await postSessions(ft.url, p.farmId, toNdjson([...old, ...young].filter((r) => r.queueId === p.queueId)));
    assert.equal(res.status, 200, res.text);
  }
  await ft.stop(false);

  const again = await startFarmtally({ dataDir: ft.dataDir, env: { FARMTALLY_RETAIN_DAYS: '30' } });
  try {
    const line = again.output().split('\n').find((l) => /"msg":"retention: /.test(l));
    assert.ok(line, again.output());
    const logged = JSON.parse(line);
    assert.deepEqual([logged.retainDays, logged.sessionsDeleted, logged.jobsDeleted], [30, 4, 3]);
    assert.match(logged.msg, /4 sessions that ended more than 30 days ago deleted/);
    for (const p of [a, b]) {
      assert.deepEqual(await sessionsPerQueue(again.client, p.farmId, [p.queueId]), expectedPerQueue(young.filter((r) => r.queueId === p.queueId), [p.queueId]));
    }
    // The job with an old and a young session keeps the young one's span.
    const job = await again.client.send(new GetJobCommand({ farmId: a.farmId, queueId: a.queueId, jobId: keptJob }));
    assert.equal(job.startedAt?.toISOString(), young[1]!.startedAt);
    // The log's line came before the server said it listens: nothing older was served.
    assert.ok(again.output().indexOf('"msg":"retention: ') < again.output().indexOf('farmtally listening on'));
  } finally {
    await again.stop();
  }
});

test('--retain-days takes a whole number of days, at least 1', async () => {
  for (const value of ['0', '1.5', 'week']) {
    const run = await farmtally(['serve', '--port', '0', '--retain-days', value]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--retain-days.*whole number of days, at least 1/);
  }
});
