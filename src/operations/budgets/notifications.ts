// Budget notifications (serve --webhook URL --webhook-secret SECRET), from "a threshold
// crossing was seen" on. `publish` records the events in the store's outbox (each event ID
// once, whichever server saw it, however often), logs each one newly recorded, and wakes
// delivery; it never waits for a receiver. Delivery runs in the background, one event at a
// time: a POST of the event as JSON, signed with HMAC-SHA256 of the body under the secret.
// A 2xx answer marks it delivered; anything else (another status, no answer within the
// timeout, a connection refused) is logged and tried again later, with backoff doubling
// from a second to five minutes (with jitter), for as long as it takes. The outbox is in the
// store, so what is undelivered at a stop is sent after the next start. With several servers
// on one cluster any of them may send an event (each attempt claimed in the store first, so
// rarely two at once); delivery is at least once all the same (a server may stop between a
// 2xx and marking the event delivered), and a receiver drops repeats by the event's ID
// (docs/DECISIONS.md, Budget notifications).
import { createHmac } from 'node:crypto';
import type { BudgetThresholdEvent } from '../../domain/budget-events.js';
import type { BudgetEventStore, PendingBudgetEvent } from '../../store/store.js';

/** What an operation (the budget tracker) hands a crossing to. */
export interface BudgetNotifications {
  /**
   * Records the events in the outbox and wakes delivery; answers those newly recorded (an
   * event ID already recorded, here or by another server, is not recorded or logged again).
   * Resolves once they are stored, never waiting for a receiver.
   */
  publish(events: readonly BudgetThresholdEvent[]): Promise<BudgetThresholdEvent[]>;
}

export interface WebhookTarget {
  url: string;
  /** The HMAC-SHA256 key of X-Farmtally-Signature. */
  secret: string;
}

export interface DeliveryTiming {
  /** The wait after a first failure; it doubles with each failure after (default 1 s). */
  retryBaseMs: number;
  /** The longest wait between two attempts (default 5 min). */
  retryMaxMs: number;
  /** How long a receiver may take to answer (default 10 s). */
  timeoutMs: number;
  /** How often the outbox is read when nothing wakes delivery: for events recorded by another server, or left by a stopped one (default 30 s). */
  pollMs: number;
}

export const DEFAULT_DELIVERY_TIMING: DeliveryTiming = { retryBaseMs: 1_000, retryMaxMs: 5 * 60_000, timeoutMs: 10_000, pollMs: 30_000 };

export interface NotificationLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Events read from the outbox per pass (each then sent on its own). */
const PASS = 10;
/** How long a claim outlasts the attempt's timeout (a server that dies mid-attempt leaves the event due again this much after). */
const CLAIM_MARGIN_MS = 5_000;
/** The wait after the outbox itself could not be read or written. */
const STORE_RETRY_MS = 5_000;

export const EVENT_ID_HEADER = 'x-farmtally-event-id';
export const SIGNATURE_HEADER = 'x-farmtally-signature';

/** The body a receiver gets: the event's members, its time as ISO 8601. */
export function webhookBody(event: BudgetThresholdEvent): string {
  return JSON.stringify({ ...event, occurredAt: new Date(event.occurredAt).toISOString() });
}

/** X-Farmtally-Signature's value: `sha256=` and the hex HMAC-SHA256 of the body's bytes under the secret. */
export function webhookSignature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The wait before the next attempt after `failures` failed ones: the base doubled per failure, at most `max`, then between half of that and all of it. */
export function retryDelayMs(failures: number, timing: Pick<DeliveryTiming, 'retryBaseMs' | 'retryMaxMs'>, random: () => number = Math.random): number {
  const full = Math.min(timing.retryMaxMs, timing.retryBaseMs * 2 ** Math.min(Math.max(failures - 1, 0), 40));
  return Math.round(full / 2 + (random() * full) / 2);
}

/** The webhook's address without user information, for the log. */
function loggableUrl(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return `${u.origin}${u.pathname}`;
}

