// A seeded farm for checking the aggregation: queues, fleets of both kinds, jobs, sessions
// and a rate card. Besides ordinary sessions it always holds the edge cases the rules
// speak of: sessions starting and ending exactly on local hour/day/week/month boundaries
// (in UTC and in several offsets), zero-length sessions, running sessions (one started
// exactly at asOf), sessions with 0, 1 or 3 license products, sessions without an instance
// type (on both fleet kinds), sessions spanning months, and rates missing from the card.
// Same seed and options, same farm.

import type { RefFleetKind, RefRateCard, RefSession } from './aggregate-reference.js';

export interface GenerateFarmOptions {
  /** Random sessions on top of the fixed edge cases (default 300). */
  sessions?: number;
  /** Where the sessions live (default 2024-09-20T00:00Z for 120 days: two DST ends, a year end). */
  startMs?: number;
  days?: number;
  queues?: number;
  jobsPerQueue?: number;
}

export interface GeneratedFarm {
  farmId: string;
  costScaleFactor: number;
  queues: { queueId: string; displayName: string }[];
  fleets: { fleetId: string; displayName: string; kind: RefFleetKind }[];
  sessions: RefSession[];
  rateCard: RefRateCard;
  /** The moment an aggregation is taken to start: no session starts later, running ones end here. */
  asOfMs: number;
  spanStartMs: number;
  spanEndMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SERVICE_INSTANCE_TYPES = ['c5.4xlarge', 'm5.2xlarge', 'g4dn.xlarge', 'r6i.8xlarge', 'c7i.large'];
const CUSTOMER_INSTANCE_TYPES = ['workstation', 'blade-Z', 'blade-a'];
const PRODUCTS = ['arnold', 'houdini', 'maya', 'nuke', 'Redshift', 'vray', 'Élan'];
const USERS = ['alice', 'Bob', 'Zoë', 'zed', 'Émile', 'adam', 'user-42', 'ZZ'];
const JOB_WORDS = ['shot_010 comp', 'Shot_020 light', 'sim-ocean', 'Ébauche', 'fx_smoke', 'layout'];
/** Sessions across the 2024 changes of New York and London (repeated and skipped hours). */
const DST_HOURS: [number, number][] = [
  [Date.UTC(2024, 2, 10, 6, 30), Date.UTC(2024, 2, 10, 7, 30)], // New York skips 02:00-03:00 local
  [Date.UTC(2024, 2, 31, 0, 30), Date.UTC(2024, 2, 31, 1, 30)], // London skips 01:00-02:00 local
  [Date.UTC(2024, 9, 27, 0, 15), Date.UTC(2024, 9, 27, 1, 45)], // London repeats 01:00-02:00 local
  [Date.UTC(2024, 10, 3, 5, 30), Date.UTC(2024, 10, 3, 6, 30)], // New York repeats 01:00-02:00 local
];
/** Local offsets (minutes) whose boundaries some sessions are aligned to: UTC, +05:30, -03:30, +08:00, New York, London. */
const ALIGN_OFFSETS = [0, 330, -210, 480, -300, -240, 60];

export function generateFarm(seed: number, opts: GenerateFarmOptions = {}): GeneratedFarm {
  const rnd = mulberry32(seed);
  const int = (n: number) => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const hex = () => Array.from({ length: 32 }, () => '0123456789abcdef'[int(16)]).join('');
  const spanStartMs = opts.startMs ?? Date.UTC(2024, 8, 20);
  const spanEndMs = spanStartMs + (opts.days ?? 120) * DAY;
  const asOfMs = spanEndMs;

  const queues = Array.from({ length: opts.queues ?? 3 }, (_, i) => ({ queueId: `queue-${hex()}`, displayName: `Queue ${i + 1}` }));
  const fleetKinds: RefFleetKind[] = ['serviceManagedEc2', 'serviceManagedEc2', 'customerManaged', 'customerManaged'];
  const fleets = fleetKinds.map((kind, i) => ({ fleetId: `fleet-${hex()}`, displayName: `Fleet ${i + 1}`, kind }));
  const jobs = queues.flatMap((q) =>
    Array.from({ length: opts.jobsPerQueue ?? 6 }, (_, i) => ({ queueId: q.queueId, jobId: `job-${hex()}`, jobName: `${pick(JOB_WORDS)} v${i}`, userId: pick(USERS) })),
  );

  const session = (startedAt: number, endedAt: number | undefined): RefSession => {
    const job = pick(jobs);
    const fleet = pick(fleets);
    const s: RefSession = { sessionId: `session-${hex()}`, ...job, fleetId: fleet.fleetId, fleetKind: fleet.kind, workerId: `worker-${hex()}`, startedAt };
    if (endedAt !== undefined) s.endedAt = Math.min(endedAt, asOfMs);
    const instanceTypes = fleet.kind === 'serviceManagedEc2' ? SERVICE_INSTANCE_TYPES : CUSTOMER_INSTANCE_TYPES;
    if (rnd() < (fleet.kind === 'serviceManagedEc2' ? 0.9 : 0.5)) s.instanceType = pick(instanceTypes);
    const r = rnd();
    const productCount = r < 0.6 ? 0 : r < 0.85 ? 1 : 3;
    if (productCount > 0) s.licenseProducts = shuffled(PRODUCTS, rnd).slice(0, productCount);
    return s;
  };
  const anyTime = () => spanStartMs + int(spanEndMs - spanStartMs);
  const aligned = () => alignedInstant(anyTime(), pick(ALIGN_OFFSETS), pick(['HOUR', 'DAY', 'WEEK', 'MONTH'] as const));

  const sessions: RefSession[] = [
    session(asOfMs, undefined), // running, started at the very moment of the Start call
    session(spanStartMs, spanEndMs), // the whole span
  ];
  const spanStart = new Date(spanStartMs);
  const month1 = Date.UTC(spanStart.getUTCFullYear(), spanStart.getUTCMonth() + 1, 1);
  const month2 = Date.UTC(spanStart.getUTCFullYear(), spanStart.getUTCMonth() + 2, 1);
  if (month2 < asOfMs) sessions.push(session(month1, month2), session(month2, month2)); // a whole UTC month; zero length on its end
  for (const [from, to] of DST_HOURS) if (from >= spanStartMs && to <= asOfMs) sessions.push(session(from, to));
  for (let i = 0; i < (opts.sessions ?? 300); i++) {
    const r = rnd();
    if (r < 0.55) {
      const start = anyTime();
      sessions.push(session(start, start + Math.floor(-Math.log(1 - rnd()) * 2 * HOUR)));
    } else if (r < 0.75) {
      const start = aligned();
      sessions.push(session(start, rnd() < 0.5 ? aligned() : start + int(3 * DAY)));
    } else if (r < 0.8) {
      const start = rnd() < 0.5 ? anyTime() : aligned();
      sessions.push(session(start, start));
    } else if (r < 0.85) {
      const start = anyTime();
      sessions.push(session(start, start + (20 + int(80)) * DAY + int(DAY)));
    } else if (r < 0.9) {
      sessions.push(session(asOfMs - 1 - int(3 * DAY), undefined));
    } else {
      const start = anyTime();
      sessions.push(session(start, start + int(10 * 60_000)));
    }
  }
  // Aligned ends can come before their starts: swap them, as a recorder would not do otherwise.
  for (const s of sessions) if (s.endedAt !== undefined && s.endedAt < s.startedAt) [s.startedAt, s.endedAt] = [s.endedAt, s.startedAt];

  const rateCard: RefRateCard = {
    // r6i.8xlarge has no rate; c7i.large is priced at 0 on purpose (not missing).
    instanceTypes: { 'c5.4xlarge': 0.68, 'm5.2xlarge': 0.384, 'g4dn.xlarge': 0.526, 'c7i.large': 0 },
    // nuke and Élan have no rate.
    licenseProducts: { arnold: 0.25, houdini: 1.1, maya: 0.5, Redshift: 0.3, vray: 0.2 },
    customerManagedWorkerHour: 0.9,
    customerManagedFleets: { [fleets[2]!.fleetId]: 0.8 },
  };
  return { farmId: `farm-${hex()}`, costScaleFactor: pick([1, 0.85, 1.25]), queues, fleets, sessions, rateCard, asOfMs, spanStartMs, spanEndMs };
}

/** The start of the hour/day/week (Monday)/month containing t, in a fixed offset. */
function alignedInstant(t: number, offsetMinutes: number, unit: 'HOUR' | 'DAY' | 'WEEK' | 'MONTH'): number {
  const shift = offsetMinutes * 60_000;
  const d = new Date(t + shift);
  const [y, m, day, h] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours()];
  const local =
    unit === 'HOUR' ? Date.UTC(y, m, day, h) : unit === 'DAY' ? Date.UTC(y, m, day) : unit === 'WEEK' ? Date.UTC(y, m, day - ((d.getUTCDay() + 6) % 7)) : Date.UTC(y, m, 1);
  return local - shift;
}

function shuffled<T>(xs: readonly T[], rnd: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A small, well-known 32-bit PRNG: deterministic across platforms. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
