// Retention (serve --retain-days N, an extension): sessions that ended more than N days ago
// are deleted at start-up and then every 24 hours, each run one transaction (the store's
// deleteSessionsEndedBefore: ordered with ingest, jobs left empty go too) and one log line
// with what it removed. Running sessions have no end and are never removed.
import type { DeletedSessions, DeletionStore } from '../../store/store.js';

const DAY_MS = 24 * 3_600_000;
/** How often retention runs after the run at start-up. */
export const RETENTION_INTERVAL_MS = DAY_MS;

export interface RetentionLog {
  info(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export class Retention {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly store: Pick<DeletionStore, 'deleteSessionsEndedBefore'>,
    private readonly days: number,
    private readonly log: RetentionLog,
    private readonly now: () => number = Date.now,
  ) {}

  /** One run: deletes what ended before now - days, and logs it (a failure is logged, not thrown: the next run tries again). */
  async run(): Promise<DeletedSessions | undefined> {
    const endedBefore = this.now() - this.days * DAY_MS;
    const started = performance.now();
    const fields = { retainDays: this.days, endedBefore: new Date(endedBefore).toISOString() };
    const run = this.store.deleteSessionsEndedBefore(endedBefore).then(
      (deleted) => {
        this.log.info(
          { ...fields, sessionsDeleted: deleted.sessions, jobsDeleted: deleted.jobs, durationMs: Math.round(performance.now() - started) },
          `retention: ${deleted.sessions} session${deleted.sessions === 1 ? '' : 's'} that ended more than ${this.days} day${this.days === 1 ? '' : 's'} ago deleted`,
        );
        return deleted;
      },
      (err: unknown) => {
        this.log.error({ ...fields, error: err instanceof Error ? err.message : String(err) }, 'retention: deleting old sessions failed; the next run tries again');
        return undefined;
      },
    );
    this.running = run;
    return run;
  }

  /** Runs now (the caller waits for it: start-up), then every RETENTION_INTERVAL_MS. */
  async start(): Promise<void> {
    await this.run();
    this.timer = setInterval(() => void this.run(), RETENTION_INTERVAL_MS);
    this.timer.unref();
  }

  /** No more runs; waits for one under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
