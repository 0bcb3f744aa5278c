// The store's answer to GET /health, made without writing anything. It used to write a row
// of `meta` and read it back on every call: the route needs no credentials, and a flood of
// it (145 writes/s from 50 loops) queued on the one writer ahead of everyone's writes and
// grew the WAL. Now it answers from what the database already knows, and reads at most once
// a second:
// - the engine out of service (failed, reopening): its fault, as every request gets it;
// - a write failed for want of disk space, and the writer has not checkpointed since: the
//   disk is full, until it has more room than it had then (an operator freed space: read
//   with statfs, so a server taken out of rotation comes back without waiting for a write);
// - otherwise a read of committed data, shared by every check within a second of it, and
//   bounded: a read not answered within 5 s is the problem, and no second one is started
//   while it hangs.
import { StorageFault, type StoreHealth } from '../store.js';
import type { Database } from './database.js';
import { engineCause } from './engine-faults.js';
import { within } from '../health-wait.js';

/** A read answers for this long: checks within it share its outcome. */
const PROBE_EVERY_MS = 1_000;
/** How long a read may take before the engine is said not to answer (it waits for a reader connection, behind long pages or lists). */
const PROBE_WAIT_MS = 5_000;
/** Free space past what the disk had at the failure that counts as room made (past what the engine itself gives back and takes). */
const ROOM_MARGIN_BYTES = 1024 * 1024;

export class StoreHealthCheck {
  private last?: { at: number; health: StoreHealth };
  private reading?: { since: number; outcome: Promise<StoreHealth> };

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {}

  async check(): Promise<StoreHealth> {
    const { fault, noSpace } = this.db.known();
    if (fault) return { ok: false, problem: fault.message };
    if (noSpace) {
      const free = this.db.freeBytes();
      const roomMade = free !== undefined && noSpace.freeBytes !== undefined && free > noSpace.freeBytes + ROOM_MARGIN_BYTES;
      if (!roomMade) return { ok: false, problem: noSpace.fault.message };
    }
    return this.read();
  }

  private read(): Promise<StoreHealth> {
    const now = this.now();
    if (this.last && now - this.last.at < PROBE_EVERY_MS) return Promise.resolve(this.last.health);
    const late: StoreHealth = { ok: false, problem: `the storage engine did not answer a read within ${PROBE_WAIT_MS / 1000} s` };
    if (this.reading) {
      // One read at a time: checks arriving while it runs wait for it, up to the bound.
      if (now - this.reading.since >= PROBE_WAIT_MS) return Promise.resolve(late);
      return within(this.reading.outcome, PROBE_WAIT_MS - (now - this.reading.since), late);
    }
    const outcome = this.db
      .one(`SELECT count(*) AS n FROM meta`)
      .then(
        (): StoreHealth => ({ ok: true }),
        (err): StoreHealth => ({ ok: false, problem: err instanceof StorageFault ? err.message : engineCause(err) }),
      )
      .then((health) => {
        this.last = { at: this.now(), health };
        this.reading = undefined;
        return health;
      });
    this.reading = { since: now, outcome };
    return within(outcome, PROBE_WAIT_MS, late);
  }
}
