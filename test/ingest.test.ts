// The session ingest route through the real server: records go in as NDJSON or CSV and are
// read back through the SDK (GetSession, GetJob) or by re-sending them (created, updated,
// unchanged say what the store holds).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { GetFarmCommand, GetJobCommand, GetSessionCommand, ListSessionsCommand } from '@aws-sdk/client-deadline';
import { newId } from '../src/domain/resources.js';
import { rejectsNotFound } from './support/service-errors.js';
import { http, startFarmtally, type Farmtally, type RawResponse } from './support/server.js';
import {
  answerCounts, farmWithParents, numberedRecord, postSessions, sessionRecord, toCsv, toNdjson, type FarmParents, type IngestCounts, type IngestRecord,
} from './support/session-records.js';

let ft: Farmtally;
let farm: FarmParents;
before(async () => {
  ft = await startFarmtally();
  farm = await farmWithParents(ft.client);
});
after(async () => ft.stop());

async function ingest(body: string, contentType?: string, farmId = farm.farmId): Promise<IngestCounts> {
  const res = await postSessions(ft.url, farmId, body, contentType);
  assert.equal(res.status, 200, res.text);
  return answerCounts(res.body);
}

/** Asserts a rejected batch: ValidationException naming exactly `fields`; returns the response. */
async function rejected(body: string, fields: string[], contentType?: string): Promise<RawResponse> {
  const res = await postSessions(ft.url, farm.farmId, body, contentType);
  assert.equal(res.status, 400, res.text);
  assert.equal(res.headers.get('x-amzn-errortype'), 'ValidationException');
  assert.equal(res.body.reason, 'FIELD_VALIDATION_FAILED');
  assert.deepEqual(res.body.fieldList.map((f: { name: string }) => f.name), fields, res.text);
  assert.match(res.body.message, /nothing was written/);
  return res;
}

const getSession = (r: IngestRecord) => ft.client.send(new GetSessionCommand({ farmId: farm.farmId, queueId: r.queueId, jobId: r.jobId, sessionId: r.sessionId }));
const getJob = (r: IngestRecord) => ft.client.send(new GetJobCommand({ farmId: farm.farmId, queueId: r.queueId, jobId: r.jobId }));

