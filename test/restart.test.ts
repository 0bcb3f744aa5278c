// Data survives a restart: a server stopped with SIGTERM and a new one started on the same
// data folder hold the same farm and sessions.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { GetFarmCommand, GetJobCommand, GetSessionCommand } from '@aws-sdk/client-deadline';
import { startFarmtally } from './support/server.js';
import { answerCounts, farmWithParents, numberedRecord, postSessions, toNdjson } from './support/session-records.js';

test('farm, sessions and jobs are there after SIGTERM and a restart on the same data folder', async () => {
  const first = await startFarmtally();
  const farm = await farmWithParents(first.client, 'durable');
  const records = Array.from({ length: 1000 }, (_, i) => numberedRecord(farm, i));
  records[7] = { ...records[7]!, endedAt: undefined };
  const sent = await postSessions(first.url, farm.farmId, toNdjson(records));
  assert.equal(sent.status, 200, sent.text);
  assert.equal(sent.body.created, 1000);
  assert.equal(await first.stop(false), 0, first.output());

  const second = await startFarmtally({ dataDir: first.dataDir });
  try {
    assert.equal((await second.client.send(new GetFarmCommand({ farmId: farm.farmId }))).displayName, 'durable');
    // Every record is already stored exactly as sent.
    const again = await postSessions(second.url, farm.farmId, toNdjson(records));
    assert.deepEqual(answerCounts(again.body), { received: 1000, created: 0, updated: 0, unchanged: 1000 });
    const running = records[7]!;
    const session = await second.client.send(new GetSessionCommand({ farmId: farm.farmId, queueId: running.queueId, jobId: running.jobId, sessionId: running.sessionId }));
    assert.equal(session.lifecycleStatus, 'STARTED');
    const job = await second.client.send(new GetJobCommand({ farmId: farm.farmId, queueId: running.queueId, jobId: running.jobId }));
    assert.equal(job.name, running.jobName);
    assert.equal(job.endedAt, undefined);
  } finally {
    await second.stop(false);
    rmSync(first.dataDir, { recursive: true, force: true });
  }
});
