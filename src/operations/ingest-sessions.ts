// IngestSessions, farmtally's extension (SPEC section 4): a batch of session records from a
// streamed body, all or nothing. The wire layer (wire/ingest-route.ts) takes care of the
// body (content type, gzip, limits, spooling, the readers of NDJSON and CSV); this operation
// decides how the batch is staged and writes it.
//
// A whole NDJSON body spooled to a file is first offered to the store, which stages it in
// one go when it can vouch for every record (the fast path), checked against the record
// shape's constraints handed over as data. Otherwise the body is read record by record here:
// each record validated against the shape below and the farm's queues and fleets, and
// staged; this alone words rejections, naming the record (`records.<n>.<field>`) and, in the
// message, the body line it came from. The batch is written only if every record passed, in
// one transaction.
import { INGEST_PATH } from '../domain/ingest-protocol.js';
import { CLOCK_ALLOWANCE_MS, endsBeforeItStarts, licenseProductSet, sessionTimeRange } from '../domain/session-record.js';
import type { SessionRecord } from '../domain/resources.js';
import { MissingParentsError, WriterBusyError, type IngestCounts, type SessionRecordRules, type StagedSessions } from '../store/store.js';
import { FarmId, FleetId, InstanceType, JobId, QueueId, SessionId, WorkerId } from './common-shapes.js';
import type { OperationContext } from './context.js';
import { fieldValidationError, throttling, tooLarge, validationError, type FieldFailure } from './errors.js';
import { requireFarm } from './support.js';
import { memberRules } from './validation/member-rules.js';
import { list, optional, required, string, structure, timestamp, type Infer } from './validation/shapes.js';
import { validate } from './validation/validate.js';

/** A session record's members and their constraints (the model's where it has them). */
export const SessionRecordShape = structure({
  sessionId: required(SessionId),
  queueId: required(QueueId),
  jobId: required(JobId),
  jobName: required(string({ min: 1, max: 128 })),
  // The model leaves UserId unconstrained; farmtally bounds it like a job name.
  userId: required(string({ min: 1, max: 128 })),
  fleetId: required(FleetId),
  workerId: required(WorkerId),
  instanceType: optional(InstanceType),
  startedAt: required(timestamp()),
  endedAt: optional(timestamp()),
  licenseProducts: optional(list(string({ min: 1, max: 100 }), { max: 100 })),
});

/** The shape's constraints as data for the store's bulk load: licenseProducts is kept as a set (licenseProductSet). */
const RECORD_MEMBER_RULES = memberRules(SessionRecordShape.members, ['licenseProducts']);

/** The operation as routes and grants name it (the route's method and path are the wire's to serve). */
export const INGEST_SESSIONS = {
  name: 'IngestSessions',
  method: 'POST',
  path: INGEST_PATH,
  action: 'deadline:IngestSessions',
} as const;

/** The most one line (NDJSON) or record (CSV) may take: a record is a few hundred bytes. */
export const MAX_RECORD_BYTES = 64 * 1024;

/** A spooled body: its file, and its longest line in bytes. */
export interface SpooledFile {
  path: string;
  longestLine: number;
}

/** A batch's body as the wire has it ready. */
export interface IngestBody {
  /**
   * Where the body can be spooled whole to a file (NDJSON): does so, refusing it past
   * `maxRecords` lines, so the store may stage the file in one go; the careful reading
   * then reads that file.
   */
  spool?(maxRecords: number): Promise<SpooledFile>;
  /** Feeds the body's records to the batch, record by record, staging between chunks (the careful path). */
  readRecords(batch: SessionIngest): Promise<void>;
  /** Throws when the bytes read differ from what the client signed (wire/auth); called before anything is written. */
  verify(): Promise<void>;
}

/** A batch past the server's record limit (--max-batch-records), refused as soon as it is seen. */
export function tooManyRecords(max: number) {
  return tooLarge(`The batch holds more than ${max} records, this server's limit per request; nothing was written. Send fewer records per request (farmtally import --batch-size).`);
}

/** A batch of at most this many records is kept in memory and written by group commit; a larger one is staged as it streams. */
export const IN_MEMORY_RECORDS = 5_000;