/** Why a request got no answer, in a few words: a timeout, or the network's error code. */
function whyNoAnswer(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message}: ${cause}` : e.message;
}

const fieldsOf = (e: BudgetThresholdEvent) => ({
  eventId: e.eventId, farmId: e.farmId, budgetId: e.budgetId, scope: e.scope ?? 'queue', ...(e.queueId !== undefined && { queueId: e.queueId }),
  ...(e.fleetId !== undefined && { fleetId: e.fleetId }), ...(e.userId !== undefined && { userId: e.userId }), thresholdPercentage: e.thresholdPercentage,
});

export class BudgetNotifier implements BudgetNotifications {
  private readonly timing: DeliveryTiming;
  private readonly stopping = new AbortController();
  private loop?: Promise<void>;
  /** Ends the current wait early (set while delivery waits). */
  private wakeUp?: () => void;
  /** Set when woken while not waiting: the next wait is skipped. */
  private woken = false;

  constructor(
    private readonly store: BudgetEventStore,
    private readonly log: NotificationLog,
    private readonly webhook?: WebhookTarget,
    timing: Partial<DeliveryTiming> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.timing = { ...DEFAULT_DELIVERY_TIMING, ...timing };
  }

  async publish(events: readonly BudgetThresholdEvent[]): Promise<BudgetThresholdEvent[]> {
    const recorded = await this.store.recordBudgetEvents(events);
    for (const e of recorded) {
      this.log.info(
        { ...fieldsOf(e), actionType: e.actionType, approximateDollarUsage: e.approximateDollarUsage, approximateDollarLimit: e.approximateDollarLimit },
        `budget ${e.budgetName} reached ${e.thresholdPercentage}% of its limit: event ${e.eventId}${this.webhook ? '' : ' (recorded; no --webhook to send it to)'}`,
      );
    }
    if (recorded.length) this.wake();
    return recorded;
  }

  /** Starts delivering in the background, when there is a webhook (what is pending already goes first). */
  start(): void {
    if (!this.webhook || this.loop) return;
    this.log.info({ webhook: loggableUrl(this.webhook.url) }, `budget notifications go to ${loggableUrl(this.webhook.url)}`);
    this.loop = this.deliver();
  }

  /** Stops delivering: an attempt under way is cut short and its event left pending (sent after the next start). */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake();
    await this.loop;
  }

  private wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.woken = true;
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken || this.stopping.signal.aborted) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      // Waiting keeps no process alive (the server's listening socket does).
      const timer = setTimeout(done, Math.max(0, ms)).unref();
      this.wakeUp = done;
    });
  }

  private async deliver(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      let waitMs = this.timing.pollMs;
      try {
        const pending = await this.store.pendingBudgetEvents(PASS);
        const now = this.now();
        const due = pending.filter((p) => p.nextAttemptAt <= now);
        for (const p of due) {
          if (this.stopping.signal.aborted) return;
          await this.attempt(p);
        }
        // After a pass that sent anything, read again at once: more may be due.
        if (due.length) continue;
        if (pending[0]) waitMs = Math.min(waitMs, pending[0].nextAttemptAt - now);
      } catch (err) {
        if (this.stopping.signal.aborted) return;
        this.log.warn({ error: err instanceof Error ? err.message : String(err) }, `budget notifications: the outbox could not be read or written; trying again in ${STORE_RETRY_MS / 1000} s`);
        waitMs = STORE_RETRY_MS;
      }
      await this.sleep(waitMs);
    }
  }

  /** One POST of one event; its outcome written to the outbox (a store failure is thrown, for deliver to wait and try again). */
  private async attempt({ event, attempts, nextAttemptAt }: PendingBudgetEvent): Promise<void> {
    const { url, secret } = this.webhook!;
    // Taken for this attempt (another server on the cluster sends it not meanwhile, nor after
    // this one dies, until the claim runs out); one taken or deferred since it was read is skipped.
    const claim = this.now() + this.timing.timeoutMs + CLAIM_MARGIN_MS;
    if (!(await this.store.claimBudgetEvent(event.eventId, nextAttemptAt, claim))) return;
    const body = webhookBody(event);
    let failure: string;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'farmtally',
          [EVENT_ID_HEADER]: event.eventId,
          [SIGNATURE_HEADER]: webhookSignature(body, secret),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.timing.timeoutMs)]),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        await this.store.markBudgetEventsDelivered([event.eventId]);
        this.log.info({ ...fieldsOf(event), status: res.status, attempts: attempts + 1 }, `budget notification ${event.eventId} delivered`);
        return;
      }
      failure = `the receiver answered ${res.status}`;
    } catch (err) {
      // Stopping: given up as it was, due again at the next start.
      if (this.stopping.signal.aborted) {
        await this.store.claimBudgetEvent(event.eventId, claim, nextAttemptAt).catch(() => false);
        return;
      }
      failure = whyNoAnswer(err, this.timing.timeoutMs);
    }
    const delay = retryDelayMs(attempts + 1, this.timing);
    await this.store.deferBudgetEvent(event.eventId, this.now() + delay);
    this.log.warn(
      { ...fieldsOf(event), attempts: attempts + 1, retryInMs: delay, error: failure },
      `budget notification ${event.eventId} not delivered (${failure}); trying again in ${(delay / 1000).toFixed(1)} s`,
    );
  }
}