describe('ingest: NDJSON and CSV', () => {
  test('NDJSON records are created, then unchanged when sent again, and readable through the SDK', async () => {
    const job = newId('job');
    const running = sessionRecord(farm, { jobId: job, endedAt: undefined, instanceType: undefined, startedAt: '2025-03-01T09:00:00.123456789+01:00' });
    const ended = sessionRecord(farm, { jobId: job, licenseProducts: ['nuke', 'maya'] });
    const other = sessionRecord(farm);
    // Blank lines are skipped; CRLF line ends are read like LF.
    const body = `${JSON.stringify(running)}\r\n\n${JSON.stringify(ended)}\n   \n${JSON.stringify(other)}`;
    assert.deepEqual(await ingest(body), { received: 3, created: 3, updated: 0, unchanged: 0 });
    assert.deepEqual(await ingest(body), { received: 3, created: 0, updated: 0, unchanged: 3 });

    const live = await getSession(running);
    assert.equal(live.lifecycleStatus, 'STARTED');
    assert.deepEqual(live.startedAt, new Date('2025-03-01T08:00:00.123Z'));
    assert.equal(live.endedAt, undefined);
    assert.equal(live.hostProperties, undefined);
    const done = await getSession(ended);
    assert.equal(done.lifecycleStatus, 'ENDED');
    assert.deepEqual(done.endedAt, new Date(ended.endedAt!));
    assert.equal(done.workerId, ended.workerId);
    assert.equal(done.fleetId, farm.fleetId);
    assert.deepEqual(done.hostProperties, { ec2InstanceType: 'c5.4xlarge' });
    const listed = await ft.client.send(new ListSessionsCommand({ farmId: farm.farmId, queueId: farm.queueId, jobId: job }));
    assert.deepEqual(listed.sessions!.map((s) => s.sessionId).sort(), [running.sessionId, ended.sessionId].sort());
    // The job started with its first session and has not ended: one of its sessions runs.
    const got = await getJob(running);
    assert.equal(got.name, running.jobName);
    assert.equal(got.createdBy, running.userId);
    assert.deepEqual(got.startedAt, new Date('2025-03-01T08:00:00.123Z'));
    assert.equal(got.endedAt, undefined);
  });

  test('sending a running session again with endedAt closes it (updated) and ends its job', async () => {
    const job = newId('job');
    const first = sessionRecord(farm, { jobId: job, startedAt: '2025-04-01T00:00:00Z', endedAt: '2025-04-01T01:00:00Z' });
    const running = sessionRecord(farm, { jobId: job, startedAt: '2025-04-01T00:30:00Z', endedAt: undefined });
    assert.deepEqual(await ingest(toNdjson([first, running])), { received: 2, created: 2, updated: 0, unchanged: 0 });
    assert.equal((await getJob(first)).endedAt, undefined);

    const closed = { ...running, endedAt: '2025-04-01T03:00:00Z' };
    assert.deepEqual(await ingest(toNdjson([first, closed])), { received: 2, created: 0, updated: 1, unchanged: 1 });
    assert.equal((await getSession(running)).lifecycleStatus, 'ENDED');
    assert.deepEqual((await getSession(running)).endedAt, new Date('2025-04-01T03:00:00Z'));
    const endedJob = await getJob(first);
    assert.deepEqual(endedJob.endedAt, new Date('2025-04-01T03:00:00Z'));
    assert.deepEqual(endedJob.startedAt, new Date('2025-04-01T00:00:00Z'));
  });

  test('the last of duplicate records in a batch wins, and a job takes its name and user from its last record', async () => {
    const running = sessionRecord(farm, { endedAt: undefined, jobName: 'first name', userId: 'ana' });
    const closed = { ...running, endedAt: '2025-03-01T12:00:00Z', jobName: 'final name', userId: 'ben' };
    assert.deepEqual(await ingest(toNdjson([running, closed])), { received: 2, created: 1, updated: 0, unchanged: 0 });
    assert.deepEqual((await getSession(running)).endedAt, new Date('2025-03-01T12:00:00Z'));
    const job = await getJob(running);
    assert.equal(job.name, 'final name');
    assert.equal(job.createdBy, 'ben');
    assert.deepEqual(await ingest(toNdjson([closed, running])), { received: 2, created: 0, updated: 1, unchanged: 0 });
    assert.equal((await getSession(running)).endedAt, undefined);
  });

  test("a job's span follows its sessions batch by batch: new ones extend it, updates recompute it", async () => {
    const jobId = newId('job');
    const at = (hhmm: string) => `2025-05-01T${hhmm}:00Z`;
    const session = (started: string, ended?: string) => sessionRecord(farm, { jobId, startedAt: at(started), endedAt: ended && at(ended) });
    const a = session('10:00', '11:00');
    const span = async () => {
      const job = await getJob(a);
      return [job.startedAt?.toISOString().slice(11, 16), job.endedAt?.toISOString().slice(11, 16)];
    };
    await ingest(toNdjson([a]));
    assert.deepEqual(await span(), ['10:00', '11:00']);
    await ingest(toNdjson([session('09:00', '10:30')])); // starts earlier, ends inside
    assert.deepEqual(await span(), ['09:00', '11:00']);
    await ingest(toNdjson([session('12:00', '13:00')]));
    assert.deepEqual(await span(), ['09:00', '13:00']);
    const running = session('14:00');
    await ingest(toNdjson([running]));
    assert.deepEqual(await span(), ['09:00', undefined]);
    const e = session('15:00', '16:00'); // ends, but the running one still runs
    await ingest(toNdjson([e]));
    assert.deepEqual(await span(), ['09:00', undefined]);
    await ingest(toNdjson([{ ...running, endedAt: at('17:00') }]));
    assert.deepEqual(await span(), ['09:00', '17:00']);
    // An update that shortens the last session, and a move that takes the running one away.
    await ingest(toNdjson([{ ...running, jobId: newId('job') }, { ...e, endedAt: at('15:30') }]));
    assert.deepEqual(await span(), ['09:00', '15:30']);
    // A batch of new sessions and an update of the same job at once.
    await ingest(toNdjson([session('08:00', '08:30'), { ...a, endedAt: at('18:00') }]));
    assert.deepEqual(await span(), ['08:00', '18:00']);
  });

  test('a session moved to another job leaves its old job (now without sessions) behind: the old job is gone', async () => {
    const record = sessionRecord(farm);
    await ingest(toNdjson([record]));
    const moved = { ...record, jobId: newId('job'), jobName: 'renamed' };
    assert.deepEqual(await ingest(toNdjson([moved])), { received: 1, created: 0, updated: 1, unchanged: 0 });
    assert.equal((await getJob(moved)).name, 'renamed');
    await rejectsNotFound(getJob(record), 'job', record.jobId);
  });

  test('CSV: columns in any order, empty cells absent, quoted cells, `;` between license products; the same records as NDJSON', async () => {
    const records = [
      sessionRecord(farm, { jobName: 'comp, "final" v2', licenseProducts: ['maya', 'nuke'] }),
      sessionRecord(farm, { jobName: 'two\nlines', endedAt: undefined, instanceType: undefined }),
      sessionRecord(farm, { licenseProducts: undefined }),
    ];
    const columns = ['endedAt', 'licenseProducts', 'userId', 'sessionId', 'queueId', 'jobId', 'jobName', 'fleetId', 'workerId', 'instanceType', 'startedAt'];
    const csv = toCsv(records, columns, '\r\n');
    assert.deepEqual(await ingest(csv, 'text/csv; charset=utf-8'), { received: 3, created: 3, updated: 0, unchanged: 0 });
    // The same facts as NDJSON, products in another order and repeated: nothing changes.
    const same = records.map((r) => (r.licenseProducts ? { ...r, licenseProducts: [...r.licenseProducts].reverse().concat(r.licenseProducts) } : r));
    assert.deepEqual(await ingest(toNdjson(same)), { received: 3, created: 0, updated: 0, unchanged: 3 });
    assert.equal((await getJob(records[0]!)).name, 'comp, "final" v2');
    assert.equal((await getJob(records[1]!)).name, 'two\nlines');
    const running = await getSession(records[1]!);
    assert.equal(running.endedAt, undefined);
    assert.equal(running.hostProperties, undefined);
    // Spaces around `;` are not part of a product's name.
    const spaced = toCsv([records[0]!]).replace('maya;nuke', ' nuke ; maya');
    assert.deepEqual(await ingest(spaced, 'text/csv'), { received: 1, created: 0, updated: 0, unchanged: 1 });
  });

  test('a gzip body is unzipped as it streams; a corrupt one is refused', async () => {
    const records = Array.from({ length: 500 }, () => sessionRecord(farm));
    const send = (body: Uint8Array) =>
      fetch(`${ft.url}/ingest/v1/farms/${farm.farmId}/sessions`, { method: 'POST', body, headers: { 'content-type': 'text/csv', 'content-encoding': 'gzip' } });
    const ok = await send(gzipSync(toCsv(records)));
    assert.deepEqual(answerCounts(await ok.json()), { received: 500, created: 500, updated: 0, unchanged: 0 });
    const corrupt = await send(gzipSync(toCsv(records)).subarray(0, 200));
    assert.equal(corrupt.status, 400);
    assert.match(((await corrupt.json()) as { message: string }).message, /could not be unzipped.*nothing was written/);
    assert.doesNotMatch(ft.output(), /internal error/);
  });

  test('an empty body is an empty batch; unknown NDJSON members are ignored', async () => {
    assert.deepEqual(await ingest(''), { received: 0, created: 0, updated: 0, unchanged: 0 });
    assert.deepEqual(await ingest('', 'text/csv'), { received: 0, created: 0, updated: 0, unchanged: 0 });
    assert.deepEqual(await ingest(toNdjson([{ ...sessionRecord(farm), lifecycleStatus: 'ENDED' }])), { received: 1, created: 1, updated: 0, unchanged: 0 });
  });
});