/** How many failures a rejection lists in its fieldList; the message gives the total. */
export const MAX_LISTED_FAILURES = 100;
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

  /** Starts a batch for the farm: ValidationException for a malformed farm ID, ResourceNotFoundException when there is no such farm. */
  static async begin(ctx: OperationContext, farmId: string): Promise<SessionIngest> {
    const { failures } = validate(FarmId, farmId, 'farmId');
    if (failures.length) throw fieldValidationError(failures);
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
  record(line: number, value: unknown): void {
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
   * Stages the body and writes the batch: through the store's bulk load when the body was
   * spooled and the store vouches for every record, else record by record. Answers the
   * counts; on any failure nothing is written and the staging area is released.
   */
  async ingest(body: IngestBody, trace?: (what: string) => void): Promise<IngestCounts> {
    try {
      // Spooled only for the fast path: switched off, a body streams straight into the careful reader.
      const spooled = body.spool && this.ctx.settings.bulkIngest ? await body.spool(this.ctx.settings.maxBatchRecords) : undefined;
      const started = performance.now();
      const careful = spooled ? await this.loadSpooled(spooled) : 'not spooled';
      if (careful === undefined) {
        trace?.(`${this.received} records staged by the bulk load (${Math.round(performance.now() - started)} ms)`);
      } else {
        if (spooled) trace?.(`read record by record: ${careful}`);
        await body.readRecords(this);
        if (spooled) trace?.(`read record by record in ${Math.round(performance.now() - started)} ms`);
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
   * The fast path: a spooled NDJSON body handed to the store to check and stage in one go,
   * against the record rules and the farm's queues and fleets. Undefined when it staged the
   * batch; otherwise why the careful path must read it (nothing was staged then).
   */
  private async loadSpooled(spooled: SpooledFile): Promise<string | undefined> {
    const staged = await this.staged;
    if (!staged.loadNdjson || !RECORD_MEMBER_RULES) return 'the store or the record shape has no bulk load';
    if (spooled.longestLine > MAX_RECORD_BYTES) return `a line is longer than ${MAX_RECORD_BYTES} bytes`;
    const rules: SessionRecordRules = {
      members: RECORD_MEMBER_RULES,
      notBefore: [['endedAt', 'startedAt']],
      oneOf: { queueId: [...this.queueIds], fleetId: [...this.fleetIds] },
      timeRange: this.timeRange,
    };
    const loaded = await staged.loadNdjson(spooled.path, rules);
    if ('careful' in loaded) return loaded.careful;
    this.received = loaded.staged;
    return undefined;
  }

  /** A record that could not be read at all (bad JSON, a malformed CSV row, too long). */
  unreadable(line: number, why: string): void {
    const position = this.count();
    this.reject(line, [{ name: `records.${position}`, message: why }]);
  }

  /** A failure of the body as a whole rather than of one record (a CSV header). */
  problem(name: string, message: string): void {
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
  async stage(force = false): Promise<void> {
    if (this.pending.length === 0 || (!force && !this.staging && this.pending.length <= IN_MEMORY_RECORDS)) return;
    const records = this.pending;
    this.pending = [];
    await (await this.staged).append(records);
  }

  /** Writes the batch if every record passed; otherwise one ValidationException naming them. */
  private async finish(): Promise<IngestCounts> {
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
  }

  private note(failures: FieldFailure[]): void {
    this.failureCount += failures.length;
    for (const f of failures) if (this.failures.length < MAX_LISTED_FAILURES) this.failures.push(f);
  }

  private rejection() {
    const shown = this.failures.slice(0, FAILURES_IN_MESSAGE).map((f) => f.message).join('; ');
    const more = this.failureCount > FAILURES_IN_MESSAGE ? `; and ${this.failureCount - FAILURES_IN_MESSAGE} more` : '';
    const listed = this.failureCount > this.failures.length ? ` fieldList shows the first ${this.failures.length} of ${this.failureCount} problems.` : '';
    const problems = `${this.failureCount} problem${this.failureCount === 1 ? '' : 's'}`;
    const where = this.badRecords > 0 ? ` in ${this.badRecords} of ${this.received} record${this.received === 1 ? '' : 's'}` : '';
    return validationError(
      `The batch was rejected and nothing was written: ${problems}${where}: ${shown}${more}.${listed} Fix them and send the whole batch again.`,
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
