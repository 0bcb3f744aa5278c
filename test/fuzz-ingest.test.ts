// Property-based fuzz of POST /ingest/v1/farms/{farmId}/sessions through raw HTTP: NDJSON and
// CSV batches of valid and mutant records, lines that are no record, many records, gzip and
// broken gzip, other content-types and encodings. Whatever is sent: never a 5xx, errors in
// the model's shape, the server up within its memory; a refused batch wrote nothing and an
// accepted one exactly what it says (the farm's session count, by an aggregation, after each
// case); a valid batch is accepted and a batch with a bad record refused. The tests at the
// end send one kind of bad input each: far timestamps, broken UTF-8, lone surrogate escapes, a
// stall, too many records.
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { startFarmtally, type Farmtally } from './support/server.js';
import { answerProblems } from './fuzz/answer-checks.js';
import { countSessions, ingestFixture, type IngestFixture } from './fuzz/fixture.js';
import { QUICK_HAZARDS } from './fuzz/framing.js';
import { farTimestampRecord, invalidUtf8Record, loneSurrogateRecord } from './fuzz/ingest-records.js';
import { ingestCase, oneDefectCase, oneDefectInBulkCase } from './fuzz/ingest-requests.js';
import { checkProperty, ingestProperty, stalledProperty } from './fuzz/properties.js';
import { describeAnswer } from './fuzz/reproduction.js';
import { FUZZ_SERVER_ARGS, fuzzRunSettings, replayHint } from './fuzz/settings.js';
import { FuzzTarget } from './fuzz/target.js';

const FILE = 'test/fuzz-ingest.test.ts';
/** How long a stalled upload may hold its connection before the server lets go: a few times the fuzz server's --body-timeout. */
const STALL_WAIT_MS = Number(process.env.FUZZ_STALL_MS ?? 12_000);
/** The server's default --max-batch-records: 4 × the CLI's 250 000 per request. */
const ASSUMED_RECORD_CAP = 1_000_000;
/** What the cap test sends: past the cap, a few KB of gzip. */
const PAST_THE_CAP = 1_500_000;

let ft: Farmtally;
let fixture: IngestFixture;
let target: FuzzTarget;

before(async () => {
  ft = await startFarmtally({ args: FUZZ_SERVER_ARGS });
  fixture = await ingestFixture(ft.client);
  target = new FuzzTarget(ft);
});
after(async () => ft.stop());

const count = async () => (await countSessions(ft.client, fixture.farmId, fixture.queueIds)).count;

describe('fuzz: session ingest', () => {
  test('batches are taken whole or refused whole, never a 5xx; the server stays up within its memory', async () => {
    const settings = fuzzRunSettings(50);
    await checkProperty(ingestProperty(target, ft.client, fixture, ingestCase(fixture, QUICK_HAZARDS), await count()), settings, replayHint(settings, FILE));
  });

  test('a batch with a session starting after 2098 or before 1970 is refused whole', async () => {
    const settings = fuzzRunSettings(10);
    const cases = oneDefectCase(fixture, farTimestampRecord(fixture));
    await checkProperty(ingestProperty(target, ft.client, fixture, cases, await count()), settings, replayHint(settings, FILE), false);
  });

  test('a batch with bytes that are not UTF-8 in a record is refused whole', async () => {
    const settings = fuzzRunSettings(10);
    const cases = oneDefectCase(fixture, invalidUtf8Record(fixture));
    await checkProperty(ingestProperty(target, ft.client, fixture, cases, await count()), settings, replayHint(settings, FILE), false);
  });

  test('a batch with a lone surrogate escape (\\ud800) in a record is refused whole', async () => {
    const settings = fuzzRunSettings(10);
    const cases = oneDefectCase(fixture, loneSurrogateRecord(fixture));
    await checkProperty(ingestProperty(target, ft.client, fixture, cases, await count()), settings, replayHint(settings, FILE), false);
  });

  test('a batch large enough for the bulk load with a lone surrogate escape in one record is refused whole', async () => {
    const settings = fuzzRunSettings(3);
    const cases = oneDefectInBulkCase(fixture, loneSurrogateRecord(fixture));
    await checkProperty(ingestProperty(target, ft.client, fixture, cases, await count()), settings, replayHint(settings, FILE), false);
  });

  test('an upload that stops mid-body is let go (answered or closed) and writes nothing', async () => {
    const settings = fuzzRunSettings(1);
    const stalled = ingestCase(fixture, { allowed: [], forced: 'stalled-body' }).map((c) => c.request);
    await checkProperty(stalledProperty(target, stalled, STALL_WAIT_MS, count), settings, replayHint(settings, FILE), false);
  });

  test(`a gzip body of ${PAST_THE_CAP} records (a few KB that parse as millions; the cap assumed at most ${ASSUMED_RECORD_CAP}) is refused, naming the limit it broke`, async () => {
    const records = PAST_THE_CAP;
    const body = gzipSync(Buffer.from('{}\n'.repeat(records)));
    const before = await count();
    const answer = await target.send(
      {
        raw: { method: 'POST', target: `/ingest/v1/farms/${fixture.farmId}/sessions`, headers: [['host', '127.0.0.1'], ['content-type', 'application/x-ndjson'], ['content-encoding', 'gzip'], ['content-length', String(body.length)]], body, endAfterBody: false },
        notes: [`gzip of ${records} empty objects`],
        hazards: [],
      },
      60_000,
    );
    assert.ok(!(answer instanceof Error), describeAnswer(answer));
    assert.deepEqual(answerProblems('POST', answer), []);
    assert.equal(answer.status, 413, describeAnswer(answer));
    // Its inflation (a thousandfold) is refused before its record count: either names its limit.
    assert.match((answer.json as { message: string }).message, /limit|at most|too many|exceed|inflates more than/i, describeAnswer(answer));
    assert.equal(await count(), before);
  });
});
