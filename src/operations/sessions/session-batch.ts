// One batch of session records on its way in, all or nothing: each record read from the
// body is validated against the record's shape and the farm's queues and fleets; a batch
// that never grows past IN_MEMORY_RECORDS is written from memory (the store's group
// commit), a larger one is staged as it streams. A large NDJSON body is first offered to
// the store whole (the fast path), checked against the record shape's constraints handed
// over as data; when the store cannot vouch for every record, the body is read record by
// record here. Only this path words rejections, naming the record (`records.<n>.<field>`)
// and, in the message, the body line it came from.
import { CLOCK_ALLOWANCE_MS, endsBeforeItStarts, licenseProductSet, sessionTimeRange } from '../../domain/session-record.js';
import type { SessionRecord } from '../../domain/resources.js';
import { readSessionRecords, type SessionFormat } from '../../domain/session-formats/read-records.js';
import { MissingParentsError, WriterBusyError, type IngestAnswer, type ReceivedBody, type SessionRecordRules, type StagedSessions } from '../../store/store.js';
import type { OperationContext } from '../context.js';
import { throttling, tooLarge, validationError, type FieldFailure } from '../errors.js';
import { requireFarm } from '../support.js';
import type { Infer } from '../validation/shapes.js';
import { validate } from '../validation/validate.js';
import { RECORD_MEMBER_RULES, SessionRecordShape } from './session-record-shape.js';

/** A batch's body as the operation has it: its format, and its bytes in memory (a small body) or received by the store (a large one). */
export type BatchBody = { format: SessionFormat; verify(): Promise<void> } & ({ chunks: readonly Buffer[] } | { received: ReceivedBody });

/** The most one line (NDJSON) or record (CSV) may take: a record is a few hundred bytes. */
export const MAX_RECORD_BYTES = 64 * 1024;

/** A batch past the server's record limit (--max-batch-records), refused as soon as it is seen. */
export function tooManyRecords(max: number) {
  return tooLarge(`The batch holds more than ${max} records, this server's limit per request; nothing was written. Send fewer records per request (farmtally import --batch-size).`);
}

/** A batch of at most this many records is kept in memory and written by group commit; a larger one is staged as it streams. */
export const IN_MEMORY_RECORDS = 5_000;

/** How many failures a rejection lists in its fieldList; the message gives the total. */
export const MAX_LISTED_FAILURES = 100;
/**
 * Reading stops at this many bad records: the batch is lost already, and a body of a
 * million bad records (a few KB gzipped) would otherwise buy seconds of CPU.
 */
export const STOP_AT_BAD_RECORDS = 300;
/** How many failures the rejection's message spells out. */
const FAILURES_IN_MESSAGE = 3;

export class SessionIngest {
  private received = 0;
  private badRecords = 0;
  /** Problems of the body rather than of a record (a CSV header). */
  private bodyProblems = 0;
  private failureCount = 0;
  private readonly failures: FieldFailure[] = [];
  private pending: SessionRecord[] = [];

  private constructor(
    private readonly ctx: OperationContext,
    private readonly farmId: string,
    private readonly queueIds: ReadonlySet<string>,
    private readonly fleetIds: ReadonlySet<string>,
    /** When the batch's timestamps may lie, fixed when the batch began. */
    private readonly timeRange = sessionTimeRange(ctx.now()),
  ) {}

  /** Starts a batch for the farm (its ID validated already): ResourceNotFoundException when there is no such farm. */
  static async begin(ctx: OperationContext, farmId: string): Promise<SessionIngest> {
    await requireFarm(ctx, farmId);
    const parents = await ctx.store.sessionParentIds(farmId);
    return new SessionIngest(ctx, farmId, new Set(parents.queueIds), new Set(parents.fleetIds));
  }

  /** The store's staging area, opened only once the batch outgrows memory (or for a bulk load). */
  private staging?: Promise<StagedSessions>;
  private get staged(): Promise<StagedSessions> {
    return (this.staging ??= this.ctx.store.stageSessions(this.farmId));
  }

  /** A record read from body line `line`: validated, and staged while the batch is clean. */
  private record(line: number, value: unknown): void {
    const path = `records.${this.count()}`;
    const checked = validate(SessionRecordShape, value, path);
    // Members that passed their own checks are set even when others failed: the rules across
    // members run on those, so one rejection lists all of a record's problems.
    const problems = [...checked.failures, ...this.crossChecks(checked.value ?? {}, path)];
    if (problems.length) return this.reject(line, problems);
    // Once the batch is lost there is no point staging more of it; reading on only counts failures.
    if (this.lost) return;
    const valid = checked.value;
    this.pending.push({
      ...valid,
      startedAt: valid.startedAt.getTime(),
      endedAt: valid.endedAt?.getTime(),
      licenseProducts: licenseProductSet(valid.licenseProducts),
    });
  }