describe('ingest: a batch is all or nothing', () => {
  test('one bad record among good ones writes nothing', async () => {
    // Enough good records before the bad one (a few MB) that the server has staged many
    // body chunks of them by the time it meets the bad one.
    const good = Array.from({ length: 6000 }, () => sessionRecord(farm));
    const bad = sessionRecord(farm, { queueId: newId('queue') });
    const res = await rejected(toNdjson([...good.slice(0, 5000), bad, ...good.slice(5000)]), ['records.5001.queueId']);
    assert.match(res.body.fieldList[0].message, /^line 5001: queue queue-[0-9a-f]{32} does not exist in farm/);
    assert.match(res.body.message, /1 problem in 1 of 6001 records/);
    // Had any of them been written, it would now come back unchanged, not created.
    assert.deepEqual(await ingest(toNdjson(good)), { received: 6000, created: 6000, updated: 0, unchanged: 0 });
  });

  test('each rule: IDs, times, parents, JSON, missing members, license products, lengths', async () => {
    const r = () => sessionRecord(farm);
    const cases: [string, object, string[]][] = [
      ['bad sessionId', { ...r(), sessionId: 'session-123' }, ['records.2.sessionId']],
      ['sessionId with a tail', { ...r(), sessionId: `${newId('session')}x` }, ['records.2.sessionId']],
      ['bad workerId and queueId', { ...r(), workerId: 'worker-XYZ', queueId: 'queue-1' }, ['records.2.queueId', 'records.2.workerId']],
      ['endedAt before startedAt', { ...r(), startedAt: '2025-03-01T10:00:00Z', endedAt: '2025-03-01T09:59:59.999Z' }, ['records.2.endedAt']],
      ['every problem of a record at once', { ...r(), workerId: 'w', fleetId: newId('fleet'), endedAt: '2025-03-01T09:00:00Z' }, ['records.2.workerId', 'records.2.endedAt', 'records.2.fleetId']],
      ['not a timestamp', { ...r(), startedAt: 'yesterday' }, ['records.2.startedAt']],
      ['no such day', { ...r(), endedAt: '2025-02-30T00:00:00Z' }, ['records.2.endedAt']],
      ['epoch number', { ...r(), startedAt: 1740000000 }, ['records.2.startedAt']],
      ['unknown fleet', { ...r(), fleetId: newId('fleet') }, ['records.2.fleetId']],
      ['missing members', { ...r(), jobName: undefined, userId: null }, ['records.2.jobName', 'records.2.userId']],
      ['empty job name', { ...r(), jobName: '' }, ['records.2.jobName']],
      ['job name too long', { ...r(), jobName: 'x'.repeat(129) }, ['records.2.jobName']],
      ['empty instance type', { ...r(), instanceType: '' }, ['records.2.instanceType']],
      ['empty license product', { ...r(), licenseProducts: ['maya', ''] }, ['records.2.licenseProducts.2']],
      ['license products not a list', { ...r(), licenseProducts: 'maya' }, ['records.2.licenseProducts']],
    ];
    for (const [name, bad, fields] of cases) {
      // The blank line makes the bad record's line (3) differ from its position (2).
      const res = await rejected(`${JSON.stringify(r())}\n\n${JSON.stringify(bad)}\n`, fields);
      for (const f of res.body.fieldList) assert.match(f.message, /^line 3: /, `${name}: ${f.message}`);
    }
  });

  test('lines that are not records: bad JSON, not an object, too long', async () => {
    const good = JSON.stringify(sessionRecord(farm));
    let res = await rejected(`${good}\n{"sessionId": \n${good}\n`, ['records.2']);
    assert.match(res.body.fieldList[0].message, /^line 2: not valid JSON/);
    res = await rejected(`[1, 2]\n${good}\n`, ['records.1']);
    assert.match(res.body.fieldList[0].message, /^line 1: not a JSON object/);
    res = await rejected(`${good}\n${JSON.stringify({ ...sessionRecord(farm), jobName: 'x'.repeat(70_000) })}\n${good}\n`, ['records.2']);
    assert.match(res.body.fieldList[0].message, /^line 2: longer than 65536 bytes/);
  });

  test('CSV: malformed rows and a bad header', async () => {
    const [a, b] = [sessionRecord(farm), sessionRecord(farm)];
    const csv = toCsv([a, b]);
    const [header, rowA, rowB] = csv.trimEnd().split('\n') as [string, string, string];
    let res = await rejected(`${header}\n${rowA}\n${rowB},extra\n`, ['records.2'], 'text/csv');
    assert.match(res.body.fieldList[0].message, /^line 3: the row has 12 cells but the header has 11 columns/);
    res = await rejected(`${header}\n${rowA.replace('shot_010 comp', 'shot "010" comp')}\n${rowB}\n`, ['records.1'], 'text/csv');
    assert.match(res.body.fieldList[0].message, /^line 2: not a readable CSV row/);
    res = await rejected(`${header}\n${rowA}\n"${rowB}\n`, ['records.2'], 'text/csv');
    assert.match(res.body.fieldList[0].message, /^line 3: the body ends inside a quoted cell/);
    // Field rules apply to CSV cells as to JSON members.
    res = await rejected(`${header}\n${rowA}\n${rowB.replace(b.startedAt, 'soon')}\n`, ['records.2.startedAt'], 'text/csv');
    assert.match(res.body.fieldList[0].message, /^line 3: /);
    // Record a has no license products: its row ends with the empty licenseProducts cell.
    await rejected(`${header}\n${rowA}maya;;nuke\n`, ['records.1.licenseProducts.2'], 'text/csv');
    res = await rejected(`${header.replace('endedAt', 'endedat').replace('jobId,', '')}\n${rowA}\n`, ['header'], 'text/csv');
    assert.match(res.body.fieldList[0].message, /unknown column 'endedat'.*missing required column jobId/);
    // Nothing of any of these was written.
    assert.deepEqual(await ingest(csv, 'text/csv'), { received: 2, created: 2, updated: 0, unchanged: 0 });
  });

  test('many bad records: the first 100 are listed, the message gives the total', async () => {
    const bad = Array.from({ length: 150 }, () => sessionRecord(farm, { fleetId: newId('fleet') }));
    const res = await postSessions(ft.url, farm.farmId, toNdjson(bad));
    assert.equal(res.status, 400);
    assert.equal(res.body.fieldList.length, 100);
    assert.equal(res.body.fieldList[99].name, 'records.100.fleetId');
    assert.match(res.body.message, /150 problems in 150 of 150 records/);
    assert.match(res.body.message, /fieldList shows the first 100 of 150 problems/);
  });
});

