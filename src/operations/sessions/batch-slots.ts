// Shared ingest capacity, bounded in total and per client, so that no one client can take
// all of it. Two kinds are used (operations/sessions/ingest-sessions.ts):
// - upload places: a body still arriving holds one (and at most a group-commit's worth of
//   memory, or a spool file); many at once, a few dozen per client, refused at once past
//   that (a client waiting for its own uploads gains nothing by queueing more);
// - batch slots: a batch being checked and staged holds one (a staging table in the
//   engine's memory and a connection until it commits), taken only once its body is in,
//   so a slow upload never holds one. Past a few, on two cores, they only queue at the
//   writer anyway. A batch waits its turn (first come, first served among those whose
//   clients are under their share) for a while, then is told to come back
//   (ThrottlingException); a client may have only so many waiting. While no one waits, a
//   client may use slots past its share (they would idle otherwise).
// A client is each of a request's keys (its source address; its principal too where
// callers are told apart): no key may hold more than its share of the slots.
import { throttling } from '../errors.js';

export interface SlotLimits {
  /** Held at once by everyone. */
  size: number;
  /** Held at once by one client (one key). */
  perClient: number;
  /** How long a request waits for a slot before it is throttled (0: not at all). */
  waitMs: number;
  /** Requests of one client waiting at once (default: none wait past the share); past them it is throttled at once. */
  waitingPerClient?: number;
  /**
   * A client may go past its share while no one else waits (the slots would idle
   * otherwise: one host posting for a farm gets them all); a slot given back then goes to a
   * waiter under its share first.
   */
  lendIdle?: boolean;
  /** What the slots are, for the answers: "large batches being ingested", "ingest bodies arriving". */
  what: string;
}

interface Waiter {
  clients: readonly string[];
  admit(): void;
}

export class BatchSlots {
  private taken = 0;
  private readonly held = new Map<string, number>();
  private readonly waitingBy = new Map<string, number>();
  private readonly waiting: Waiter[] = [];

  constructor(readonly limits: SlotLimits) {}

  /** How many slots `client` holds now. */
  heldBy(client: string): number {
    return this.held.get(client) ?? 0;
  }

  /**
   * A slot (call the function returned to give it back), or ThrottlingException: at once
   * when one of `clients` has its share held and as many waiting as it may, after waiting
   * `waitMs` when no slot came free for it.
   */
  async take(clients: readonly string[]): Promise<() => void> {
    const { size, perClient, waitMs, what } = this.limits;
    if (!this.mayTake(clients)) {
      const mayWait = this.limits.waitingPerClient ?? 0;
      const full = clients.find((c) => this.heldBy(c) >= perClient && (this.waitingBy.get(c) ?? 0) >= mayWait);
      if (full) throw throttling(`${describe(full)} has ${this.heldBy(full)} ${what} already, this server's limit per client; nothing of this batch was written. Send it again once one of them has been answered.`, 1);
      if (!(await this.admitted(clients, waitMs))) {
        const atShare = clients.find((c) => this.heldBy(c) >= perClient);
        throw throttling(
          atShare
            ? `${describe(atShare)} has had ${this.heldBy(atShare)} ${what} for ${waitMs / 1000} s, this server's limit per client; nothing of this batch was written. Send it again in a moment.`
            : `The server has ${size} ${what} already, its limit at once; nothing of this batch was written. Send it again in a moment.`,
          1,
        );
      }
    } else {
      this.hold(clients);
    }
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.taken--;
      for (const c of clients) count(this.held, c, -1);
      this.admitNext();
    };
  }

  private mayTake(clients: readonly string[]): boolean {
    return this.taken < this.limits.size && (this.underShare(clients) || (Boolean(this.limits.lendIdle) && this.waiting.length === 0));
  }

  private underShare(clients: readonly string[]): boolean {
    return clients.every((c) => this.heldBy(c) < this.limits.perClient);
  }

  private hold(clients: readonly string[]): void {
    this.taken++;
    for (const c of clients) count(this.held, c, 1);
  }

  /** Hands a slot given back to the first waiter whose clients are all under their share (lending: else to the first waiter). */
  private admitNext(): void {
    if (this.taken >= this.limits.size) return;
    let next = this.waiting.findIndex((w) => this.underShare(w.clients));
    if (next === -1 && this.limits.lendIdle) next = this.waiting.length ? 0 : -1;
    if (next !== -1) this.waiting[next]!.admit();
  }

  /**
   * Waits for a slot. Admission and giving up both happen in one synchronous step, so a
   * slot can never go to a request that has just given up.
   */
  private admitted(clients: readonly string[], waitMs: number): Promise<boolean> {
    if (waitMs <= 0) return Promise.resolve(false);
    for (const c of clients) count(this.waitingBy, c, 1);
    return new Promise<boolean>((resolve) => {
      const leave = (admitted: boolean) => {
        clearTimeout(timer);
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        for (const c of clients) count(this.waitingBy, c, -1);
        if (admitted) this.hold(clients);
        resolve(admitted);
      };
      const timer = setTimeout(() => leave(false), waitMs);
      const waiter: Waiter = { clients, admit: () => leave(true) };
      this.waiting.push(waiter);
    });
  }
}

function count(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n > 0) counts.set(key, n);
  else counts.delete(key);
}

/** `address:1.2.3.4` → "Address 1.2.3.4"; `principal:ana` → "Principal ana". */
function describe(client: string): string {
  const [kind, ...rest] = client.split(':');
  return `${kind![0]!.toUpperCase()}${kind!.slice(1)} ${rest.join(':')}`;
}
