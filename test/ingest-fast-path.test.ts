// Session ingest's fast path (the store stages a spooled NDJSON body in one go) against the
// careful path (record by record, FARMTALLY_INGEST_FAST_PATH=off): two servers started on
// copies of the same data folder get the same seeded batches, valid and subtly invalid, and
// must give the same answers byte for byte and keep the same sessions and jobs. A trace
// (FARMTALLY_INGEST_TRACE) shows which path staged each batch, so a fast path that never
// runs fails here too. For a longer search: FUZZ_SEED=7 FUZZ_BATCHES=3000 npm test -- test/ingest-fast-path.test.ts
import assert from 'node:assert/strict';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CreateFleetCommand, CreateQueueCommand, GetSessionCommand, paginateListJobs, paginateListSessions, type DeadlineClient } from '@aws-sdk/client-deadline';
import { fuzzBatches, random, type FuzzParents } from './support/ingest-fuzz.js';
import { newDataDir, readDataFile, startFarmtally, type Farmtally } from './support/server.js';
import { answerCounts, farmWithParents, numberedRecord, toNdjson, type FarmParents } from './support/session-records.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const BATCHES = Number(process.env.FUZZ_BATCHES ?? 160);
const FAST_ENV = { FARMTALLY_INGEST_TRACE: '1' };
// The fast server stages every body (no group commit), so the bulk load sees even small ones; the careful one reads
// them record by record and writes small ones by group commit: the two ways in are held against each other.
const CAREFUL_ENV = { FARMTALLY_INGEST_TRACE: '1', FARMTALLY_INGEST_FAST_PATH: 'off' };

let fast: Farmtally;
let careful: Farmtally;
let farm: FarmParents;
let parents: FuzzParents;

