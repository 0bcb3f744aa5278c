// What a hostile or broken client sends, each answered in the model's error shape with
// nothing written, quickly and in bounded memory: gzip bombs, too many records, bodies
// that stop or trickle, invalid UTF-8, lone surrogate escapes, deep JSON, timestamps nobody's
// farm produced.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { Agent, request, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CreateFarmCommand, GetFarmCommand, ListFarmsCommand, ListJobsCommand } from '@aws-sdk/client-deadline';
import { rawRequest, type RawAnswer } from './support/raw-http.js';
import { http, startFarmtally, type Farmtally } from './support/server.js';
import { answerCounts, farmWithParents, numberedRecord, sessionRecord, toCsv, toNdjson, type FarmParents } from './support/session-records.js';

const ingestPath = (farmId: string) => `/ingest/v1/farms/${farmId}/sessions`;

/** One ingest request (from `localAddress`, another client as the server sees it, when given). */
async function post(ft: Farmtally, farmId: string, body: Buffer | string, headers: Record<string, string> = {}, localAddress?: string) {
  const req = request(ft.url + ingestPath(farmId), { method: 'POST', headers: { 'content-type': 'application/x-ndjson', ...headers }, localAddress, agent: false });
  req.end(body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const header = (name: string) => (res.headers[name] as string | undefined) ?? null;
  return { status: res.statusCode!, type: header('x-amzn-errortype'), connection: header('connection'), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
}

/** The server process's CPU time so far (user and system), from /proc. */
function cpuSeconds(ft: Farmtally): number {
  const fields = readFileSync(`/proc/${ft.process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime and stime, in clock ticks of 1/100 s
}

function rssMiB(ft: Farmtally): number {
  const status = readFileSync(`/proc/${ft.process.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** Waits for the server's output to match `pattern` more than `before` times (its stderr may trail the answer a little). */
async function outputGrows(ft: Farmtally, pattern: RegExp, before: number): Promise<boolean> {
  for (let waited = 0; waited < 5000; waited += 20) {
    if ((ft.output().match(pattern) ?? []).length > before) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** Each sessionRecord has a job of its own: the farm's jobs count its sessions. */
async function sessionCount(ft: Farmtally, farm: FarmParents): Promise<number> {
  const jobs = await ft.client.send(new ListJobsCommand({ farmId: farm.farmId, queueId: farm.queueId }));
  return jobs.jobs?.length ?? 0;
}

describe('ingest bodies past the limits', () => {
  let ft: Farmtally;
  let farm: FarmParents;
  before(async () => {
    ft = await startFarmtally({ args: ['--max-batch-records', '20000', '--max-batch-bytes', '10MB'] });
    farm = await farmWithParents(ft.client, 'limits');
  });
  after(() => ft.stop());

  test('a gzip bomb is refused once it inflates past 200-fold, without spooling it, and memory stays bounded', async () => {
    // 200 MB of line ends in about 200 KB: nothing a record file looks like.
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024, 0x0a), { level: 9 });
    const wide = await startFarmtally({ args: ['--max-batch-bytes', '1GB'] });
    try {
      const parents = await farmWithParents(wide.client, 'bomb');
      const answer = await post(wide, parents.farmId, bomb, { 'content-encoding': 'gzip' });
      assert.equal(answer.status, 413);
      assert.equal(answer.type, 'ValidationException');
      assert.match(answer.body.message, /inflates more than 200-fold.*nothing was written/);
      assert.ok(rssMiB(wide) < 600, `server RSS ${rssMiB(wide)} MiB`);
      assert.deepEqual(readdirSync(join(wide.dataDir, 'spool')), [], 'the spooled part is deleted');
    } finally {
      await wide.stop();
    }
  });

  test('a few KB of gzip (a million empty records) is refused within its first MiB, on both paths, for a few ms of CPU', async () => {
    const empties = gzipSync(Buffer.from('{}\n'.repeat(1_000_000)));
    assert.ok(empties.length < 10_000);
    for (const server of [ft, await startFarmtally({ args: ['--max-batch-records', '20000'], env: { FARMTALLY_INGEST_FAST_PATH: 'off' } })]) {
      const parents = server === ft ? farm : await farmWithParents(server.client, 'careful');
      const cpuBefore = cpuSeconds(server);
      for (let i = 0; i < 5; i++) {
        const answer = await post(server, parents.farmId, empties, { 'content-encoding': 'gzip' });
        assert.equal(answer.status, 413, JSON.stringify(answer.body));
        assert.match(answer.body.message, /inflates more than 200-fold/);
      }
      // Before the inflation rule applied from the first MiB, each took 2 to 3 s of CPU.
      const spent = cpuSeconds(server) - cpuBefore;
      assert.ok(spent < 2, `five bombs cost the server ${spent.toFixed(2)} s of CPU`);
      if (server !== ft) await server.stop();
    }
  });

  test('the record limit holds as the body streams, on both paths, CSV too', async () => {
    for (const server of [ft, await startFarmtally({ args: ['--max-batch-records', '20000'], env: { FARMTALLY_INGEST_FAST_PATH: 'off' } })]) {
      const parents = server === ft ? farm : await farmWithParents(server.client, 'careful');
      const records = Array.from({ length: 20_001 }, (_, i) => numberedRecord(parents, i));
      const answer = await post(server, parents.farmId, toNdjson(records));
      assert.equal(answer.status, 413, JSON.stringify(answer.body));
      assert.match(answer.body.message, /more than 20000 records.*--batch-size/);
      const csvAnswer = await post(server, parents.farmId, toCsv(records), { 'content-type': 'text/csv' });
      assert.equal(csvAnswer.status, 413, JSON.stringify(csvAnswer.body));
      if (server !== ft) await server.stop();
    }
    const atTheLimit = await post(ft, farm.farmId, toNdjson(Array.from({ length: 20_000 }, (_, i) => numberedRecord(farm, i, 9))));
    assert.equal(atTheLimit.status, 200, JSON.stringify(atTheLimit.body));
  });

  test('reading stops at the 300th bad record: the batch is lost already', async () => {
    const bad = Buffer.from('{}\n'.repeat(15_000));
    for (const [body, encoding] of [[bad, {}], [gzipSync(bad), { 'content-encoding': 'gzip' }]] as const) {
      const answer = await post(ft, farm.farmId, body, encoding);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.body.fieldList.length, 100);
      assert.match(answer.body.message, /in 300 of 300 records read: .* Reading stopped at line 300, the 300th bad record; there may be more after it\./);
    }
  });

  test('an answer sent before the body ended says connection: close, so a keep-alive client (an SDK) never reuses a connection the server ends', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (body: string) =>
      new Promise<{ status?: number; connection?: string; error?: string }>((resolve) => {
        const req = request(ft.url + ingestPath(farm.farmId), { method: 'POST', agent, headers: { 'content-type': 'application/x-ndjson' } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection }));
        });
        req.on('error', (err) => resolve({ error: err.message }));
        req.end(body);
      });
    const tooMany = toNdjson(Array.from({ length: 30_000 }, (_, i) => numberedRecord(farm, i, 7)));
    try {
      for (let i = 0; i < 5; i++) {
        assert.deepEqual(await send(tooMany), { status: 413, connection: 'close' });
        assert.deepEqual(await send(toNdjson([numberedRecord(farm, i, 8)])), { status: 200, connection: 'keep-alive' });
      }
    } finally {
      agent.destroy();
    }
  });

  test('a body past the byte limit is refused as soon as it passes it; a client still sending gets the answer', async () => {
    // Long names: the bytes pass their limit before the records pass theirs.
    const big = Buffer.from(toNdjson(Array.from({ length: 20_000 }, () => sessionRecord(farm, { jobName: 'j'.repeat(128), userId: 'u'.repeat(128) }))));
    assert.ok(big.length > 10e6);
    const pieces = Array.from({ length: Math.ceil(big.length / 1e6) }, (_, i) => big.subarray(i * 1e6, (i + 1) * 1e6));
    const answer = (await rawRequest(ft.url, {
      method: 'POST', path: ingestPath(farm.farmId),
      headers: { 'content-type': 'application/x-ndjson', 'content-length': String(big.length), connection: 'close' },
      pieces,
      gapMs: 5,
    })) as RawAnswer;
    assert.equal(answer.status, 413);
    assert.equal(answer.headers['x-amzn-errortype'], 'ValidationException');
    assert.match(answer.body.message, /larger than this server's limit of 10000000 bytes/);
  });

  test('an API body refused by its declared length before any of it is read still gets its answer to a client sending 40 MB', async () => {
    const pieces = Array.from({ length: 40 }, () => Buffer.alloc(1e6, 0x20));
    const answer = (await rawRequest(ft.url, {
      method: 'POST', path: '/2023-10-12/farms',
      headers: { 'content-type': 'application/json', 'content-length': String(40e6), connection: 'close' },
      pieces,
      gapMs: 5,
    })) as RawAnswer;
    assert.equal(answer.status, 413);
    assert.equal(answer.headers['x-amzn-errortype'], 'ValidationException');
  });
});

describe('bodies that stop or trickle', () => {
  let ft: Farmtally;
  let farm: FarmParents;
  before(async () => {
    ft = await startFarmtally({ args: ['--body-timeout', '2', '--max-concurrent-batches', '1'] });
    farm = await farmWithParents(ft.client, 'slow');
  });
  after(() => ft.stop());

  const record = () => Buffer.from(toNdjson([sessionRecord(farm)]));

  test('an ingest body that stops arriving is answered 408 after the body timeout, nothing written', async () => {
    const body = record();
    const answer = await rawRequest(ft.url, {
      method: 'POST', path: ingestPath(farm.farmId),
      headers: { 'content-type': 'application/x-ndjson', 'content-length': String(body.length) },
      pieces: [body.subarray(0, 20)],
      gapMs: 10,
    });
    assert.notEqual(answer, 'no answer');
    const { status, headers, body: error, endedAfterMs } = answer as RawAnswer;
    assert.equal(status, 408);
    assert.equal(headers['x-amzn-errortype'], 'RequestTimeoutException');
    assert.match(error.message, /stopped arriving \(nothing for 2 s\); nothing was written/);
    assert.ok(endedAfterMs < 10_000, `answered after ${endedAfterMs} ms`);
  });

  test('a body that trickles in a byte at a time is refused once it falls under the least rate, holding no batch slot meanwhile', async () => {
    const body = record();
    const trickle = rawRequest(ft.url, {
      method: 'POST', path: ingestPath(farm.farmId),
      headers: { 'content-type': 'application/x-ndjson', 'content-length': String(body.length) },
      pieces: Array.from(body.subarray(0, 60), (b) => Buffer.from([b])),
      gapMs: 250,
    });
    // With one slot, this batch still goes through at once: the trickle holds no slot.
    await new Promise((resolve) => setTimeout(resolve, 300));
    let trickleAnswered = false;
    void trickle.then(() => (trickleAnswered = true));
    const waiting = post(ft, farm.farmId, record());
    assert.equal((await waiting).status, 200);
    assert.equal(trickleAnswered, false, 'answered while the trickle was still arriving');
    const refused = (await trickle) as RawAnswer;
    assert.equal(refused.status, 408);
    assert.match(refused.body.message, /arrived slower than 8192 bytes\/s/);
    assert.equal(await sessionCount(ft, farm), 1);
  });

  test('a JSON API body that stops arriving is answered 408 too', async () => {
    const answer = (await rawRequest(ft.url, {
      method: 'POST', path: '/2023-10-12/farms',
      headers: { 'content-type': 'application/json', 'content-length': '100' },
      pieces: [Buffer.from('{"displayName":')],
      gapMs: 10,
    })) as RawAnswer;
    assert.equal(answer.status, 408);
    assert.equal(answer.headers['x-amzn-errortype'], 'RequestTimeoutException');
  });
});

describe('slow uploads do not lock out ingest', () => {
  // Every batch takes the large-batch path (no group commit), so each needs a batch slot;
  // a client may have 4 bodies arriving at once.
  let ft: Farmtally;
  let farm: FarmParents;
  before(async () => {
    ft = await startFarmtally({ args: ['--body-timeout', '2', '--group-commit-bytes', '0', '--max-concurrent-batches', '4', '--uploads-per-client', '4'] });
    farm = await farmWithParents(ft.client, 'slow uploads');
  });
  after(() => ft.stop());

  /** A body that trickles in from its own address, a byte every 200 ms, until the server refuses it (408). */
  const slowUpload = (from: string) => {
    const body = Buffer.from(toNdjson(Array.from({ length: 10 }, () => sessionRecord(farm))));
    return rawRequest(ft.url, {
      method: 'POST', path: ingestPath(farm.farmId), localAddress: from,
      headers: { 'content-type': 'application/x-ndjson', 'content-length': String(body.length) },
      pieces: Array.from(body.subarray(0, 100), (b) => Buffer.from([b])),
      gapMs: 200,
    });
  };

  test('50 slow uploads from 50 addresses hold no batch slot: honest 10-record batches still answer within 1 s', async () => {
    const attackers = Array.from({ length: 50 }, (_, i) => slowUpload(`127.0.0.${10 + i}`));
    let attackersAnswered = 0;
    for (const a of attackers) void a.then(() => attackersAnswered++);
    await new Promise((resolve) => setTimeout(resolve, 500)); // each has sent its headers and first bytes
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const answer = await post(ft, farm.farmId, toNdjson(Array.from({ length: 10 }, () => sessionRecord(farm))));
      times.push(Math.round(performance.now() - started));
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
    assert.equal(attackersAnswered, 0, 'the slow uploads were still arriving while the honest batches went in');
    assert.ok(Math.max(...times) < 1000, `honest batches answered in ${times.join(', ')} ms`);
    const refused = (await Promise.all(attackers)) as RawAnswer[];
    assert.deepEqual([...new Set(refused.map((r) => r.status))], [408], 'each slow upload is refused in the end');
  });

  test("one client's uploads are bounded: past its share it is throttled at once, while others still get in", async () => {
    const mine = Array.from({ length: 4 }, () => slowUpload('127.0.0.7'));
    // Its next upload is refused at once (retried only while the four are still being let in).
    let answer = await post(ft, farm.farmId, toNdjson([sessionRecord(farm)]), {}, '127.0.0.7');
    for (let tries = 0; answer.status === 200 && tries < 20; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await post(ft, farm.farmId, toNdjson([sessionRecord(farm)]), {}, '127.0.0.7');
    }
    assert.equal(answer.status, 429);
    assert.equal(answer.type, 'ThrottlingException');
    assert.match(answer.body.message, /Address 127\.0\.0\.7 has 4 ingest bodies arriving already, this server's limit per client/);
    assert.equal((await post(ft, farm.farmId, toNdjson([sessionRecord(farm)]), {}, '127.0.0.8')).status, 200, 'another client is let in');
    await Promise.all(mine);
  });
});

describe('text and times no client should send', () => {
  let fast: Farmtally;
  let careful: Farmtally;
  before(async () => {
    // The trace shows which path read a batch (the bulk load, or record by record).
    fast = await startFarmtally({ env: { FARMTALLY_INGEST_TRACE: '1' } });
    careful = await startFarmtally({ env: { FARMTALLY_INGEST_FAST_PATH: 'off' } });
  });
  after(async () => {
    await fast.stop();
    await careful.stop();
  });

  test('invalid UTF-8 in an API body is refused, not stored as replacement characters', async () => {
    const body = Buffer.concat([Buffer.from('{"displayName":"bad '), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const res = await fetch(`${fast.url}/2023-10-12/farms`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const error = (await res.json()) as { reason: string; message: string };
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('x-amzn-errortype'), 'ValidationException');
    assert.equal(error.reason, 'CANNOT_PARSE');
    assert.match(error.message, /not valid UTF-8/);
    const farms = await fast.client.send(new ListFarmsCommand({}));
    assert.equal(farms.farms?.some((f) => f.displayName?.startsWith('bad')), false);
  });

  test('invalid UTF-8 in a session record is refused naming its line, on both paths', async () => {
    for (const ft of [fast, careful]) {
      const farm = await farmWithParents(ft.client, 'utf8');
      const good = toNdjson([sessionRecord(farm)]);
      const bad = Buffer.from(toNdjson([sessionRecord(farm, { jobName: 'shot \u00e9' })]).replace('\u00e9', '\u0001'), 'utf8');
      bad[bad.indexOf(0x01)] = 0xc3; // a lead byte with no continuation
      const answer = await post(ft, farm.farmId, Buffer.concat([Buffer.from(good), bad]));
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.deepEqual(answer.body.fieldList, [{ name: 'records.2', message: 'line 2: not valid UTF-8; send the records as UTF-8 text' }]);
      assert.equal(await sessionCount(ft, farm), 0);
    }
  });

  // A lone surrogate: half of a UTF-16 pair, which UTF-8 cannot carry (its bytes are refused
  // as not UTF-8) but a JSON escape can. Stored, it would come back as U+FFFD. The bodies are
  // written by hand: an SDK may refuse or mangle such a string before sending it.
  test('a lone surrogate escape in an API body is refused naming the member, not stored as U+FFFD', async () => {
    const lone = '\\ud800'; // the six characters of the JSON escape
    const refused = async (method: string, path: string, body: string, member: string) => {
      assert.match(body, /\\ud[89a-f]/, body);
      const res = await http(fast.url, method, path, { body });
      assert.equal(res.status, 400, `${method} ${path} ${body}: ${res.text}`);
      assert.equal(res.headers.get('x-amzn-errortype'), 'ValidationException');
      assert.equal(res.body.reason, 'FIELD_VALIDATION_FAILED');
      assert.deepEqual(res.body.fieldList.map((f: { name: string }) => f.name), [member]);
      assert.match(res.body.fieldList[0].message, /^Value at '.+' failed to satisfy constraint: Member must be well-formed Unicode text, but character \d+ is a lone surrogate \(\\ud[89a-f][0-9a-f]{2}\)/);
      assert.match(res.body.message, /^1 validation error detected: Value at '/);
      // The answer itself is well-formed: no lone surrogate echoed back as text.
      assert.ok(!res.text.includes('\ufffd'), res.text);
    };
    await refused('POST', '/2023-10-12/farms', `{"displayName":"a${lone}b"}`, 'displayName');
    await refused('POST', '/2023-10-12/farms', `{"displayName":"fine","description":"x\\udc00"}`, 'description');
    await refused('POST', '/2023-10-12/farms', `{"displayName":"fine","tags":{"k${lone}":"v"}}`, 'tags.k\ud800(key)');
    await refused('POST', '/2023-10-12/farms', `{"displayName":"fine","tags":{"k":"\\udfff\\ud800"}}`, 'tags.k');
    const farms = await fast.client.send(new ListFarmsCommand({}));
    assert.equal(farms.farms?.some((f) => f.displayName === 'fine' || /^a.b$/u.test(f.displayName ?? '')), false, JSON.stringify(farms.farms));

    const { farmId } = await fast.client.send(new CreateFarmCommand({ displayName: 'kept' }));
    await refused('PATCH', `/2023-10-12/farms/${farmId}`, `{"displayName":"a${lone}b"}`, 'displayName');
    assert.equal((await fast.client.send(new GetFarmCommand({ farmId }))).displayName, 'kept');
    // A pair, escaped or not, is one character and kept as it is.
    const paired = await http(fast.url, 'POST', '/2023-10-12/farms', { body: '{"displayName":"a\\ud83d\\ude00b 😀"}' });
    assert.equal(paired.status, 200, paired.text);
    assert.equal((await fast.client.send(new GetFarmCommand({ farmId: paired.body.farmId }))).displayName, 'a😀b 😀');
  });

  test('a lone surrogate escape in a session record is refused naming the record and member, on both paths; nothing written', async () => {
    for (const ft of [fast, careful]) {
      const farm = await farmWithParents(ft.client, 'surrogates');
      const records = [
        sessionRecord(farm),
        sessionRecord(farm, { jobName: 'a\udc00b' }),
        sessionRecord(farm, { userId: '\ud800' }),
        sessionRecord(farm, { licenseProducts: ['maya', 'nuke\udbff'] }),
      ];
      const body = toNdjson(records);
      // JSON.stringify writes a lone surrogate as its escape: the bytes sent are ASCII.
      assert.ok(body.includes('"a\\udc00b"') && Buffer.byteLength(body) === body.length, body);
      const answer = await post(ft, farm.farmId, body);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.type, 'ValidationException');
      assert.deepEqual(
        answer.body.fieldList.map((f: { name: string }) => f.name),
        ['records.2.jobName', 'records.3.userId', 'records.4.licenseProducts.2'],
      );
      assert.match(answer.body.fieldList[0].message, /^line 2: Value at 'records.2.jobName' failed to satisfy constraint: Member must be well-formed Unicode text, but character 2 is a lone surrogate \(\\udc00\)/);
      assert.match(answer.body.message, /^The batch was rejected and nothing was written: 3 problems in 3 of 4 records/);
      assert.equal(await sessionCount(ft, farm), 0);
      // CSV has no escapes: a surrogate could only come as its UTF-8 form (ED A0 80), which is no UTF-8 and refused as such.
      const csv = Buffer.from(toCsv([sessionRecord(farm), sessionRecord(farm, { jobName: 'a\u0001b' })]));
      const at = csv.indexOf(0x01);
      const withSurrogateBytes = Buffer.concat([csv.subarray(0, at), Buffer.from([0xed, 0xa0, 0x80]), csv.subarray(at + 1)]);
      const csvAnswer = await post(ft, farm.farmId, withSurrogateBytes, { 'content-type': 'text/csv' });
      assert.equal(csvAnswer.status, 400, JSON.stringify(csvAnswer.body));
      assert.deepEqual(csvAnswer.body.fieldList, [{ name: 'records.2', message: 'line 3: not valid UTF-8; send the records as UTF-8 text' }]);
      assert.equal(await sessionCount(ft, farm), 0);
      // The same records without the escapes are taken.
      assert.equal((await post(ft, farm.farmId, toNdjson([records[0]!]))).status, 200);
    }
  });

  test('a lone surrogate escape in a batch large enough for the bulk load is refused whole: nothing of the records before it is written', async () => {
    const farm = await farmWithParents(fast.client, 'surrogates bulk');
    // Over 1 MiB (the default --group-commit-bytes: the body is offered to the bulk load) and
    // over 5 000 records (the record-by-record reading stages the first ones before it meets the bad one).
    const records = Array.from({ length: 8000 }, (_, i) => numberedRecord(farm, i, 16));
    const DECLINED = new RegExp(`ingest into ${farm.farmId} \\(request [^)]+\\): read record by record: `, 'g');
    const good = toNdjson(records);
    assert.ok(Buffer.byteLength(good) > 1024 * 1024);
    for (const [member, value] of [['jobName', 'shot \ud800 comp'], ['userId', '\udfffana']] as const) {
      const bad = toNdjson([...records.slice(0, -1), { ...records.at(-1)!, [member]: value }]);
      const declined = (fast.output().match(DECLINED) ?? []).length;
      const answer = await post(fast, farm.farmId, bad);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.type, 'ValidationException');
      assert.deepEqual(answer.body.fieldList.map((f: { name: string }) => f.name), [`records.8000.${member}`]);
      assert.match(answer.body.fieldList[0].message, /^line 8000: Value at 'records\.8000\.\w+' failed to satisfy constraint: Member must be well-formed Unicode text/);
      assert.equal(await sessionCount(fast, farm), 0, 'jobs of a refused batch');
      // The bulk load saw the body first and declined it (DuckDB's reader refuses a lone high
      // surrogate escape; any escape sends a line to the careful path): read record by record.
      assert.ok(await outputGrows(fast, DECLINED, declined), fast.output().slice(-2000));
    }
    const answer = await post(fast, farm.farmId, good);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answerCounts(answer.body), { received: 8000, created: 8000, updated: 0, unchanged: 0 });
    assert.ok(await outputGrows(fast, /8000 records staged by the bulk load/g, 0), fast.output().slice(-2000));
  });

  test('headers past the size limit, and bytes that are no HTTP, are answered in the model shape before any route', async () => {
    const big = (await rawRequest(fast.url, { method: 'GET', path: '/2023-10-12/farms', headers: { 'x-filler': 'f'.repeat(20_000) } })) as RawAnswer;
    assert.equal(big.status, 431);
    assert.equal(big.headers['x-amzn-errortype'], 'ValidationException');
    assert.match(big.body.message, /headers are larger than 16384 bytes/);
    const garbage = (await rawRequest(fast.url, { method: 'NOT HTTP AT ALL', path: '\u0000', headers: {} })) as RawAnswer;
    assert.equal(garbage.status, 400);
    assert.equal(garbage.headers['x-amzn-errortype'], 'ValidationException');
    for (const path of ['/2023-10-12/farms/%E0%A4%A', `/2023-10-12/farms/farm-${'a'.repeat(600)}`]) {
      const answer = await http(fast.url, 'GET', path);
      assert.equal(answer.status, 400, `${path}: ${answer.text}`);
      assert.equal(answer.headers.get('x-amzn-errortype'), 'ValidationException');
      assert.equal(answer.body.reason, 'CANNOT_PARSE');
    }
    assert.equal((await fast.client.send(new ListFarmsCommand({}))).$metadata.httpStatusCode, 200);
  });

  test('a body whose framing breaks part way is answered 400, and a client still sending is drained, not reset', async () => {
    for (const path of ['/2023-10-12/farms', ingestPath('farm-00000000000000000000000000000000')]) {
      const { hostname, port } = new URL(fast.url);
      // Half-open, as a client still sending its body is once the server has said its piece.
      const socket = connect({ port: Number(port), host: hostname, allowHalfOpen: true });
      const received: Buffer[] = [];
      let writeError: Error | undefined;
      socket.on('data', (d) => received.push(d));
      socket.on('error', (err) => (writeError ??= err));
      const closed = new Promise((resolve) => socket.once('close', resolve));
      await once(socket, 'connect');
      socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n`);
      // The client keeps sending after the server has answered; a server that closed at
      // once would make these writes fail with a reset (and could lose its answer).
      for (let i = 0; i < 8 && !writeError; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        socket.write(Buffer.alloc(256 * 1024, 0x61));
      }
      socket.end();
      await closed;
      assert.equal(writeError, undefined, `${path}: the server reset a client still sending`);
      const text = Buffer.concat(received).toString('utf8');
      assert.match(text, /^HTTP\/1\.1 400 /, path);
      assert.match(text, /x-amzn-errortype: ValidationException/, path);
    }
    assert.equal((await fast.client.send(new ListFarmsCommand({}))).$metadata.httpStatusCode, 200);
  });

  test('JSON nested deeper than any input is refused before parsing', async () => {
    const deep = `{"displayName":"deep","tags":${'['.repeat(40)}${']'.repeat(40)}}`;
    const res = await http(fast.url, 'POST', '/2023-10-12/farms', { body: deep });
    assert.equal(res.status, 400);
    assert.equal(res.body.reason, 'CANNOT_PARSE');
    assert.match(res.body.message, /deeper than 32 levels/);
    // Brackets inside strings do not count.
    const fine = await fast.client.send(new CreateFarmCommand({ displayName: '['.repeat(40) }));
    assert.match(fine.farmId!, /^farm-/);
  });

  test('session times before 2000 or more than a day ahead of the server are refused, on both paths alike', async () => {
    for (const ft of [fast, careful]) {
      const farm = await farmWithParents(ft.client, 'times');
      const records = [
        sessionRecord(farm, { startedAt: '2099-01-01T00:00:00Z', endedAt: '2099-01-01T01:00:00Z' }),
        sessionRecord(farm, { startedAt: '1999-12-31T23:00:00Z', endedAt: '2000-01-01T01:00:00Z' }),
        sessionRecord(farm, { startedAt: new Date(Date.now() - 3600_000).toISOString(), endedAt: new Date(Date.now() + 2 * 86_400_000).toISOString() }),
        sessionRecord(farm, { startedAt: '2000-01-01T00:00:00Z', endedAt: new Date(Date.now() + 3600_000).toISOString() }),
      ];
      const answer = await post(ft, farm.farmId, toNdjson(records));
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.deepEqual(
        answer.body.fieldList.map((f: { name: string }) => f.name),
        ['records.1.startedAt', 'records.1.endedAt', 'records.2.startedAt', 'records.3.endedAt'],
      );
      assert.match(answer.body.fieldList[0].message, /2099-01-01T00:00:00.000Z is more than a day past the server's clock/);
      assert.match(answer.body.fieldList[2].message, /1999-12-31T23:00:00.000Z is before 2000-01-01T00:00:00.000Z/);
      const edges = await post(ft, farm.farmId, toNdjson([records[3]!]));
      assert.equal(edges.status, 200, JSON.stringify(edges.body));
    }
  });
});
