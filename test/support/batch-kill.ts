// A large ingest batch to crash a server under, and what is checked after the restart: each
// farm gets a small batch first (acknowledged: it must survive whatever follows), then the
// large one, which must be wholly present or wholly absent. The large batch's body is built
// once with placeholder queue and fleet IDs and given each farm's own.
import assert from 'node:assert/strict';
import { GetFarmCommand, GetFleetCommand, GetQueueCommand, GetSessionCommand, ResourceNotFoundException, type DeadlineClient } from '@aws-sdk/client-deadline';
import { jobExists, killHard, sessionCount, spooledSizes, whenOutput } from './crash.js';
import type { Farmtally } from './server.js';
import { farmWithParents, numberedRecord, postSessions, toCsv, toNdjson, type FarmParents } from './session-records.js';
import { ingestPath, Upload, type UploadAnswer } from './upload.js';

export const EARLIER_RECORDS = 1000;
const EARLIER_SEED = 1;
const BATCH_SEED = 2;
const PLACEHOLDER: FarmParents = { farmId: 'farm-placeholder', queueId: `queue-${'f'.repeat(32)}`, fleetId: `fleet-${'f'.repeat(32)}` };

export type Format = 'ndjson' | 'csv';
export const CONTENT_TYPE: Record<Format, string> = { ndjson: 'application/x-ndjson', csv: 'text/csv' };

/**
 * The batch's i-th record: a new session, in jobs of two sessions. Many jobs make the merge's
 * job statements, which come after its session statement, take a good part of the commit:
 * a kill lands between the two often enough to catch a merge that is not one transaction.
 */
function batchRecord(parents: FarmParents, i: number) {
  const job = Math.floor(i / 2);
  return { ...numberedRecord(parents, i, BATCH_SEED), jobId: `job-${(BATCH_SEED * 1e9 + job).toString(16).padStart(32, '0')}`, jobName: `job ${job}` };
}

/** The large batch: `records` new sessions (about 400 bytes each as NDJSON). */
export class LargeBatch {
  private readonly template: string;
  readonly firstJob: string;
  readonly lastJob: string;

  constructor(readonly records: number, readonly format: Format = 'ndjson') {
    const all = Array.from({ length: records }, (_, i) => batchRecord(PLACEHOLDER, i));
    this.template = format === 'ndjson' ? toNdjson(all) : toCsv(all);
    this.firstJob = batchRecord(PLACEHOLDER, 0).jobId;
    this.lastJob = batchRecord(PLACEHOLDER, records - 1).jobId;
  }

  /** The batch's first record in the farm, to look for through the API. */
  firstRecord(farm: FarmParents) {
    return batchRecord(farm, 0);
  }

  bodyFor(farm: FarmParents): Buffer {
    return Buffer.from(this.template.replaceAll(PLACEHOLDER.queueId, farm.queueId).replaceAll(PLACEHOLDER.fleetId, farm.fleetId));
  }
}

/** A farm, queue and fleet, and a small batch in them, each acknowledged. */
export async function farmWithEarlierBatch(ft: Farmtally, name: string): Promise<FarmParents> {
  const farm = await farmWithParents(ft.client, name);
  const records = Array.from({ length: EARLIER_RECORDS }, (_, i) => numberedRecord(farm, i, EARLIER_SEED));
  const sent = await postSessions(ft.url, farm.farmId, toNdjson(records));
  assert.equal(sent.status, 200, sent.text);
  assert.equal(sent.body.created, EARLIER_RECORDS);
  return farm;
}

/**
 * Where in the batch's life a kill landed, from what the client had sent and what the server
 * had printed (FARMTALLY_INGEST_TRACE) before it died:
 * streaming: the body had not all arrived; staging: it had (spooled whole) and was not yet
 * staged; commit: staged, not yet committed; committed: the commit was done.
 * The careful path prints nothing between the body and its commit: `after-body` there.
 */
export type Phase = 'streaming' | 'staging' | 'commit' | 'after-body' | 'committed';

/** Which way the server reads the batch: fast (NDJSON spooled, then bulk-loaded) or careful (record by record: CSV, or the fast path off). */
export type IngestPath = 'fast' | 'careful';

export type KillPlan =
  /** With that fraction of the body sent, the rest held back. */
  | { at: 'mid-body'; fraction: number }
  /** That long after the whole body was sent. */
  | { at: 'after-body'; delayMs: number }
  /** That long after the server printed the batch staged (its commit starts then). */
  | { at: 'after-staged'; delayMs: number }
  /** Right after the 200: an acknowledged batch must survive the kill. */
  | { at: 'after-answer' }
  /**
   * As soon as the batch's first session can be read through the API (GetSession, polled
   * while the batch is sent): when a half-written batch would first show.
   */
  | { at: 'when-visible' };

