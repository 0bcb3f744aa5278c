// The page's calls, all through the official SDK against the page's own origin: the farm,
// queue and fleet lists for the pickers, and one aggregation end to end (Start, wait, every
// page of Get), with progress and cancelling.
import {
  DeadlineClient, GetSessionsStatisticsAggregationCommand, paginateListFarms, paginateListFleets, paginateListQueues,
  StartSessionsStatisticsAggregationCommand, type Statistics,
} from '@aws-sdk/client-deadline';
import { SignatureV4 } from '@smithy/signature-v4';
import { CANCELLED_AGGREGATION_WAIT_MS, IN_PROGRESS_HOLD_MS, MODEL_PAGE_MAX, RESULT_PAGE_MAX } from '../domain/aggregation-limits.js';
import type { SessionForUsage } from '../domain/aggregation-rules.js';
import type { StartInput } from './query.js';

export interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Open mode checks no signature; the SDK signs anyway, so it gets stand-in keys. */
const UNCHECKED_KEYS: Keys = { accessKeyId: 'farmtally-page', secretAccessKey: 'open-mode-checks-no-signature' };

export function makeClient(keys: Keys | undefined): DeadlineClient {
  return new DeadlineClient({
    endpoint: location.origin,
    region: 'us-west-2',
    disableHostPrefix: true,
    // A copy: the SDK writes its own notes into the object it is given.
    credentials: { ...(keys ?? UNCHECKED_KEYS) },
  });
}

export interface Named {
  id: string;
  name: string;
}

/** Every page's items (through the SDK's paginators, as `farmtally farms list` reads them), named and sorted by name. */
async function named<P>(pages: AsyncIterable<P>, items: (page: P) => Named[]): Promise<Named[]> {
  const out: Named[] = [];
  for await (const page of pages) out.push(...items(page));
  return out.sort((a, b) => a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1));
}

const PAGE = { pageSize: MODEL_PAGE_MAX };

export const listFarms = (client: DeadlineClient) =>
  named(paginateListFarms({ client, ...PAGE }, {}), (p) => (p.farms ?? []).map((f) => ({ id: f.farmId!, name: f.displayName ?? f.farmId! })));

export const listQueues = (client: DeadlineClient, farmId: string) =>
  named(paginateListQueues({ client, ...PAGE }, { farmId }), (p) => (p.queues ?? []).map((q) => ({ id: q.queueId!, name: q.displayName ?? q.queueId! })));

export const listFleets = (client: DeadlineClient, farmId: string) =>
  named(paginateListFleets({ client, ...PAGE }, { farmId }), (p) => (p.fleets ?? []).map((f) => ({ id: f.fleetId!, name: f.displayName ?? f.fleetId! })));

export type Progress =
  | { phase: 'starting' }
  | { phase: 'settling' }
  | { phase: 'waiting'; seconds: number; message: string }
  | { phase: 'running'; aggregationId: string }
  | { phase: 'fetching'; aggregationId: string; rows: number };

export interface Aggregation {
  rows: Statistics[];
  /** The server's note on a completed aggregation (a missing rate, say). */
  statusMessage?: string;
}

/** An aggregation that ended otherwise than COMPLETED: its status and the server's reason. */
export class AggregationEnded extends Error {
  constructor(readonly status: string, readonly statusMessage: string | undefined) {
    super(`The aggregation ended ${status}: ${statusMessage ?? 'no reason given'}`);
    this.name = 'AggregationEnded';
  }
}

/** An answer that took this long was held by the server (IN_PROGRESS_HOLD_MS, less a margin for the clock and the way). */
const HELD_MS = IN_PROGRESS_HOLD_MS - 50;

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}

/**
 * Aggregations this page cancelled while they ran, by farm: the server finishes them anyway,
 * and a farm runs one at a time, so the next Start waits for them (asking after them
 * quietly) instead of being refused.
 */
const leftRunning = new Map<string, Promise<void>>();

function letFinish(client: DeadlineClient, farmId: string, aggregationId: string): void {
  const done = (async () => {
    const until = performance.now() + CANCELLED_AGGREGATION_WAIT_MS;
    while (performance.now() < until) {
      const asked = performance.now();
      try {
        const page = await client.send(new GetSessionsStatisticsAggregationCommand({ farmId, aggregationId, maxResults: 1 }));
        if (page.status !== 'IN_PROGRESS') return;
      } catch {
        return; // expired, or the server is gone: nothing left to wait for
      }
      if (performance.now() - asked < HELD_MS) await new Promise((r) => setTimeout(r, IN_PROGRESS_HOLD_MS));
    }
  })();
  leftRunning.set(farmId, done);
  void done.finally(() => leftRunning.get(farmId) === done && leftRunning.delete(farmId));
}

/** A Start cancelled before its answer: once it answers, its aggregation is let finish like any cancelled one. */
function settleLater(client: DeadlineClient, farmId: string, start: Promise<{ aggregationId?: string }>): void {
  const settled = start.then(
    ({ aggregationId }) => {
      if (!aggregationId) return;
      letFinish(client, farmId, aggregationId);
      return leftRunning.get(farmId);
    },
    () => undefined, // refused: nothing runs
  );
  const entry = settled.then(() => undefined);
  leftRunning.set(farmId, entry);
  void entry.finally(() => leftRunning.get(farmId) === entry && leftRunning.delete(farmId));
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    promise.then(resolve, reject);
  });
}

