// A year (2025) of a render farm's sessions, generated from a seed, one record at a time:
// memory stays bounded whatever the count (the 20 000 jobs and 200 users are the only
// state). Same seed and count, same records.
//
// Shape of the data: jobs are submitted mostly on weekday working hours (studio time
// UTC-08:00) with two delivery crunches (March, October); a job's sessions start over a
// few hours to days after it; jobs differ a lot in size (lognormal weights); session lengths
// are lognormal around the department's median, clamped to 1 minute .. 12 hours; about 20 %
// of sessions hold 1 or 2 licenses; the last few sessions are still running at the year's end.
import type { SessionRecordJson } from '../domain/session-record.js';
import { DEMO_FLEETS, DEMO_QUEUES } from './farm.js';
import { hex8, isoTime } from './format.js';
import { mix32, Random, WeightedPicker } from './random.js';

/** A session record in the ingest format (SPEC section 4). */
export type DemoSession = SessionRecordJson;

/** The server's IDs of the demo queues and fleets, in DEMO_QUEUES / DEMO_FLEETS order. */
export interface DemoIds {
  queueIds: readonly string[];
  fleetIds: readonly string[];
}

export const DEMO_YEAR_START = Date.UTC(2025, 0, 1);
export const DEMO_YEAR_END = Date.UTC(2026, 0, 1);
export const DEMO_JOBS = 20_000;
export const DEMO_USERS = 200;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STUDIO_OFFSET = -8 * HOUR;
const LICENSED_SHARE = 0.2;

const FIRST = ['ana', 'ben', 'chloe', 'dev', 'elif', 'felix', 'grace', 'hiro', 'ines', 'jonas', 'kemal', 'lena', 'mateo', 'noor', 'omar', 'priya', 'quinn', 'rosa', 'sami', 'tomas'];
const LAST = ['alvarez', 'becker', 'chen', 'dubois', 'eriksen', 'fischer', 'garcia', 'haddad', 'ito', 'jensen', 'kowalski', 'lopez', 'moreau', 'nakamura', 'okafor', 'petrov', 'rossi', 'silva', 'tanaka', 'weber'];
const SHOWS = ['ORCA', 'KITE', 'PINE', 'EMBER'];

/** Stand-in IDs (valid in form, unknown to any server) for files written without one. */
export function placeholderIds(seed: number): DemoIds {
  const rnd = new Random(seed, 99);
  return { queueIds: DEMO_QUEUES.map(() => `queue-${rnd.hex32()}`), fleetIds: DEMO_FLEETS.map(() => `fleet-${rnd.hex32()}`) };
}

/** 32 hex digits, unique per (salt, index < 2^32): the first 8 are a bijection of the index. */
function uniqueHex(salt: number, index: number): string {
  return (
    hex8(mix32(index ^ salt)) + hex8(mix32((index + 0x9e3779b9 + salt) | 0)) +
    hex8(mix32((index + 0x3c6ef372 + salt) | 0)) + hex8(mix32((index + 0xdaa66d2b + salt) | 0))
  );
}

interface Job {
  jobId: string;
  jobName: string;
  queue: number;
  userId: string;
  startMs: number;
  /** Sessions start within this long after the job. */
  spreadMs: number;
}

/** How busy the studio is at an instant, 0..1: weekday working hours, two crunches a year. */
function submitWeight(t: number): number {
  const local = t + STUDIO_OFFSET;
  const hour = Math.floor(local / HOUR) % 24;
  const weekday = (Math.floor(local / DAY) + 4) % 7; // 0 = Sunday (1970-01-01 was a Thursday)
  const dayShare = weekday === 0 ? 0.3 : weekday === 6 ? 0.45 : 1;
  const hourShare = hour >= 9 && hour < 20 ? 1 : hour >= 7 && hour < 23 ? 0.5 : 0.15;
  const yearPart = (t - DEMO_YEAR_START) / (DEMO_YEAR_END - DEMO_YEAR_START);
  const crunch = (centre: number) => Math.exp(-(((yearPart - centre) / 0.05) ** 2));
  const season = Math.min(0.55 + 0.45 * crunch(0.2) + 0.45 * crunch(0.78), 1);
  return dayShare * hourShare * season;
}