  /**
   * Reads the body and writes the batch: a large NDJSON body through the store's bulk load
   * when it vouches for every record, else record by record. Answers the counts; on any
   * failure nothing is written and the staging area is released. `verify` (what the client
   * signed) is called once the body is read, before anything is written.
   */
  async ingest(body: BatchBody, trace?: (what: string) => void): Promise<IngestAnswer> {
    try {
      const started = performance.now();
      if ('chunks' in body) {
        await this.readRecords(body.chunks, body.format);
      } else {
        // Switched off, or for CSV, the received body goes straight to the careful reader.
        const loaded = body.format === 'ndjson' && this.ctx.settings.bulkIngest ? await this.loadWhole(body.received) : undefined;
        if (loaded === 'staged') {
          trace?.(`${this.received} records staged by the bulk load (${Math.round(performance.now() - started)} ms)`);
        } else {
          if (loaded) trace?.(`read record by record: ${loaded.careful}`);
          await this.readRecords(body.received.chunks(), body.format);
          if (loaded) trace?.(`read record by record in ${Math.round(performance.now() - started)} ms`);
        }
      }
      await body.verify();
    } catch (err) {
      await this.abandon();
      throw err;
    }
    const finishing = performance.now();
    const counts = await this.finish();
    trace?.(`${counts.received} records committed (${Math.round(performance.now() - finishing)} ms)`);
    return counts;
  }

  /**
   * The fast path: the whole NDJSON body handed to the store to check and stage in one go,
   * against the record rules and the farm's queues and fleets. `staged` when it did;
   * otherwise why the careful path must read it.
   */
  private async loadWhole(received: ReceivedBody): Promise<'staged' | { careful: string }> {
    const staged = await this.staged;
    if (!staged.loadNdjson || !RECORD_MEMBER_RULES) return { careful: 'the store or the record shape has no bulk load' };
    const rules: SessionRecordRules = {
      members: RECORD_MEMBER_RULES,
      notBefore: [['endedAt', 'startedAt']],
      oneOf: { queueId: [...this.queueIds], fleetId: [...this.fleetIds] },
      timeRange: this.timeRange,
      maxLineBytes: MAX_RECORD_BYTES,
    };
    const loaded = await staged.loadNdjson(received, rules);
    if ('careful' in loaded) return loaded;
    this.received = loaded.staged;
    return 'staged';
  }

  /** The careful path: the body's records one by one, staging between chunks so memory holds one chunk's records. */
  private async readRecords(chunks: AsyncIterable<Buffer> | Iterable<Buffer>, format: SessionFormat): Promise<void> {
    for await (const items of readSessionRecords(chunks, format, MAX_RECORD_BYTES)) {
      for (const item of items) {
        if (item.kind === 'record') this.record(item.line, item.value);
        else if (item.kind === 'unreadable') this.unreadable(item.line, item.why);
        else this.problem(item.name, item.message);
      }
      await this.stage();
    }
  }

  /** A record that could not be read at all (bad JSON, a malformed CSV row, too long). */
  private unreadable(line: number, why: string): void {
    const position = this.count();
    this.reject(line, [{ name: `records.${position}`, message: why }]);
  }

  /** A failure of the body as a whole rather than of one record (a CSV header). */
  private problem(name: string, message: string): void {
    this.bodyProblems++;
    this.pending = [];
    this.note([{ name, message }]);
  }

  /**
   * Called between body chunks: once the batch holds more than IN_MEMORY_RECORDS, hands the
   * records validated so far to the store's staging area, so memory stays bounded. A batch
   * that never grows that large is written from memory (the store's writeSessions: group
   * commit, no staging table).
   */
  private async stage(force = false): Promise<void> {
    if (this.pending.length === 0 || (!force && !this.staging && this.pending.length <= IN_MEMORY_RECORDS)) return;
    const records = this.pending;
    this.pending = [];
    await (await this.staged).append(records);
  }

  /** Writes the batch if every record passed; otherwise one ValidationException naming them. */
  private async finish(): Promise<IngestAnswer> {
    if (this.lost) {
      await this.abandon();
      throw this.rejection();
    }
    try {
      if (!this.staging) return { received: this.received, ...(await this.ctx.store.writeSessions(this.farmId, this.pending, this.ctx.now())) };
      await this.stage(true);
      return { received: this.received, ...(await (await this.staged).commit(this.ctx.now())) };
    } catch (err) {
      if (err instanceof MissingParentsError) throw vanishedParents(err, this.farmId);
      if (err instanceof WriterBusyError) {
        throw throttling(`The server has ${err.waitingRecords} session records waiting to be written already; nothing of this batch was written. Send it again in a moment.`, 1);
      }
      throw err;
    }
  }

  /** Drops the batch (the body failed to arrive, or the caller gave up). */
  private async abandon(): Promise<void> {
    this.pending = [];
    const staged = await this.staging?.catch(() => undefined);
    await staged?.discard();
  }

  /** One more record read: its position in the batch, or the batch refused past the record limit. */
  private count(): number {
    if (++this.received > this.ctx.settings.maxBatchRecords) throw tooManyRecords(this.ctx.settings.maxBatchRecords);
    return this.received;
  }

