// Attackers for `npm run load -- --attackers N`: hostile clients beside the honest ones,
// written with plain node:http (test/support/hostile-clients.ts), on a farm of their own and
// from loopback addresses of their own (127.0.0.2 and up), so they count toward neither the
// honest latencies nor the stored-sessions check. Attacker i is of kind kinds[i % kinds.length]
// and keeps `connections` requests of its kind going until told to stop. Refusals (4xx, 408,
// 429, 413, resets) are what an attacker should get; each kind's outcomes are tallied.
import { randomBytes } from 'node:crypto';
import { ingestUrl } from '../../src/client/upload.js';
import {
  flood, gzipBomb, hostileSourceAddress, jsonWithEscape, outcomeKind, recordLine, recordsOfSize, sendHostile, slowUpload, type HostileOutcome, type IngestParents,
} from '../../test/support/hostile-clients.js';
import { percentile } from './stats.js';

export const ATTACK_KINDS = {
  'slow-body': 'an NDJSON ingest body (content-length 1.5 MiB) trickled at 1 byte/s from its first byte: read into memory, no batch slot; the server refuses it after 2 × --body-timeout',
  'slow-large': 'an NDJSON ingest body sending 1.1 MiB at once (past --group-commit-bytes, so it takes one of the batch slots), then 1 byte/s',
  'gzip-bomb': 'a 3 KB gzip of 1 000 000 `{}` lines (all invalid records), sent again as soon as it is answered',
  'health-flood': 'GET /health in a tight loop on a keep-alive connection',
  surrogates: 'a lone surrogate escape: CreateFarm {"displayName":"a\\ud800b"} and an NDJSON record with jobName "a\\udc00b", alternately, as fast as answered',
} as const;
export type AttackKind = keyof typeof ATTACK_KINDS;
export const ALL_ATTACK_KINDS = Object.keys(ATTACK_KINDS) as AttackKind[];

/** The burst of a slow-large upload: past the 1 MiB read into memory, so the body is staged and holds a slot. */
const SLOW_LARGE_BURST = Math.round(1.1 * 1024 * 1024);
const SLOW_DECLARED = Math.round(1.5 * 1024 * 1024);
const BOMB_LINES = 1_000_000;
/** After a refusal an attacker comes straight back; a short pause keeps a refused connect from spinning. */
const RETRY_PAUSE_MS = 50;
/** The attackers start this long before the honest clients: slots are held, floods under way. */
export const ATTACK_HEAD_START_MS = 2000;

export interface AttackOptions {
  url: string;
  attackers: number;
  kinds: readonly AttackKind[];
  /** Requests (connections) each attacker keeps going at once. */
  connections: number;
  /** The attackers stop (closing whatever is in flight) when this fires. */
  stop: AbortSignal;
  /** Where the outcomes go (a new one by default): pass one to gather several runs. */
  tallies?: AttackTallies;
  log?: (line: string) => void;
}

export interface AttackSummary {
  kind: AttackKind;
  attackers: number;
  /** Requests sent (including those cut off by the end of the run). */
  requests: number;
  /** By outcome: `400 ValidationException`, `408 RequestTimeoutException`, `ECONNRESET`, `held until the end`... */
  outcomes: Map<string, number>;
  /** Time to each answer (or failure) of the requests that ended before the run did. */
  p50: number;
  max: number;
  /** Body bytes the attackers sent. */
  bytesSent: number;
}

class KindTally {
  requests = 0;
  bytesSent = 0;
  readonly outcomes = new Map<string, number>();
  readonly ms: number[] = [];

  record(outcome: HostileOutcome, kind = outcomeKind(outcome)): void {
    this.requests++;
    this.bytesSent += outcome.sent;
    // Cut off by the run's end: neither an answer nor a time to one.
    const name = outcome.failure === 'given up' ? 'held until the end' : kind;
    this.outcomes.set(name, (this.outcomes.get(name) ?? 0) + 1);
    if (outcome.failure !== 'given up') this.ms.push(outcome.ms);
  }
}

/** What the attackers sent and got, by kind; one object may gather several runs (`npm run load -- --pairs N`). */
export class AttackTallies {
  private readonly kinds = new Map<AttackKind, KindTally>();
  private readonly attackers = new Map<AttackKind, number>();

  of(kind: AttackKind): KindTally {
    let t = this.kinds.get(kind);
    if (!t) this.kinds.set(kind, (t = new KindTally()));
    return t;
  }

  /** Attackers of each kind in a run (the most of any run gathered). */
  enlist(byKind: Map<AttackKind, number>): void {
    for (const [kind, n] of byKind) {
      this.attackers.set(kind, Math.max(n, this.attackers.get(kind) ?? 0));
      this.of(kind);
    }
  }

  summaries(): AttackSummary[] {
    return [...this.kinds].map(([kind, t]) => {
      const sorted = [...t.ms].sort((a, b) => a - b);
      return { kind, attackers: this.attackers.get(kind) ?? 0, requests: t.requests, outcomes: t.outcomes, p50: percentile(sorted, 50), max: sorted.at(-1) ?? NaN, bytesSent: t.bytesSent };
    });
  }
}

async function rawJson(url: string, method: string, path: string, body: unknown): Promise<Record<string, string>> {
  const outcome = await sendHostile(url, { method, path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), timeoutMs: 60_000 });
  if (outcome.answer?.status !== 200) throw new Error(`setting up the attackers' farm: ${method} ${path} answered ${outcome.answer ? `${outcome.answer.status} ${outcome.answer.text.slice(0, 200)}` : outcome.failure}`);
  return outcome.answer.json as Record<string, string>;
}