export interface KillOutcome {
  phase: Phase;
  answer: UploadAnswer;
  /** The server said the batch is in (answered 200, or printed it committed): it must be there after the restart. */
  mustBePresent: boolean;
  /** How long the commit took, from its staging to its end, when the server got that far. */
  commitMs?: number;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The trace line of a batch of `records` into the farm (the earlier, smaller batch has another count). */
const tracePattern = (farmId: string, records: number, what: string) => new RegExp(`ingest into ${farmId} \\(request [^)]*\\): ${records} records ${what}`);

/** Uploads the batch into the farm and kills the server (SIGKILL) at the plan's point. */
export async function killDuringBatch(ft: Farmtally, farm: FarmParents, batch: LargeBatch, path: IngestPath, plan: KillPlan): Promise<KillOutcome> {
  const staged = tracePattern(farm.farmId, batch.records, 'staged by the bulk load');
  const committed = tracePattern(farm.farmId, batch.records, 'committed');
  const body = batch.bodyFor(farm);
  const upload = new Upload(ft.url, ingestPath(farm.farmId), body, CONTENT_TYPE[batch.format]);
  if (plan.at === 'mid-body') {
    await upload.sendUntil(Math.floor(body.length * plan.fraction));
    await killHard(ft);
  } else if (plan.at === 'after-body') {
    await upload.finish();
    await pause(plan.delayMs);
    await killHard(ft);
  } else if (plan.at === 'when-visible') {
    const sending = upload.finish();
    await waitUntilVisible(ft.client, farm.farmId, batch.firstRecord(farm), upload);
    await killHard(ft);
    await sending;
  } else if (plan.at === 'after-answer') {
    await upload.finish();
    const answer = await upload.answer;
    assert.equal(answer.status, 200, JSON.stringify(answer));
    await killHard(ft);
  } else {
    const sending = upload.finish();
    await whenOutput(ft, new RegExp(`${staged.source}|${committed.source}`));
    await pause(plan.delayMs);
    await killHard(ft);
    await sending;
  }
  const answer = await upload.answer;
  const output = ft.output();
  let phase: Phase;
  if (answer.status === 200 || committed.test(output)) phase = 'committed';
  else if (staged.test(output)) phase = 'commit';
  else if (!upload.finished) phase = 'streaming';
  else if (path === 'careful') phase = 'after-body';
  else {
    // The fast path spools the body to a file before staging it: the whole body in that file
    // says it had all arrived; a shorter file, that it was still coming in. (No spool folder
    // to look at: the client had sent it all, which is the best evidence left.)
    const spooled = spooledSizes(ft.dataDir);
    phase = spooled === undefined || spooled.includes(body.length) ? 'staging' : 'streaming';
  }
  const commitMs = Number(new RegExp(`${committed.source} \\((\\d+) ms\\)`).exec(output)?.[1] ?? NaN);
  return { phase, answer, mustBePresent: answer.status === 200 || phase === 'committed', commitMs: Number.isFinite(commitMs) ? commitMs : undefined };
}

/** Polls GetSession for the record until it is found, or the upload has its answer first. */
async function waitUntilVisible(client: DeadlineClient, farmId: string, r: ReturnType<LargeBatch['firstRecord']>, upload: Upload): Promise<void> {
  while (!upload.done) {
    try {
      await client.send(new GetSessionCommand({ farmId, queueId: r.queueId, jobId: r.jobId, sessionId: r.sessionId }));
      return;
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
    }
    await pause(5);
  }
}

/**
 * Checks a farm after a restart: it, its queue and fleet and the earlier batch are intact,
 * and the large batch is wholly there or wholly absent (sessions and jobs alike).
 */
export async function largeBatchPresent(client: DeadlineClient, farm: FarmParents, batch: LargeBatch): Promise<boolean> {
  const { farmId, queueId, fleetId } = farm;
  await client.send(new GetFarmCommand({ farmId }));
  await client.send(new GetQueueCommand({ farmId, queueId }));
  await client.send(new GetFleetCommand({ farmId, fleetId }));
  assert.ok(await jobExists(client, farmId, queueId, numberedRecord(farm, 0, EARLIER_SEED).jobId), `the earlier batch's first job is missing in ${farmId}`);
  const count = await sessionCount(client, farmId, fleetId);
  assert.ok(
    count === EARLIER_RECORDS || count === EARLIER_RECORDS + batch.records,
    `farm ${farmId} holds ${count} sessions: neither the earlier ${EARLIER_RECORDS} alone nor with the whole batch of ${batch.records}`,
  );
  const present = count === EARLIER_RECORDS + batch.records;
  assert.equal(await jobExists(client, farmId, queueId, batch.firstJob), present, `the batch's first job vs ${count} sessions`);
  assert.equal(await jobExists(client, farmId, queueId, batch.lastJob), present, `the batch's last job vs ${count} sessions`);
  return present;
}