describe('ingest: requests it refuses', () => {
  test('an unsupported or missing content type names the two accepted ones; an unknown encoding is refused', async () => {
    for (const contentType of ['application/json', 'text/plain']) {
      const res = await postSessions(ft.url, farm.farmId, toNdjson([sessionRecord(farm)]), contentType);
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('x-amzn-errortype'), 'ValidationException');
      assert.match(res.body.message, new RegExp(`Unsupported content-type '${contentType}'.*application/x-ndjson.*text/csv`));
    }
    const untyped = await fetch(`${ft.url}/ingest/v1/farms/${farm.farmId}/sessions`, { method: 'POST', body: Buffer.from(toNdjson([sessionRecord(farm)])) });
    assert.equal(untyped.status, 400);
    assert.match(((await untyped.json()) as { message: string }).message, /no content-type.*application\/x-ndjson.*text\/csv/);
    const res = await http(ft.url, 'POST', `/ingest/v1/farms/${farm.farmId}/sessions`, {
      body: toNdjson([sessionRecord(farm)]),
      headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'br' },
    });
    assert.equal(res.status, 400);
    assert.match(res.body.message, /Unsupported content-encoding 'br'/);
  });

  test('an unknown farm is ResourceNotFoundException; a malformed farm ID a ValidationException', async () => {
    const farmId = newId('farm');
    const res = await postSessions(ft.url, farmId, toNdjson([sessionRecord(farm)]));
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('x-amzn-errortype'), 'ResourceNotFoundException');
    assert.deepEqual([res.body.resourceType, res.body.resourceId], ['farm', farmId]);
    const malformed = await postSessions(ft.url, 'farm-nope', '');
    assert.equal(malformed.status, 400);
    assert.deepEqual(malformed.body.fieldList.map((f: { name: string }) => f.name), ['farmId']);
  });

  test("a queue or fleet of another farm is not this farm's", async () => {
    const other = await farmWithParents(ft.client, 'other');
    await rejected(toNdjson([sessionRecord(farm, { queueId: other.queueId, fleetId: other.fleetId })]), ['records.1.queueId', 'records.1.fleetId']);
  });
});

