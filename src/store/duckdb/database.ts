// One DuckDB instance per data folder, used so that every write stands on its own:
// - writes go through one queue, each in a transaction of its own on the writer connection,
//   so no request's fate depends on another's (a batch that rolls back takes only itself);
// - reads run on a pool of reader connections in auto-commit: they see what is committed,
//   never a writer's open transaction, and do not wait behind it;
// - long work (an aggregation, a batch's staging) leases a connection of its own.
// A fatal engine error (DuckDB invalidates a database whose checkpoint could not write) is
// seen on any of them: from then on every call fails at once with a StorageFault saying so,
// while the database takes its connections back and reopens the file, retrying until it can.
import { existsSync, mkdirSync, statfsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { StorageFault } from '../store.js';
import { Lease, ReaderPool, readRows, sqlOn, type Row, type Sql, type WriterSql } from './connections.js';
import { engineCause, faultKind, lacksSpace } from './engine-faults.js';

export type { Row, Sql } from './connections.js';

export interface DatabaseOptions {
  /** Folder of the database file; `:memory:` keeps everything in memory. */
  dataDir: string;
  threads?: number;
  memoryLimit?: string;
  /** Where to say what opening the store does that takes a while, and that a recovery ended. */
  log?: (message: string) => void;
  /** Where to say what goes wrong with the engine (a full disk, a failure, a reopening that fails); `log` unless given. */
  warn?: (message: string) => void;
  /** Where to log each checkpoint the writer runs, and its time (diagnosis). */
  traceCheckpoints?: (message: string) => void;
  /**
   * Opens an existing data file only to read (DuckDB's READ_ONLY: a WAL is replayed in
   * memory, the file is never written, and every write fails). A server holding the file
   * refuses it its lock, as it refuses another server.
   */
  readOnly?: boolean;
}

/** WAL at which an idle writer checkpoints: small checkpoints, each short. */
const CHECKPOINT_IDLE_BYTES = 2 * 2 ** 20;
/** WAL at which the writer checkpoints between two writes even when more are waiting. */
const CHECKPOINT_BUSY_BYTES = 8 * 2 ** 20;
/**
 * How long the writer stays idle before an idle checkpoint. A client sending batches one
 * after another (an import of 10 000-record batches) leaves the writer idle between them, and
 * a checkpoint after each cost about as much as the batch (80 to 500 ms at 10 M sessions);
 * such a client now checkpoints only past CHECKPOINT_BUSY_BYTES.
 */
const CHECKPOINT_IDLE_DELAY_MS = 1000;
/** How long the writer waits to checkpoint again after a checkpoint failed (a full disk). */
const CHECKPOINT_RETRY_AFTER_FAILURE_MS = 30_000;
/** DuckDB's own threshold, left as a backstop far above ours (its checkpoint runs inside a commit). */
const ENGINE_CHECKPOINT_THRESHOLD = '64MiB';

function walBytes(path: string): number {
  try {
    return statSync(`${path}.wal`).size;
  } catch {
    return 0;
  }
}

/** The engine's memory limit unless --memory-limit says otherwise (in domain/ for the command line). */
import { DEFAULT_MEMORY_LIMIT } from '../../domain/server-defaults.js';
export { DEFAULT_MEMORY_LIMIT };

/** Readers open at most: enough for concurrent pages and lists, each a connection's worth of engine memory. */
const MAX_READERS = 4;

interface Engine {
  instance: DuckDBInstance;
  writer: DuckDBConnection;
  readers: ReaderPool;
  leases: Set<Lease>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A failure for want of disk space, as the writer last met it. */
export interface NoSpaceSeen {
  fault: StorageFault;
  /** Bytes free on the data file's disk just after it (undefined when they cannot be told). */
  freeBytes: number | undefined;
}

/** What the database knows of its own state without asking the engine anything (GET /health). */
export interface KnownState {
  /** Set while the engine is out of service (failed, reopening). */
  fault?: StorageFault;
  /** The last failure for want of disk space, until the writer's next checkpoint succeeds. */
  noSpace?: NoSpaceSeen;
}

export class Database implements Sql {
  private writeQueue: Promise<unknown> = Promise.resolve();
  /** Writes queued or running; 0 when the writer is idle. */
  private waitingWrites = 0;
  private checkpointing = false;
  private checkpointHeldUntil = 0;
  /** Writes ended so far, and the timer of an idle checkpoint (cancelled by a write before it). */
  private writesEnded = 0;
  private idleCheckpoint?: NodeJS.Timeout;
  /** Set while the engine is out of service (failed, reopening); every call throws it. */
  private fault?: StorageFault;
  private recovering?: Promise<void>;
  private closed = false;
  private noSpaceLoggedAt = 0;
  private noSpace?: NoSpaceSeen;
  private readonly reopenHooks: (() => Promise<unknown>)[] = [];
  /** Whether the engine, when it last opened the file, found a WAL to replay (the last run did not close cleanly). */
  private replayed = false;
  private readonly log: (message: string) => void;
  private readonly warn: (message: string) => void;

  private constructor(
    private engine: Engine,
    private readonly path: string,
    private readonly options: DatabaseOptions,
    /** Statements run on every open of the file (schema, attachments), in order. */
    private readonly setup: readonly string[],
  ) {
    this.log = options.log ?? (() => undefined);
    this.warn = options.warn ?? this.log;
  }

  static async open(options: DatabaseOptions, setup: readonly string[] = []): Promise<Database> {
    let path = ':memory:';
    if (options.dataDir !== ':memory:') {
      path = join(options.dataDir, 'farmtally.duckdb');
      if (!options.readOnly) mkdirSync(options.dataDir, { recursive: true });
      else if (!existsSync(path)) throw new Error(`${options.dataDir} holds no farmtally.duckdb: is it a farmtally data folder (serve --data)?`);
    }
    let engine: Engine;
    const replayed = walBytes(path) > 0;
    try {
      engine = await openEngine(path, options, setup);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      const hint = /lock/i.test(why)
        ? 'Is another farmtally server using this --data folder? Stop it or pick another folder.'
        : /No space left|ENOSPC/i.test(why)
          ? 'The disk is full: free space there.'
          : 'Check --data, --memory-limit (e.g. 1GB) and --threads.';
      throw new Error(`cannot open the data store at ${path}: ${why}. ${hint}`);
    }
    const db = new Database(engine, path, options, setup);
    db.replayed = replayed;
    return db;
  }

  /**
   * Whether the last opening of the file replayed a WAL: the previous run (or engine) ended
   * without a clean close (kill -9, a crash, a fault). What DuckDB rebuilds from a WAL is
   * not always whole: see migrations.ts, rebuildJobKeys.
   */
  get replayedWal(): boolean {
    return this.replayed;
  }

  /** A read of committed data. */
  all(sql: string, params: DuckDBValue[] = []): Promise<Row[]> {
    return this.guard(() => this.engine.readers.with((connection) => readRows(connection, sql, params)));
  }

  async one(sql: string, params: DuckDBValue[] = []): Promise<Row | undefined> {
    return (await this.all(sql, params))[0];
  }

  /** One write statement, queued behind the writes before it, committed on its own. */
  async run(sql: string, params: DuckDBValue[] = []): Promise<void> {
    await this.queued((writer) => writer.run(sql, params));
  }

  /** One write statement that returns rows (`RETURNING`), committed on its own. */
  write(sql: string, params: DuckDBValue[] = []): Promise<Row[]> {
    return this.queued((writer) => readRows(writer, sql, params));
  }

  /**
   * Runs `work` alone on the writer inside BEGIN/COMMIT (ROLLBACK on any error): a batch is
   * all or nothing, and no other request's statements fall inside it. `work` must run its
   * statements on `tx`, which sees the transaction's own writes.
   */
  transaction<T>(work: (tx: WriterSql) => Promise<T>): Promise<T> {
    return this.queued((writer) => inTransaction(writer, work));
  }

  /**
   * A turn on the writer for several transactions in a row (a group commit, then its
   * batches alone if the group failed): `turn.transaction` runs at once, as nothing else
   * writes until `work` ends.
   */
  writerTurn<T>(work: (turn: { transaction<R>(work: (tx: WriterSql) => Promise<R>): Promise<R> }) => Promise<T>): Promise<T> {
    return this.queued((writer) => work({ transaction: (w) => this.guard(() => inTransaction(writer, w)) }));
  }

  /** A connection of its own for long work; close it when done. */
  async lease(): Promise<Lease> {
    return this.guard(async () => {
      const engine = this.engine;
      const lease = new Lease(await engine.instance.connect(), (work) => this.guard(work), (l) => engine.leases.delete(l));
      engine.leases.add(lease);
      return lease;
    });
  }

  /**
   * The engine's state as last seen, at no cost: a health check reads this instead of
   * writing (a write per check let an unauthenticated flood of /health take the writer).
   */
  known(): KnownState {
    return { fault: this.fault, noSpace: this.noSpace };
  }

  /** Bytes free on the disk of the data file now; undefined in memory or when the system cannot say. */
  freeBytes(): number | undefined {
    if (this.path === ':memory:') return undefined;
    try {
      const disk = statfsSync(dirname(this.path));
      return disk.bavail * disk.bsize;
    } catch {
      return undefined;
    }
  }

  /** Work to do after the engine was reopened (the old connections' work was cut short). */
  onReopen(hook: () => Promise<unknown>): void {
    this.reopenHooks.push(hook);
  }

  /** Closes once every queued write has ended and the leases are back: closing under one crashes the engine. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleCheckpoint);
    await this.recovering;
    await this.writeQueue;
    await closeEngine(this.engine);
  }

  private queued<T>(work: (writer: DuckDBConnection) => Promise<T>): Promise<T> {
    this.waitingWrites++;
    const next = this.writeQueue.then(() => this.guard(() => work(this.engine.writer)));
    this.writeQueue = next.catch(() => undefined);
    void next.then(
      () => this.afterWrite(),
      () => this.afterWrite(),
    );
    return next;
  }

  /**
   * Checkpoints on the writer's own terms (DuckDB's own, at 16 MiB of WAL inside whichever
   * commit crosses it, stalled that request 0.3 to 4 s): when the writer has stayed idle for
   * CHECKPOINT_IDLE_DELAY_MS with CHECKPOINT_IDLE_BYTES of WAL, or between two writes once the
   * WAL has CHECKPOINT_BUSY_BYTES even while busy. A checkpoint that cannot run now (a
   * reader's transaction is open) is tried again after a later write.
   */
  private afterWrite(): void {
    this.waitingWrites--;
    this.writesEnded++;
    if (this.checkpointBlocked()) return;
    const wal = walBytes(this.path);
    if (wal >= CHECKPOINT_BUSY_BYTES) return this.checkpoint(wal);
    if (this.waitingWrites === 0 && wal >= CHECKPOINT_IDLE_BYTES) {
      const seen = this.writesEnded;
      clearTimeout(this.idleCheckpoint);
      this.idleCheckpoint = setTimeout(() => {
        if (this.writesEnded === seen && this.waitingWrites === 0 && !this.checkpointBlocked()) this.checkpoint(walBytes(this.path));
      }, CHECKPOINT_IDLE_DELAY_MS);
      this.idleCheckpoint.unref();
    }
  }

  private checkpointBlocked(): boolean {
    return this.checkpointing || this.closed || Boolean(this.fault) || this.path === ':memory:' || Date.now() < this.checkpointHeldUntil;
  }

  private checkpoint(wal: number): void {
    this.checkpointing = true;
    const started = performance.now();
    void this.queued((writer) => writer.run('CHECKPOINT'))
      .then(
        () => {
          // The data file took megabytes and the WAL was emptied: the disk has room again.
          // (Any write succeeding would not say so: a small one fits in a file's last
          // block, or goes to the in-memory staging database, on a disk with no byte free.)
          this.noSpace = undefined;
          this.options.traceCheckpoints?.(`checkpoint of ${(wal / 2 ** 20).toFixed(1)} MiB of WAL in ${Math.round(performance.now() - started)} ms`);
        },
        (err) => {
          // A checkpoint that failed for want of disk invalidated the engine, which is reopened
          // (DuckDB replays the WAL; nothing acknowledged is lost); trying again at once would
          // only fail again, so wait. One put off by an open transaction is tried again soon.
          const fatal = err instanceof StorageFault;
          this.checkpointHeldUntil = Date.now() + (fatal ? CHECKPOINT_RETRY_AFTER_FAILURE_MS : 1000);
          (fatal ? this.warn : (line: string) => this.options.traceCheckpoints?.(line))(`checkpoint put off: ${engineCause(err)}`);
        },
      )
      .finally(() => (this.checkpointing = false));
  }

  /** Runs engine work, failing fast while the engine is out of service and turning storage faults into StorageFault. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    if (this.fault) throw this.fault;
    try {
      return await work();
    } catch (err) {
      throw this.examine(err);
    }
  }

  private examine(err: unknown): unknown {
    switch (faultKind(err)) {
      case 'invalidated':
        this.recover(engineCause(err), lacksSpace(err));
        return this.fault ?? err;
      case 'no-space': {
        const fault = this.sawNoSpace(engineCause(err));
        // Said once a minute at most: every write fails alike until someone frees space.
        if (Date.now() - this.noSpaceLoggedAt > 60_000) {
          this.noSpaceLoggedAt = Date.now();
          this.warn(`a write failed for want of disk space: ${engineCause(err)}. Free disk space where ${this.path} lives.`);
        }
        return fault;
      }
      case 'disconnected':
        return this.fault ?? err;
      default:
        return err;
    }
  }

  /** The fault a full disk is answered with (507, free disk space), remembered for the health check until a checkpoint succeeds. */
  private sawNoSpace(cause: string): StorageFault {
    const fault = StorageFault.noSpace(cause);
    this.noSpace = { fault, freeBytes: this.freeBytes() };
    return fault;
  }

  /**
   * Takes every connection back from the failed engine and opens the file again, until it
   * opens. Until then every request is answered with the fault: when the disk is what
   * failed (a checkpoint or commit that could not write), the same 507 "free disk space" a
   * write refused for want of space gets, not a 503 that only says the engine is reopening.
   */
  private recover(cause: string, noSpace: boolean): void {
    if (this.fault) return;
    this.fault = noSpace ? this.sawNoSpace(cause) : StorageFault.unavailable(cause);
    this.warn(`the storage engine failed: ${cause}. Reopening the data file ${this.path}.`);
    const failed = this.engine;
    this.recovering = (async () => {
      // The write under way fails at once on the failed engine; those queued behind it fail on the fault.
      failed.writer.interrupt();
      await this.writeQueue;
      await closeEngine(failed);
      if (this.path === ':memory:') {
        this.warn('an in-memory store cannot be reopened: restart the server.');
        return;
      }
      for (let attempt = 1; ; attempt++) {
        try {
          this.replayed = walBytes(this.path) > 0;
          this.engine = await openEngine(this.path, this.options, this.setup);
          break;
        } catch (err) {
          if (this.closed) return;
          // A file that cannot be opened for want of space is a full disk, whatever stopped the engine.
          if (lacksSpace(err)) this.fault = this.sawNoSpace(engineCause(err));
          const wait = Math.min(10, attempt) * 1000;
          this.warn(`reopening the data file failed (attempt ${attempt}): ${engineCause(err)}. Trying again in ${wait / 1000} s; if the disk is full, free space.`);
          await sleep(wait);
        }
      }
      this.fault = undefined;
      for (const hook of this.reopenHooks) await hook().catch((err) => this.warn(`after reopening: ${engineCause(err)}`));
      this.log('the storage engine was reopened; serving again.');
    })().finally(() => (this.recovering = undefined));
  }
}

async function inTransaction<T>(writer: DuckDBConnection, work: (tx: WriterSql) => Promise<T>): Promise<T> {
  await writer.run('BEGIN TRANSACTION');
  try {
    const result = await work(sqlOn(writer));
    await writer.run('COMMIT');
    return result;
  } catch (err) {
    await writer.run('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function openEngine(path: string, options: DatabaseOptions, setup: readonly string[]): Promise<Engine> {
  const config: Record<string, string> = {
    threads: String(options.threads ?? 2),
    memory_limit: options.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
    checkpoint_threshold: ENGINE_CHECKPOINT_THRESHOLD,
    ...(options.readOnly ? { access_mode: 'READ_ONLY' } : {}),
  };
  const instance = await DuckDBInstance.create(path, config);
  try {
    const writer = await instance.connect();
    for (const statement of setup) await writer.run(statement);
    return { instance, writer, readers: new ReaderPool(instance, MAX_READERS), leases: new Set() };
  } catch (err) {
    instance.closeSync();
    throw err;
  }
}

/** Takes back every lease (stopping their statements), waits for the reads, then closes. */
async function closeEngine(engine: Engine): Promise<void> {
  await Promise.all([...engine.leases].map((lease) => lease.revoke()));
  await engine.readers.close();
  for (const close of [() => engine.writer.closeSync(), () => engine.instance.closeSync()]) {
    try {
      close();
    } catch {
      // A failed engine may refuse to close cleanly; its file is released either way.
    }
  }
}