function makeUsers(rnd: Random): string[] {
  const all = FIRST.flatMap((f) => LAST.map((l) => `${f}.${l}`));
  for (let i = all.length - 1; i > 0; i--) {
    const j = rnd.int(i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, DEMO_USERS);
}

function makeJobs(seed: number): { jobs: Job[]; weights: Float64Array } {
  const rnd = new Random(seed, 1);
  const users = makeUsers(rnd);
  const queues = new WeightedPicker(DEMO_QUEUES.map((q) => q.weight));
  const jobs: Job[] = [];
  const weights = new Float64Array(DEMO_JOBS);
  const salt = mix32(seed ^ 0x10b5);
  const shots = new Map<string, number>();
  for (let i = 0; i < DEMO_JOBS; i++) {
    const queue = queues.pick(rnd);
    // Users belong to a department (users with the queue's index mod 10), with 15 % helping out elsewhere.
    const user = rnd.chance(0.85) ? queue + 10 * rnd.int(DEMO_USERS / 10) : rnd.int(DEMO_USERS);
    let startMs: number;
    do startMs = DEMO_YEAR_START + rnd.next() * (DEMO_YEAR_END - DEMO_YEAR_START);
    while (rnd.next() > submitWeight(startMs));
    const show = SHOWS[rnd.int(SHOWS.length)]!;
    const shot = `${show}_sq${String(10 * (1 + rnd.int(30))).padStart(3, '0')}_sh${String(10 * (1 + rnd.int(80))).padStart(4, '0')}_${DEMO_QUEUES[queue]!.task}`;
    const version = (shots.get(shot) ?? 0) + 1;
    shots.set(shot, version);
    jobs.push({
      jobId: `job-${uniqueHex(salt, i)}`,
      jobName: `${shot}_v${String(version).padStart(3, '0')}`,
      queue,
      userId: users[user]!,
      startMs: Math.floor(startMs),
      spreadMs: Math.min(Math.max(rnd.lognormal(4 * HOUR, 1.2), 10 * MINUTE), 10 * DAY),
    });
    weights[i] = rnd.lognormal(1, 1.1);
  }
  return { jobs, weights };
}

export interface GenerateOptions {
  sessions: number;
  seed: number;
}

/** How many of the generated sessions are still running at the end of 2025. */
export function runningCount(sessions: number): number {
  return Math.min(sessions, Math.max(3, Math.round(sessions / 100_000)));
}

/** The demo farm's sessions, in no particular time order. */
export function* generateSessions(ids: DemoIds, options: GenerateOptions): Generator<DemoSession> {
  const { jobs, weights } = makeJobs(options.seed);
  const pickJob = new WeightedPicker(weights);
  const fleetPickers = DEMO_QUEUES.map((q) => new WeightedPicker(q.fleets.map(([, w]) => w)));
  const typePickers = DEMO_FLEETS.map((f) => new WeightedPicker(f.instanceTypes.map(([, w]) => w)));
  const workerSalt = mix32(options.seed ^ 0x3044);
  const workers = DEMO_FLEETS.map((f, fi) => Array.from({ length: f.workers }, (_, w) => `worker-${uniqueHex(workerSalt, fi * 100_000 + w)}`));
  const sessionSalt = mix32(options.seed ^ 0x5e55);
  const rnd = new Random(options.seed, 2);
  const running = runningCount(options.sessions);
  for (let i = 0; i < options.sessions; i++) {
    const job = jobs[pickJob.pick(rnd)]!;
    const queue = DEMO_QUEUES[job.queue]!;
    const fleetIndex = queue.fleets[fleetPickers[job.queue]!.pick(rnd)]![0];
    const fleet = DEMO_FLEETS[fleetIndex]!;
    const instanceType = rnd.chance(fleet.unknownInstanceType) ? undefined : fleet.instanceTypes[typePickers[fleetIndex]!.pick(rnd)]![0];
    const length = Math.round(Math.min(Math.max(rnd.lognormal(queue.medianMinutes * MINUTE, 0.9), MINUTE), 12 * HOUR));
    let start = Math.floor(job.startMs + rnd.next() * job.spreadMs);
    const stillRunning = i >= options.sessions - running;
    // Ended sessions stay inside the year; the running ones started in its last six hours.
    if (stillRunning) start = DEMO_YEAR_END - MINUTE - Math.floor(rnd.next() * 6 * HOUR);
    else if (start + length > DEMO_YEAR_END) start = DEMO_YEAR_END - length - Math.floor(rnd.next() * HOUR);
    let licenseProducts: string[] | undefined;
    if (rnd.chance(LICENSED_SHARE)) {
      const first = queue.products[rnd.chance(0.7) ? 0 : rnd.int(queue.products.length)]!;
      const second = rnd.chance(0.3) ? queue.products[rnd.int(queue.products.length)]! : first;
      licenseProducts = second === first ? [first] : [first, second];
    }
    const record: DemoSession = {
      sessionId: `session-${uniqueHex(sessionSalt, i)}`,
      queueId: ids.queueIds[job.queue]!,
      jobId: job.jobId,
      jobName: job.jobName,
      userId: job.userId,
      fleetId: ids.fleetIds[fleetIndex]!,
      workerId: workers[fleetIndex]![rnd.int(fleet.workers)]!,
      instanceType,
      startedAt: isoTime(start),
      endedAt: stillRunning ? undefined : isoTime(start + length),
      licenseProducts,
    };
    yield record;
  }
}
