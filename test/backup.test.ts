// Backups (issue 17): `farmtally backup --endpoint` copies a running server's data while
// ingest goes on, and the copy holds every batch acknowledged before the backup began and
// no batch in part; `serve --data` on the copy restores it; `--data` backs up a stopped
// folder (and refuses one a server holds); in sigv4 mode only a principal granted every
// farm may take a backup.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GetSessionCommand } from '@aws-sdk/client-deadline';
import { farmtally } from './support/cli.js';
import { countSessions } from './support/count-sessions.js';
import { readDataFile, startFarmtally } from './support/server.js';
import { farmWithParents, numberedRecord, postSessions, toNdjson, type FarmParents } from './support/session-records.js';
import { clientAs, principal, startSigv4 } from './support/sigv4.js';

const SMALL = 5;
const batchRecords = (farm: FarmParents, b: number) => Array.from({ length: SMALL }, (_, k) => numberedRecord(farm, b * SMALL + k, 1));
const sessionIdsIn = (copyDir: string, farmId: string) =>
  readDataFile(copyDir, async (q) => new Set((await q(`SELECT session_id FROM sessions WHERE farm_id = '${farmId}'`)).map((r) => (r as { session_id: string }).session_id)));

interface Sent {
  batch: number;
  sentAt: number;
  ackedAt: number;
}

test('a backup under concurrent ingest holds every batch acknowledged before it began, none in part, and restores', async () => {
  const ft = await startFarmtally();
  const toDir = join(mkdtempSync(join(tmpdir(), 'farmtally-backup-')), 'copy');
  try {
    const farm = await farmWithParents(ft.client, 'backup');
    // A history, so the copy takes a while.
    const history = Array.from({ length: 60_000 }, (_, i) => numberedRecord(farm, i, 3));
    assert.equal((await postSessions(ft.url, farm.farmId, toNdjson(history))).status, 200);

    // Small batches from four clients, one after another each, all through the backup.
    const acked: Sent[] = [];
    let next = 0;
    let stop = false;
    const feed = async () => {
      while (!stop) {
        const batch = next++;
        const sentAt = Date.now();
        const answer = await postSessions(ft.url, farm.farmId, toNdjson(batchRecords(farm, batch)));
        assert.equal(answer.status, 200, answer.text);
        acked.push({ batch, sentAt, ackedAt: Date.now() });
      }
    };
    const feeders = [feed(), feed(), feed(), feed()];
    // And a large batch (the bulk path's merge) under way when the backup starts.
    const large = postSessions(ft.url, farm.farmId, toNdjson(Array.from({ length: 30_000 }, (_, i) => numberedRecord(farm, i, 2))));
    while (acked.length < 20) await new Promise((r) => setTimeout(r, 20));

    const began = Date.now();
    const run = await farmtally(['backup', '--endpoint', ft.url, '--to', toDir]);
    const ended = Date.now();
    stop = true;
    await Promise.all(feeders);
    assert.equal((await large).status, 200);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Backed up \d+ sessions to .*farmtally\.duckdb/);
    assert.match(run.stdout, /farmtally serve --data/);
    assert.deepEqual(readdirSync(toDir), ['farmtally.duckdb'], 'only the data file, no partial or WAL');

    const stored = await sessionIdsIn(toDir, farm.farmId);
    const present = (farmRecords: { sessionId: string }[]) => farmRecords.filter((r) => stored.has(r.sessionId)).length;
    assert.equal(present(history), history.length, 'the history is in the copy');
    const largePresent = present(Array.from({ length: 30_000 }, (_, i) => numberedRecord(farm, i, 2)));
    assert.ok(largePresent === 0 || largePresent === 30_000, `the large batch is in the copy whole or not at all (${largePresent} of 30000)`);
    let during = 0;
    for (const sent of acked) {
      const n = present(batchRecords(farm, sent.batch));
      assert.ok(n === 0 || n === SMALL, `batch ${sent.batch}: ${n} of its ${SMALL} sessions in the copy`);
      if (sent.ackedAt < began) assert.equal(n, SMALL, `batch ${sent.batch}, acknowledged before the backup began, is in the copy`);
      if (sent.sentAt > ended) assert.equal(n, 0, `batch ${sent.batch}, sent after the backup ended, is not in the copy`);
      if (sent.ackedAt > began && sent.sentAt < ended) during++;
    }
    assert.ok(during > 0, 'some batches were acknowledged while the backup ran');
    assert.ok(acked.some((s) => s.ackedAt < began));

    // The copy restores as a server of its own with the same sessions (the source stopped, its folder kept).
    await ft.stop(false);
    const restored = await startFarmtally({ dataDir: toDir });
    try {
      const queueIds = [farm.queueId];
      assert.equal((await countSessions(restored.client, farm.farmId, queueIds)).count, stored.size);
      const one = history[12_345]!;
      const got = await restored.client.send(new GetSessionCommand({ farmId: farm.farmId, queueId: farm.queueId, jobId: one.jobId, sessionId: one.sessionId }));
      assert.equal(got.sessionId, one.sessionId);
    } finally {
      await restored.stop();
    }

    // A stopped folder: --data copies it whole (the source stopped with everything acknowledged).
    const stoppedCopy = join(toDir, '..', 'stopped');
    const offline = await farmtally(['backup', '--data', ft.dataDir, '--to', stoppedCopy]);
    assert.equal(offline.code, 0, offline.stderr);
    const all = await sessionIdsIn(stoppedCopy, farm.farmId);
    assert.equal(all.size, history.length + 30_000 + acked.length * SMALL);
    // Never over an existing copy.
    const again = await farmtally(['backup', '--data', ft.dataDir, '--to', stoppedCopy]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /never overwrites/);
  } finally {
    await ft.stop();
  }
});

test('backup --data refuses a folder a server is using, and names --endpoint', async () => {
  const ft = await startFarmtally();
  try {
    const run = await farmtally(['backup', '--data', ft.dataDir, '--to', join(mkdtempSync(join(tmpdir(), 'farmtally-backup-')), 'x')]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /a farmtally server is using .* farmtally backup --endpoint URL/);
  } finally {
    await ft.stop();
  }
});

test('sigv4: a backup needs deadline:CreateBackup and every farm', async () => {
  const admin = principal('admin');
  const oneFarm = principal('one-farm', ['deadline:*'], ['farm-0123456789abcdef0123456789abcdef']);
  const noGrant = principal('reader', ['deadline:Get*', 'deadline:List*']);
  const { ft } = await startSigv4([admin, oneFarm, noGrant]);
  try {
    await farmWithParents(clientAs(ft.url, admin), 'signed');
    const as = (p: typeof admin, to: string) =>
      farmtally(['backup', '--endpoint', ft.url, '--to', to], { ...process.env, AWS_ACCESS_KEY_ID: p.accessKeyId, AWS_SECRET_ACCESS_KEY: p.secretAccessKey, AWS_PROFILE: '' });
    const dir = mkdtempSync(join(tmpdir(), 'farmtally-backup-'));
    for (const [p, because] of [
      [oneFarm, /every farm/],
      [noGrant, /no allow entry of reader matches deadline:CreateBackup/],
    ] as const) {
      const refused = await as(p, join(dir, p.name));
      assert.equal(refused.code, 1, refused.stdout);
      assert.match(refused.stderr, /AccessDeniedException/);
      assert.match(refused.stderr, because);
      assert.equal(existsSync(join(dir, p.name, 'farmtally.duckdb')), false);
    }
    const done = await as(admin, join(dir, 'admin'));
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /Backed up 0 sessions/);
  } finally {
    await ft.stop();
  }
});