  private get lost(): boolean {
    return this.badRecords > 0 || this.bodyProblems > 0;
  }

  private crossChecks(r: Partial<Infer<typeof SessionRecordShape>>, path: string): FieldFailure[] {
    const problems: FieldFailure[] = [];
    if (r.startedAt && r.endedAt && endsBeforeItStarts({ startedAt: r.startedAt.getTime(), endedAt: r.endedAt.getTime() })) {
      problems.push({ name: `${path}.endedAt`, message: `endedAt ${r.endedAt.toISOString()} is before startedAt ${r.startedAt.toISOString()}` });
    }
    for (const member of ['startedAt', 'endedAt'] as const) {
      const at = r[member]?.getTime();
      if (at === undefined) continue;
      if (at < this.timeRange.from) {
        problems.push({ name: `${path}.${member}`, message: `${member} ${r[member]!.toISOString()} is before ${new Date(this.timeRange.from).toISOString()}, the earliest a session record may hold; check the date` });
      } else if (at > this.timeRange.to) {
        problems.push({ name: `${path}.${member}`, message: `${member} ${r[member]!.toISOString()} is more than a day past the server's clock (${new Date(this.timeRange.to - CLOCK_ALLOWANCE_MS).toISOString()}); a session record holds work that has happened: check the date and the clocks` });
      }
    }
    if (r.queueId && !this.queueIds.has(r.queueId)) {
      problems.push({ name: `${path}.queueId`, message: `queue ${r.queueId} does not exist in farm ${this.farmId}; create it (CreateQueue) or fix the record` });
    }
    if (r.fleetId && !this.fleetIds.has(r.fleetId)) {
      problems.push({ name: `${path}.fleetId`, message: `fleet ${r.fleetId} does not exist in farm ${this.farmId}; create it (CreateFleet) or fix the record` });
    }
    return problems;
  }

  private reject(line: number, failures: FieldFailure[]): void {
    this.badRecords++;
    this.pending = [];
    this.note(failures.map((f) => ({ name: f.name, message: `line ${line}: ${f.message}` })));
    if (this.badRecords >= STOP_AT_BAD_RECORDS) throw this.rejection(line);
  }

  private note(failures: FieldFailure[]): void {
    this.failureCount += failures.length;
    for (const f of failures) if (this.failures.length < MAX_LISTED_FAILURES) this.failures.push(f);
  }

  /** The batch's ValidationException; `stoppedAt`: the body line where reading stopped, when it did. */
  private rejection(stoppedAt?: number) {
    const shown = this.failures.slice(0, FAILURES_IN_MESSAGE).map((f) => f.message).join('; ');
    const more = this.failureCount > FAILURES_IN_MESSAGE ? `; and ${this.failureCount - FAILURES_IN_MESSAGE} more` : '';
    const listed = this.failureCount > this.failures.length ? ` fieldList shows the first ${this.failures.length} of ${this.failureCount} problems.` : '';
    const problems = `${this.failureCount} problem${this.failureCount === 1 ? '' : 's'}`;
    const where = this.badRecords > 0 ? ` in ${this.badRecords} of ${this.received} record${this.received === 1 ? '' : 's'}${stoppedAt ? ' read' : ''}` : '';
    const stopped = stoppedAt ? ` Reading stopped at line ${stoppedAt}, the ${STOP_AT_BAD_RECORDS}th bad record; there may be more after it.` : '';
    return validationError(
      `The batch was rejected and nothing was written: ${problems}${where}: ${shown}${more}.${listed}${stopped} Fix them and send the whole batch again.`,
      this.failures,
    );
  }
}

function vanishedParents(err: MissingParentsError, farmId: string) {
  const named = [...err.queueIds.map((id) => ({ name: 'queueId', id, kind: 'queue' })), ...err.fleetIds.map((id) => ({ name: 'fleetId', id, kind: 'fleet' }))];
  return validationError(
    `The batch was rejected and nothing was written: ${named.map((n) => `${n.kind} ${n.id}`).join(', ')} no longer exist${named.length === 1 ? 's' : ''} in farm ${farmId} (deleted while the batch was sent). Recreate it or fix the records, then send the batch again.`,
    named.map((n) => ({ name: n.name, message: `${n.kind} ${n.id} does not exist in farm ${farmId}` })),
  );
}

/** The body's bytes, refused (tooManyRecords) as soon as they hold more than `max` lines that are not empty. */
export async function* refusedPastRecords(chunks: AsyncIterable<Buffer> | Iterable<Buffer>, max: number): AsyncGenerator<Buffer> {
  let lines = 0;
  let lineBytes = 0; // of the line under way
  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      if (lineBytes + nl - start > 0 && ++lines > max) throw tooManyRecords(max);
      lineBytes = 0;
      start = nl + 1;
    }
    lineBytes += chunk.length - start;
    yield chunk;
  }
  if (lineBytes > 0 && ++lines > max) throw tooManyRecords(max);
}