describe('ingest: a body cut off', () => {
  test('a client that drops the connection mid-body writes nothing, and the server serves on', async () => {
    const records = Array.from({ length: 3000 }, () => sessionRecord(farm));
    await new Promise<void>((resolve) => {
      const req = request(`${ft.url}/ingest/v1/farms/${farm.farmId}/sessions`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' } });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      // Whole records only: what arrived is a valid batch, which must still not be written.
      req.write(toNdjson(records.slice(0, 1500)), () => setTimeout(() => req.destroy(), 200));
    });
    assert.deepEqual(await ingest(toNdjson(records)), { received: 3000, created: 3000, updated: 0, unchanged: 0 });
    assert.doesNotMatch(ft.output(), /internal error/);
  });
});

describe('ingest: a large body streams', () => {
  test('200 000 records generated as a stream go in as one batch, and the server serves on', async (t) => {
    const big = await farmWithParents(ft.client, 'big');
    const total = 200_000;
    const started = performance.now();
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${ft.url}/ingest/v1/farms/${big.farmId}/sessions`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      });
      req.on('error', reject);
      // Written 1 000 records at a time, waiting whenever the socket is full: the body is
      // never whole in this process, and the server must read it as it comes.
      (async () => {
        for (let i = 0; i < total; i += 1000) {
          const lines = Array.from({ length: 1000 }, (_, k) => JSON.stringify(numberedRecord(big, i + k)));
          if (!req.write(lines.join('\n') + '\n')) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      })().catch(reject);
    });
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(`200000 records in ${seconds.toFixed(2)} s: ${Math.round(total / seconds)} records/s`);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answerCounts(JSON.parse(answer.text)), { received: total, created: total, updated: 0, unchanged: 0 });

    for (const i of [0, 123_456, total - 1]) {
      const r = numberedRecord(big, i);
      const s = await ft.client.send(new GetSessionCommand({ farmId: big.farmId, queueId: r.queueId, jobId: r.jobId, sessionId: r.sessionId }));
      assert.deepEqual(s.startedAt, new Date(r.startedAt));
    }
    assert.equal((await ft.client.send(new GetFarmCommand({ farmId: big.farmId }))).farmId, big.farmId);
    const sample = Array.from({ length: 10 }, (_, k) => numberedRecord(big, k * 20_000));
    assert.deepEqual(await ingest(toNdjson(sample), undefined, big.farmId), { received: 10, created: 0, updated: 0, unchanged: 10 });
  });
});