const isThrottled = (err: unknown): err is { name: string; retryAfterSeconds?: number; message: string } =>
  (err as { name?: string })?.name === 'ThrottlingException';

/** Rows per result page: the model's most, or farmtally's (without --strict), which takes a tenth of the requests. */
export const pageSizeFor = (strict: boolean) => (strict ? MODEL_PAGE_MAX : RESULT_PAGE_MAX);

/**
 * Start, poll until it is done, then read every page. A farm runs one aggregation at a
 * time: while another one runs (a cancelled one still finishes on the server), Start is
 * throttled and tried again after the Retry-After the server gives.
 */

export async function runAggregation(client: DeadlineClient, input: StartInput, signal: AbortSignal, onProgress: (p: Progress) => void, pageSize = MODEL_PAGE_MAX): Promise<Aggregation> {
  const cancelled = leftRunning.get(input.farmId);
  if (cancelled) {
    onProgress({ phase: 'settling' });
    await untilAborted(cancelled, signal);
  }
  onProgress({ phase: 'starting' });
  let aggregationId: string;
  for (;;) {
    try {
      // Not aborted with the signal: a Start cut off in flight may still have started an
      // aggregation the page would not know of, and the farm's next Start would be refused
      // until it ended. A cancel waits out the answer instead and lets that one finish.
      const start = client.send(new StartSessionsStatisticsAggregationCommand(input as never));
      try {
        aggregationId = (await untilAborted(start, signal)).aggregationId!;
      } catch (err) {
        if (signal.aborted) settleLater(client, input.farmId, start);
        throw err;
      }
      break;
    } catch (err) {
      if (!isThrottled(err)) throw err;
      const seconds = Math.max(1, err.retryAfterSeconds ?? 1);
      onProgress({ phase: 'waiting', seconds, message: err.message });
      await pause(seconds * 1000, signal);
    }
  }
  const get = (nextToken?: string) =>
    client.send(new GetSessionsStatisticsAggregationCommand({ farmId: input.farmId, aggregationId, nextToken, maxResults: pageSize }), { abortSignal: signal });
  onProgress({ phase: 'running', aggregationId });
  // farmtally holds a Get while the aggregation runs (up to 250 ms) and answers as soon as
  // it is done, so after a held answer the next one is asked at once; a server that
  // answers at once is asked less and less often.
  let delay = 15;
  let asked = performance.now();
  let page: Awaited<ReturnType<typeof get>>;
  try {
    page = await get();
    while (page.status === 'IN_PROGRESS') {
      const held = performance.now() - asked >= HELD_MS;
      await pause(held ? 0 : delay, signal);
      if (!held) delay = Math.min(delay * 2, 500);
      asked = performance.now();
      page = await get();
    }
  } catch (err) {
    if (signal.aborted) letFinish(client, input.farmId, aggregationId);
    throw err;
  }
  if (page.status !== 'COMPLETED') throw new AggregationEnded(page.status ?? 'UNKNOWN', page.statusMessage);
  const rows: Statistics[] = [...(page.statistics ?? [])];
  const statusMessage = page.statusMessage;
  while (page.nextToken) {
    onProgress({ phase: 'fetching', aggregationId, rows: rows.length });
    page = await get(page.nextToken);
    rows.push(...(page.statistics ?? []));
  }
  return { rows, statusMessage };
}

/** A farm's running sessions (ListRunningSessions, farmtally's extension), as the server read them at `asOf`. */
export interface RunningSessions {
  asOf: number;
  sessions: SessionForUsage[];
  /** More run than the server lists (10 000). */
  truncated: boolean;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * POST /ingest/v1/farms/{farmId}/sessions/running, which the SDK has no command for: signed
 * as the SDK signs (SigV4 with the body's SHA-256, the client's keys and hash), sent with
 * fetch. A refusal throws with the server's message.
 */
export async function listRunningSessions(client: DeadlineClient, input: Pick<StartInput, 'farmId' | 'resourceIds'>, signal?: AbortSignal): Promise<RunningSessions> {
  const url = new URL(`/ingest/v1/farms/${encodeURIComponent(input.farmId)}/sessions/running`, location.origin);
  const body = JSON.stringify({ resourceIds: input.resourceIds });
  const { credentials, sha256, region } = client.config;
  const bytes = new TextEncoder().encode(body);
  const hash = new sha256();
  hash.update(bytes);
  const signer = new SignatureV4({ credentials, region: await region(), service: 'deadline', sha256, uriEscapePath: true });
  const signed = await signer.sign({
    method: 'POST', protocol: url.protocol, hostname: url.hostname, port: url.port ? Number(url.port) : undefined, path: url.pathname, query: {},
    headers: { 'content-type': 'application/json', host: url.host, 'x-amz-content-sha256': hex(await hash.digest()) },
    body,
  });
  const { host: _host, ...headers } = signed.headers;
  const res = await fetch(url, { method: 'POST', headers, body: bytes, signal });
  const answer = (await res.json().catch(() => ({}))) as { asOf?: string; sessions?: (Omit<SessionForUsage, 'startedAt'> & { startedAt: string })[]; truncated?: boolean; message?: string };
  if (!res.ok) throw new Error(answer.message ?? `HTTP ${res.status}`);
  return {
    asOf: Date.parse(answer.asOf!),
    sessions: (answer.sessions ?? []).map((s) => ({ ...s, startedAt: Date.parse(s.startedAt) })),
    truncated: answer.truncated === true,
  };
}
