// Shared ingest capacity, bounded in total and per client, so that no one client can take
// all of it. Two kinds are used (operations/sessions/ingest-sessions.ts):
// - upload places: a body still arriving holds one (and at most a group-commit's worth of
//   memory, or a spool file); many at once, a few dozen per client, refused at once past
//   that (a client waiting for its own uploads gains nothing by queueing more);
// - batch slots: a batch being checked and staged holds one (a staging table in the
//   engine's memory and a connection until it commits), taken only once its body is in,
//   so a slow upload never holds one. Past a few, on two cores, they only queue at the
//   writer anyway. A request waits a while for a slot, then is told to come back
//   (ThrottlingException).
// A client is each of a request's keys (its source address; its principal too where
// callers are told apart): a request is refused when any of them holds its share already.
import { throttling } from '../errors.js';

export interface SlotLimits {
  /** Held at once by everyone. */
  size: number;
  /** Held at once by one client (one key). */
  perClient: number;
  /** How long a request waits for a free slot before it is throttled (0: not at all). */
  waitMs: number;
  /** What the slots are, for the answers: "batches being ingested", "uploads arriving". */
  what: string;
}

export class BatchSlots {
  private taken = 0;
  private readonly byClient = new Map<string, number>();
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limits: SlotLimits) {}

  /** How many slots `client` holds (or waits for) now. */
  heldBy(client: string): number {
    return this.byClient.get(client) ?? 0;
  }

  /**
   * A slot (call the function returned to give it back), or ThrottlingException: at once
   * when one of `clients` holds its share, after waiting `waitMs` when all slots are taken.
   */
  async take(clients: readonly string[]): Promise<() => void> {
    const { size, perClient, waitMs, what } = this.limits;
    const full = clients.find((c) => this.heldBy(c) >= perClient);
    if (full) throw throttling(`${describe(full)} has ${this.heldBy(full)} ${what} already, this server's limit per client; nothing of this batch was written. Send it again once one of them has been answered.`, 1);
    // Counted against its clients while it waits too, so a client cannot queue without bound.
    for (const c of clients) this.byClient.set(c, this.heldBy(c) + 1);
    const leave = () => {
      for (const c of clients) {
        const held = this.heldBy(c) - 1;
        if (held > 0) this.byClient.set(c, held);
        else this.byClient.delete(c);
      }
    };
    if (this.taken < size) {
      this.taken++;
    } else if (!(await this.admitted(waitMs))) {
      leave();
      throw throttling(`The server has ${size} ${what} already, its limit at once; nothing of this batch was written. Send it again in a moment.`, 1);
    }
    let given = false;
    return () => {
      if (given) return;
      given = true;
      leave();
      const next = this.waiting.shift();
      if (next) next(); // the slot passes on as it is
      else this.taken--;
    };
  }

  /**
   * Waits for a slot handed over. Admission and giving up both happen in one synchronous
   * step, so a slot can never go to a request that has just given up.
   */
  private admitted(waitMs: number): Promise<boolean> {
    if (waitMs <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(admit), 1);
        resolve(false);
      }, waitMs);
      const admit = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiting.push(admit);
    });
  }
}

/** `address:1.2.3.4` → "Address 1.2.3.4"; `principal:ana` → "Principal ana". */
function describe(client: string): string {
  const [kind, ...rest] = client.split(':');
  return `${kind![0]!.toUpperCase()}${kind!.slice(1)} ${rest.join(':')}`;
}