/** The attackers' own farm, queue and fleet, made over plain HTTP as an attacker would. */
async function attackersFarm(url: string): Promise<IngestParents> {
  const { farmId } = await rawJson(url, 'POST', '/2023-10-12/farms', { displayName: 'attackers' });
  const { queueId } = await rawJson(url, 'POST', `/2023-10-12/farms/${farmId}/queues`, { displayName: 'attackers queue' });
  const { fleetId } = await rawJson(url, 'POST', `/2023-10-12/farms/${farmId}/fleets`, {
    displayName: 'attackers fleet', roleArn: 'arn:aws:iam::123456789012:role/Fleet', maxWorkerCount: 1,
    configuration: { customerManaged: { mode: 'NO_SCALING', workerCapabilities: { vCpuCount: { min: 1 }, memoryMiB: { min: 1024 }, osFamily: 'LINUX', cpuArchitectureType: 'x86_64' } } },
  });
  return { farmId: farmId!, queueId: queueId!, fleetId: fleetId! };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How the attackers are spread over the kinds: attacker i is kinds[i % kinds.length]. */
export function attackersByKind(attackers: number, kinds: readonly AttackKind[]): Map<AttackKind, number> {
  const counts = new Map<AttackKind, number>();
  for (let i = 0; i < attackers; i++) counts.set(kinds[i % kinds.length]!, (counts.get(kinds[i % kinds.length]!) ?? 0) + 1);
  return counts;
}

/** Runs the attackers until `stop` fires; resolves with each kind's tally once every connection is closed. */
export async function runAttackers(options: AttackOptions): Promise<AttackSummary[]> {
  const { url, stop } = options;
  const farm = await attackersFarm(url);
  const path = new URL(ingestUrl(url, farm.farmId)).pathname;
  // Each slow upload pretends to send fresh valid records: whatever the server checks as the body arrives, it looks honest.
  const slowBody = recordsOfSize(farm, SLOW_DECLARED);
  const bomb = gzipBomb(BOMB_LINES);
  const tallies = options.tallies ?? new AttackTallies();
  const tally = (kind: AttackKind) => tallies.of(kind);
  const runId = randomBytes(3).toString('hex');

  const loop = async (kind: AttackKind, localAddress: string | undefined) => {
    let n = 0;
    while (!stop.aborted) {
      switch (kind) {
        case 'slow-body':
        case 'slow-large':
          tally(kind).record(await slowUpload(url, { path, contentType: 'application/x-ndjson', body: slowBody, burstBytes: kind === 'slow-large' ? SLOW_LARGE_BURST : 0, tickMs: 1000, localAddress, signal: stop }));
          break;
        case 'gzip-bomb':
          tally(kind).record(await sendHostile(url, { method: 'POST', path, headers: { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, body: bomb, localAddress, signal: stop }));
          break;
        case 'health-flood':
          // One keep-alive connection per loop; flood() returns when stopped.
          return flood(url, { loops: 1, localAddress, signal: stop, onOutcome: (o) => tally(kind).record(o) });
        case 'surrogates': {
          const farmCall = n++ % 2 === 0;
          const outcome = farmCall
            ? await sendHostile(url, { method: 'POST', path: '/2023-10-12/farms', headers: { 'content-type': 'application/json' }, body: jsonWithEscape({}, 'displayName', '\\ud800', `a${runId}`, 'b'), localAddress, signal: stop })
            : await sendHostile(url, { method: 'POST', path, headers: { 'content-type': 'application/x-ndjson' }, body: `${jsonLineWithEscape(farm)}\n`, localAddress, signal: stop });
          // A 200 is the defect (the escape stored as U+FFFD): say which request was taken.
          tally(kind).record(outcome, outcome.answer?.status === 200 ? `200 accepted (${farmCall ? 'CreateFarm' : 'IngestSessions'})` : outcomeKind(outcome));
          break;
        }
      }
      if (!stop.aborted) await pause(RETRY_PAUSE_MS);
    }
  };

  const byKind = attackersByKind(options.attackers, options.kinds);
  tallies.enlist(byKind);
  const from = hostileSourceAddress(url, 0);
  options.log?.(`attackers: ${[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')}; ${options.connections} connections each; farm ${farm.farmId}; from ${from ? `${from}${options.attackers > 1 ? ` to ${hostileSourceAddress(url, options.attackers - 1)}` : ''}` : "the system's address"}`);
  await Promise.all(
    Array.from({ length: options.attackers }, (_, i) => {
      const kind = options.kinds[i % options.kinds.length]!;
      const localAddress = hostileSourceAddress(url, i);
      return Array.from({ length: options.connections }, () => loop(kind, localAddress));
    }).flat(),
  );
  return tallies.summaries();
}

/** One valid record but for a lone low surrogate escape in its jobName. */
function jsonLineWithEscape(farm: IngestParents): string {
  const line = JSON.parse(recordLine(farm)) as Record<string, unknown>;
  return jsonWithEscape(line, 'jobName', '\\udc00');
}

const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US').replace(/,/g, ' ')) : '');

/** The attackers' table as Markdown: per kind, requests and their outcomes (refusals are expected). */
export function attackTable(summaries: readonly AttackSummary[], seconds: number): string {
  const rows = summaries.map((s) => {
    const outcomes = [...s.outcomes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} × ${k}`).join(', ');
    const kib = s.bytesSent / 1024;
    return `| ${s.kind} | ${s.attackers} | ${s.requests} | ${(s.requests / seconds).toFixed(1)} | ${outcomes || 'none'} | ${ms(s.p50)} | ${ms(s.max)} | ${kib < 10 ? kib.toFixed(1) : Math.round(kib)} |`;
  });
  return ['| attack | attackers | requests | requests/s | outcomes | p50 ms to answer | max ms | KiB sent |', '|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}