async function addQueueAndFleet(client: DeadlineClient, farmId: string): Promise<{ queueId: string; fleetId: string }> {
  const { queueId } = await client.send(new CreateQueueCommand({ farmId, displayName: 'second queue' }));
  const { fleetId } = await client.send(
    new CreateFleetCommand({
      farmId,
      displayName: 'second fleet',
      roleArn: 'arn:aws:iam::123456789012:role/FleetRole',
      maxWorkerCount: 2,
      configuration: { customerManaged: { mode: 'NO_SCALING', workerCapabilities: { vCpuCount: { min: 1 }, memoryMiB: { min: 1024 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' } } },
    }),
  );
  return { queueId: queueId!, fleetId: fleetId! };
}

before(async () => {
  // The farm first, on one server; then both servers on copies of that data folder, so every
  // ID is the same on both and the same request bodies mean the same thing.
  const first = await startFarmtally();
  farm = await farmWithParents(first.client, 'fast path');
  const second = await addQueueAndFleet(first.client, farm.farmId);
  const foreign = await farmWithParents(first.client, 'foreign');
  await first.stop(false);
  const copy = newDataDir();
  cpSync(first.dataDir, copy, { recursive: true });
  fast = await startFarmtally({ dataDir: first.dataDir, env: FAST_ENV, args: ['--group-commit-bytes', '0'] });
  careful = await startFarmtally({ dataDir: copy, env: CAREFUL_ENV });
  parents = { queueIds: [farm.queueId, second.queueId], fleetIds: [farm.fleetId, second.fleetId], foreignQueueId: foreign.queueId, foreignFleetId: foreign.fleetId };
});
after(async () => {
  await fast?.stop();
  await careful?.stop();
});

interface Answer {
  status: number;
  errorType: string | null;
  text: string;
}

async function post(ft: Farmtally, body: Buffer, gzip = false): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (gzip) headers['content-encoding'] = 'gzip';
  const res = await fetch(`${ft.url}/ingest/v1/farms/${farm.farmId}/sessions`, { method: 'POST', body, headers });
  return { status: res.status, errorType: res.headers.get('x-amzn-errortype'), text: await res.text() };
}

const BULK = /records staged by the bulk load/g;
const bulkLoads = (ft: Farmtally) => ft.output().match(BULK)?.length ?? 0;

/** Waits for the server's trace to show `count` bulk loads (its stderr may trail the answer a little). */
async function bulkLoadsReach(ft: Farmtally, count: number): Promise<boolean> {
  for (let waited = 0; waited < 5000; waited += 20) {
    if (bulkLoads(ft) >= count) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** Sends one batch to both servers; their answers must be identical. */
async function both(body: Buffer, label: string, gzip = false): Promise<Answer> {
  const a = await post(fast, body, gzip);
  const b = await post(careful, body, gzip);
  assert.deepEqual(a, b, `${label}: the fast path answered otherwise than the careful path\nbody: ${body.subarray(0, 600).toString('latin1')}`);
  return a;
}

describe('ingest fast path: the same answers as the careful path', () => {
  test('a plain valid batch is staged by the bulk load; odd batches are read record by record', async () => {
    const before = bulkLoads(fast);
    const records = Array.from({ length: 300 }, (_, i) => numberedRecord(farm, i, 7));
    const answer = await both(Buffer.from(toNdjson(records)), 'plain');
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answerCounts(JSON.parse(answer.text)), { received: 300, created: 300, updated: 0, unchanged: 0 });
    assert.ok(await bulkLoadsReach(fast, before + 1), `no bulk load in the trace:\n${fast.output().slice(-2000)}`);
    assert.match(fast.output(), new RegExp(`ingest into ${farm.farmId} \\(request [^)]+\\): 300 records staged by the bulk load`));
    // The same records again, now with a trailing comma on one line: the careful path reads
    // them (and refuses that line, as JSON.parse does).
    const lines = toNdjson(records).split('\n');
    lines[5] = lines[5]!.replace(/}$/, ',}');
    const lenient = await both(Buffer.from(lines.join('\n')), 'trailing comma');
    assert.equal(lenient.status, 400);
    assert.match(lenient.text, /records\.6/);
    assert.match(fast.output(), /read record by record: 1 line\(s\) with escapes, non-ASCII, lenient JSON, a mistyped member or no object/);
    assert.equal(bulkLoads(careful), 0, 'the server without the fast path staged a batch by the bulk load');
  });

  test('a body of one digit and no line end is refused as the careful path refuses it (DuckDB reads it as no records)', async () => {
    for (const body of ['1', '0', ' 7 ', '\n\n5']) {
      const answer = await both(Buffer.from(body), JSON.stringify(body));
      assert.equal(answer.status, 400, `${JSON.stringify(body)}: ${answer.text}`);
      assert.match(answer.text, /not a JSON object/);
    }
    assert.match(fast.output(), /read record by record: the reader found 0 records in 1 lines that are not blank/);
  });

  test('seeded batches, valid and subtly invalid, get the same answers from both paths', async (t) => {
    const outcomes = new Map<string, number>();
    let plain = 0;
    for (const batch of fuzzBatches(SEED, parents, BATCHES)) {
      const seen = bulkLoads(fast);
      const answer = await both(batch.body, batch.label, batch.gzip);
      const outcome = answer.status === 200 ? 'accepted' : `${answer.status} ${answer.errorType}`;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (batch.plain) {
        plain++;
        assert.equal(answer.status, 200, `${batch.label}: ${answer.text}`);
        assert.ok(await bulkLoadsReach(fast, seen + 1), `${batch.label}: a plain batch was not staged by the bulk load\n${fast.output().slice(-1500)}`);
      }
    }
    t.diagnostic(`${[...outcomes].map(([k, n]) => `${n} ${k}`).join(', ')}; ${plain} plain batches, ${bulkLoads(fast)} bulk loads in all`);
    const reasons = new Map<string, number>();
    for (const m of fast.output().matchAll(/read record by record: ([^"\n]*)/g)) {
      const reason = m[1]!.replace(/\d+/g, 'N').replace(/"[^"]*"/g, '"…"').slice(0, 90);
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
    t.diagnostic(`why the careful path: ${[...reasons].map(([k, n]) => `${n}× ${k}`).join('; ')}`);
    assert.ok((outcomes.get('accepted') ?? 0) > BATCHES / 2 && (outcomes.get('400 ValidationException') ?? 0) > BATCHES / 6, 'the generator should make both kinds');
  });

  test('a batch larger than one read buffer (32 MiB) keeps its order: the last copy of a session and of a job name wins', async () => {
    // Sessions and job names that change along the batch, so that staging out of order would
    // keep another copy; DuckDB reads a file this size in several parts in parallel.
    const r = random(SEED + 1);
    const lines: string[] = [];
    const total = 120_000;
    for (let i = 0; i < total; i++) {
      const record = numberedRecord(farm, i % 40_000, 9);
      const pass = Math.floor(i / 40_000);
      record.jobName = `job ${Math.floor((i % 40_000) / 100)} pass ${pass}`;
      if (pass === 1 && r.chance(0.5)) delete record.endedAt;
      if (pass === 2) record.licenseProducts = r.chance(0.5) ? ['nuke', 'maya', 'nuke'] : [];
      lines.push(JSON.stringify(record));
    }
    const seen = bulkLoads(fast);
    const answer = await both(Buffer.from(lines.join('\n') + '\n'), 'large batch');
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answerCounts(JSON.parse(answer.text)), { received: total, created: 40_000, updated: 0, unchanged: 0 });
    assert.ok(await bulkLoadsReach(fast, seen + 1), 'the large batch was not staged by the bulk load');
  });

  test('spooled bodies are deleted however the request ends: accepted, rejected, cut off, not unzipping', async () => {
    const spool = join(fast.dataDir, 'spool');
    const records = Array.from({ length: 2000 }, (_, i) => numberedRecord(farm, i, 11));
    // To both servers what writes, so that they keep holding the same; the rest writes nothing.
    await both(Buffer.from(toNdjson(records)), 'accepted');
    await post(fast, Buffer.from(toNdjson(records) + '{"sessionId": 1}\n'));
    await post(fast, gzipSync(Buffer.from(toNdjson(records))).subarray(0, 300), true);
    await new Promise<void>((resolve) => {
      const req = request(`${fast.url}/ingest/v1/farms/${farm.farmId}/sessions`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' } });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(toNdjson(records.slice(0, 1000)), () => setTimeout(() => req.destroy(), 200));
    });
    let left: string[] = [];
    for (let waited = 0; waited < 5000; waited += 50) {
      left = readdirSync(spool);
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(left, []);
    assert.doesNotMatch(fast.output(), /internal error/);
  });

  test('both servers keep the same sessions and jobs (SDK listings, then every stored column)', async () => {
    // Every job (less the times of its own writes), and the sessions of every 20th job.
    const listed = async (ft: Farmtally) => {
      const out: unknown[] = [];
      for (const queueId of parents.queueIds) {
        for await (const page of paginateListJobs({ client: ft.client, pageSize: 100 }, { farmId: farm.farmId, queueId })) {
          for (const job of page.jobs ?? []) {
            const { createdAt, updatedAt, ...stable } = job;
            const sessions: unknown[] = [];
            if (out.length % 20 === 0) {
              for await (const s of paginateListSessions({ client: ft.client, pageSize: 100 }, { farmId: farm.farmId, queueId, jobId: job.jobId! })) {
                for (const session of s.sessions ?? []) {
                  const { updatedAt: _, ...rest } = session;
                  sessions.push(rest);
                }
              }
            }
            out.push({ queueId, ...stable, sessions });
          }
        }
      }
      return out;
    };
    const [a, b] = [await listed(fast), await listed(careful)];
    assert.ok(a.length > 100, `only ${a.length} jobs`);
    assert.deepEqual(a, b);
    const sample = (a as { queueId: string; jobId: string; sessions: { sessionId: string }[] }[]).filter((j) => j.sessions.length).slice(0, 20);
    for (const job of sample) {
      for (const s of job.sessions.slice(0, 3)) {
        const input = { farmId: farm.farmId, queueId: job.queueId, jobId: job.jobId, sessionId: s.sessionId };
        const [x, y] = [await fast.client.send(new GetSessionCommand(input)), await careful.client.send(new GetSessionCommand(input))];
        assert.deepEqual({ ...x, $metadata: undefined, updatedAt: undefined }, { ...y, $metadata: undefined, updatedAt: undefined });
      }
    }

    // License products are in no SDK output: the stored rows themselves, once both have stopped.
    await fast.stop(false);
    await careful.stop(false);
    const rows = (dataDir: string) =>
      readDataFile(dataDir, async (query) => {
        const read = async (sql: string) => JSON.stringify(await query(sql));
        const sessions = await read(`SELECT farm_id, session_id, queue_id, job_id, job_name, user_id, fleet_id, worker_id, instance_type, started_at, ended_at,
          license_products FROM sessions ORDER BY farm_id, session_id`);
        const jobs = await read(`SELECT farm_id, queue_id, job_id, name, user_id, started_at, ended_at FROM jobs ORDER BY farm_id, job_id`);
        // Every job with sessions, and no other, spans its sessions: the first start, and the
        // last end unless one of them runs (ingest extends spans batch by batch).
        const offSpan = await read(`SELECT * FROM (
            SELECT farm_id, job_id, min(started_at) AS started_at, CASE WHEN count(ended_at) = count(*) THEN max(ended_at) END AS ended_at
            FROM sessions GROUP BY farm_id, job_id) spanned
          FULL JOIN jobs USING (farm_id, job_id)
          WHERE spanned.started_at IS DISTINCT FROM jobs.started_at OR spanned.ended_at IS DISTINCT FROM jobs.ended_at LIMIT 5`);
        return { sessions, jobs, offSpan };
      });
    const [x, y] = [await rows(fast.dataDir), await rows(careful.dataDir)];
    rmSync(fast.dataDir, { recursive: true, force: true });
    rmSync(careful.dataDir, { recursive: true, force: true });
    assert.ok(x.sessions.length > 1000);
    assert.equal(x.sessions, y.sessions, 'the stored sessions differ');
    assert.equal(x.jobs, y.jobs, 'the stored jobs differ');
    assert.equal(x.offSpan, '[]', 'jobs whose span is not that of their sessions');
  });
});
