// One streaming client: posts its feed's batches (feed.ts) to the ingest route until the
// deadline, through the requests `farmtally import` sends (src/client/ingest-request.ts) on
// a keep-alive connection of its own. Closed loop by default: the next batch goes when the
// last is answered. With a rate, open loop: batches go on a fixed schedule whether answers
// came or not, and a batch's latency counts from when it was due, so a server that falls
// behind shows in the latencies rather than in fewer requests.
import { createHash } from 'node:crypto';
import type { IngestSigner } from '../../src/client/credentials.js';
import { IngestRequest, keepAliveAgent, type Answer } from '../../src/client/ingest-request.js';
import type { Agent } from 'node:http';
import type { Feed, FeedBatch } from './feed.js';
import type { StreamTally } from './tally.js';

export interface StreamClientPlan {
  /** The farm's ingest route (src/client/upload.ts ingestUrl). */
  url: URL;
  sign?: IngestSigner;
  feed: Feed;
  tally: StreamTally;
  /** performance.now() after which no batch starts (those under way finish). */
  deadline: number;
  /** Open loop: this client's batches per second. Closed loop when absent. */
  rate?: number;
  /** Open loop: when this client's first batch is due (clients start spread over one interval). */
  firstDue?: number;
}

/**
 * A throttled batch (429) goes again after this long, as a client honouring the server's
 * Retry-After would: the batch slots' throttle asks for 1 s (src/operations/sessions/batch-slots.ts).
 */
const THROTTLED_RETRY_MS = 1000;
/** Open loop: at most this many batches of one client unanswered; past it, sending waits (and the latencies show it). */
const MAX_IN_FLIGHT = 64;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function send(plan: StreamClientPlan, agent: Agent, body: Buffer): Promise<Answer | undefined> {
  try {
    const headers = { 'content-type': 'application/x-ndjson' };
    // The body is in memory already: signed with its SHA-256, which a server over plain http requires.
    const signed = plan.sign ? await plan.sign.sign(plan.url, headers, createHash('sha256').update(body).digest('hex')) : headers;
    const request = new IngestRequest(plan.url, signed, agent);
    await request.write(body);
    return await request.end();
  } catch {
    return undefined;
  }
}

/** Posts `batch` until it is answered other than 429 (or the deadline passes), and tells the feed and the tally. */
async function post(plan: StreamClientPlan, agent: Agent, batch: FeedBatch, dueAt = performance.now()): Promise<void> {
  const body = Buffer.from(batch.body);
  for (let startedAt = dueAt; ; startedAt = performance.now()) {
    const answer = await send(plan, agent, body);
    plan.tally.request(performance.now() - startedAt, answer?.status ?? 'no answer');
    if (answer?.status === 200) {
      plan.tally.acknowledged(batch, answer.body);
      plan.feed.acknowledged(batch);
      return;
    }
    if (answer?.status === 429 && performance.now() + THROTTLED_RETRY_MS < plan.deadline) {
      await sleep(THROTTLED_RETRY_MS);
      continue;
    }
    // A 4xx wrote nothing (a batch is all or nothing); a 5xx or no answer may have written it.
    if (answer && answer.status < 500) plan.feed.refused(batch);
    else plan.feed.unknown(batch);
    return;
  }
}

export async function runStreamClient(plan: StreamClientPlan): Promise<void> {
  const agent = keepAliveAgent(plan.url);
  try {
    if (!plan.rate) {
      while (performance.now() < plan.deadline) await post(plan, agent, plan.feed.next());
      return;
    }
    const interval = 1000 / plan.rate;
    const inFlight = new Set<Promise<void>>();
    for (let due = plan.firstDue ?? performance.now(); due < plan.deadline; due += interval) {
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
      const posted: Promise<void> = post(plan, agent, plan.feed.next(), due).finally(() => inFlight.delete(posted));
      inFlight.add(posted);
    }
    await Promise.all(inFlight);
  } finally {
    agent.destroy();
  }
}
