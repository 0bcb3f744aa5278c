// `--ingest-path`: the cluster's ingest path on the bench's stored data (the largest size),
// batch by batch and step by step. A small batch (10 records: 5 new sessions, 5 updates of
// stored ones), the same through the server's route, and large ones (the bench's batch size:
// half updates, then all new), each run as ClusterIngest.write and apply run it, with the
// two reads by key (the versions a batch replaces, the spans of the jobs it changes) either
// as they were before the key tables (the farm's visible sessions read through the sessions
// table: every row of the farm) or as they are now (session-keys.ts), alternating on the
// same data. Every other step is the store's own, timed from outside (timeline.ts). Then the
// lookups alone, alternating on the same IDs, and the probes for the projection (probes.ts).
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSessions, type DemoIds, type DemoSession } from '../../src/demo/generate.js';
import { seedOf } from '../../src/demo/random.js';
import type { SessionRecord } from '../../src/domain/resources.js';
import { licenseProductSet } from '../../src/domain/session-record.js';
import type { Shards } from '../../src/store/clickhouse/shards.js';
import { latestRecords, planGroup, type StoredVersion, storedVersionOf } from '../../src/store/cluster/batch-plan.js';
import type { Respanned, Snapshot } from '../../src/store/cluster/cluster-state.js';
import { clusterState } from '../../src/store/cluster/postgres-state-tx.js';
import { ClusterIngest, withBatches, writeRows } from '../../src/store/cluster/session-ingest.js';
import { respans, storedVersions } from '../../src/store/cluster/session-keys.js';
import { MissingParentsError } from '../../src/store/store.js';
import { fromSessionRow, readVisible } from '../../src/store/cluster/session-rows.js';
import { openPostgresState } from '../../src/store/postgres/index.js';
import { ingestUrl } from '../../src/client/upload.js';
import { median } from '../measure.js';
import { int, ms, table } from '../report.js';
import { startServer } from '../server.js';
import { batchNumbering, queryTextSizes, supersededProbe } from './probes.js';
import type { ClusterTarget, ScratchDatabases } from './scratch.js';
import { serveArgs } from './scratch.js';
import { Timeline, TimedShards, timedState } from './timeline.js';

export interface IngestPathOptions {
  target: ClusterTarget;
  scratch: ScratchDatabases;
  farmId: string;
  ids: DemoIds;
  sessions: number;
  runs: number;
  scratches: ScratchDatabases[];
  /** Records of the large batch (the bench's --batch-size). */
  largeBatch: number;
  log: (line: string) => void;
}

type Lookup = (shards: Shards, farmId: string, ids: readonly string[], snapshot: Snapshot) => Promise<Map<string, StoredVersion>>;

/** Session IDs per statement before session_keys (the IN list's text). */
const IDS_PER_LOOKUP = 5_000;

/** The lookup as it was before session_keys: the farm's visible sessions by session ID, 5 000 IDs a statement. */
const lookupBefore: Lookup = async (shards, farmId, ids, snapshot) => {
  const found = new Map<string, StoredVersion>();
  for (let i = 0; i < ids.length; i += IDS_PER_LOOKUP) {
    const rows = await readVisible(shards, farmId, snapshot, { sessionIds: ids.slice(i, i + IDS_PER_LOOKUP) });
    for (const row of rows) found.set(row.session_id as string, storedVersionOf(fromSessionRow(row), Number(row.batch_seq)));
  }
  return found;
};

const LOOKUPS: Record<'before' | 'after', Lookup> = { before: lookupBefore, after: storedVersions };

type Respans = (shards: Shards, farmId: string, jobIds: readonly string[], snapshot: Snapshot) => Promise<Respanned[]>;

/** The jobs' spans as they were worked out before job_sessions: from the farm's visible sessions, the job IDs in has() over a constant array. */
const respansBefore: Respans = async (shards, farmId, jobIds, snapshot) => {
  const rows = await readVisible(shards, farmId, snapshot, { jobIds, select: 'job_id, min(started_at) AS first_start, countIf(isNull(ended_at)) AS running, max(ended_at) AS last_end', groupBy: 'job_id' });
  const spans = new Map(rows.map((r) => [r.job_id as string, { startedAt: Number(r.first_start), endedAt: Number(r.running) === 0 ? Number(r.last_end) : undefined }]));
  return jobIds.map((jobId) => ({ jobId, span: spans.get(jobId) }));
};

const RESPANS: Record<'before' | 'after', Respans> = { before: respansBefore, after: respans };

const toRecord = (s: DemoSession): SessionRecord => ({
  ...s,
  startedAt: Date.parse(s.startedAt),
  endedAt: s.endedAt === undefined ? undefined : Date.parse(s.endedAt),
  licenseProducts: licenseProductSet(s.licenseProducts),
});

/** A stored session changed (it ends a second later, or ends if it ran). */
const updated = (s: DemoSession): DemoSession => ({ ...s, endedAt: new Date((s.endedAt ? Date.parse(s.endedAt) : Date.parse(s.startedAt) + 60_000) + 1_000).toISOString() });
/** A new session like a stored one. */
const fresh = (s: DemoSession): DemoSession => ({ ...s, sessionId: `session-${randomBytes(16).toString('hex')}` });

interface BatchRun {
  variant: 'before' | 'after';
  totalMs: number;
  steps: Map<string, number>;
  insertsMs: number;
  load: number;
}

const STEP_ORDER = ['pg: open batch', 'pg: lock farm', 'pg: snapshot', 'lookup', 'plan', 'pg: parents', 'insert sessions_local', 'insert session_keys_local', 'insert job_sessions_local', 'insert superseded_local', 'respans', 'pg: jobs', 'pg: counts', 'pg: publish', 'pg: commit'];

export async function measureIngestPath(o: IngestPathOptions): Promise<string> {
  const { scratch, farmId, log } = o;
  const timeline = new Timeline();
  const state = openPostgresState({ url: scratch.stateUrl });
  const shards = new TimedShards(scratch.clickhouseUrls, scratch.clickhouseDatabase, timeline);
  const ingest = new ClusterIngest(timedState(clusterState(state), timeline), shards, { owner: `bench:${process.pid}:${randomBytes(4).toString('hex')}`, ttlMs: 3_600_000 });
  const problems: string[] = [];
  const sections: string[] = [];
  try {
    // Stored sessions to update: the generator's first ones, each used once.
    const smallPairs = Math.max(o.runs, 5);
    const largePairs = 1;
    const largeHalf = Math.floor(o.largeBatch / 2);
    const routeRuns = o.runs * 2;
    // Updates each take a stored session of their own; new sessions copy stored ones under new IDs.
    const need = (smallPairs * 2 + routeRuns) * 5 + largePairs * 2 * largeHalf;
    if (need > o.sessions) throw new Error(`--ingest-path needs at least ${need} stored sessions`);
    const pool: DemoSession[] = [];
    for (const s of generateSessions(o.ids, { sessions: o.sessions, seed: seedOf('1') })) {
      pool.push(s);
      if (pool.length >= need) break;
    }
    let next = 0;
    const take = (n: number) => pool.slice(next, (next += n));
    let template = 0;
    const batchOf = (updates: DemoSession[], news: number) => [...updates.map(updated), ...Array.from({ length: news }, () => fresh(pool[template++ % pool.length]!))];

    const runBatch = async (variant: 'before' | 'after', batch: DemoSession[], expect: { created: number; updated: number }): Promise<BatchRun> => {
      const records = batch.map(toRecord);
      timeline.reset();
      const load = loadavg()[0]!;
      const t0 = performance.now();
      // ClusterIngest.write and apply, step for step, with the two reads by key as they were (before) or are (after).
      const counts = await ingest.batch(farmId, async (tx, seq, snapshot) => {
        const stored = await timeline.time('lookup', () => LOOKUPS[variant](shards, farmId, latestRecords(records).map((r) => r.sessionId), snapshot));
        const nowMs = Date.now();
        const named = (pick: (r: SessionRecord) => string) => [...new Set(records.map(pick))];
        const absent = await tx.missingParents(farmId, named((r) => r.queueId), named((r) => r.fleetId));
        const plan = await timeline.time('plan', () => planGroup([{ records, seq, nowMs }], stored, absent));
        const outcome = plan.outcomes[0]!;
        if ('missing' in outcome) throw new MissingParentsError(outcome.missing.queueIds, outcome.missing.fleetIds);
        if (plan.writes.length) {
          await writeRows(shards, farmId, plan);
          const spans = await timeline.time('respans', () => RESPANS[variant](shards, farmId, plan.respanJobs, withBatches(snapshot, [seq])));
          await tx.writeJobs(farmId, nowMs, plan.namedJobs, spans);
          await tx.adjustSessionCounts(farmId, plan.sessionDeltas);
        }
        return { result: outcome.counts, counts: outcome.counts };
      });
      const totalMs = performance.now() - t0;
      if (counts.created !== expect.created || counts.updated !== expect.updated) problems.push(`${variant} batch of ${records.length}: created ${counts.created}, updated ${counts.updated}; expected ${expect.created} and ${expect.updated}`);
      return { variant, totalMs, steps: timeline.totals(), insertsMs: timeline.unionOf((k) => k.startsWith('insert')), load };
    };

    // 1. Small batches, alternating.
    log(`small batches: ${smallPairs} pairs of 10 records (5 new, 5 updates), before / after alternating`);
    const small: BatchRun[] = [];
    for (let i = 0; i < smallPairs; i++) {
      for (const variant of ['before', 'after'] as const) small.push(await runBatch(variant, batchOf(take(5), 5), { created: 5, updated: 5 }));
    }
    sections.push(stepsTable('A batch of 10 records (5 new sessions, 5 updates)', small));
    // 2. A small batch through the server's route (the code as it is now).
    log('small batches through the route');
    const server = await startServer(mkdtempSync(join(tmpdir(), 'farmtally-bench-route-')), serveArgs(scratch));
    const routeMs: number[] = [];
    const routeLoads: number[] = [];
    try {
      for (let r = 0; r < routeRuns; r++) {
        const body = batchOf(take(5), 5).map((s) => JSON.stringify(s)).join('\n');
        routeLoads.push(loadavg()[0]!);
        const t0 = performance.now();
        const res = await fetch(ingestUrl(server.url, farmId), { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
        const answer = (await res.json()) as { created?: number; updated?: number };
        routeMs.push(performance.now() - t0);
        if (answer.created !== 5 || answer.updated !== 5) problems.push(`route batch: ${JSON.stringify(answer)}`);
      }
    } finally {
      await server.stop();
    }
    sections.push([
      '#### A batch of 10 records through the route (`POST /ingest/v1`, the server on the cluster, the code as it is now)',
      '',
      table(['runs', 'ms median (min–max)', 'load (1 min) at each run'], [[int(routeMs.length), `${ms(median(routeMs))} (${ms(Math.min(...routeMs))}–${ms(Math.max(...routeMs))})`, routeLoads.map((l) => l.toFixed(1)).join(', ')]]),
    ].join('\n'));

    // 3. Large batches, alternating: half updates, then all new (as a bulk import's).
    for (const half of [true, false]) {
      log(`large batches: ${largePairs} pairs of ${o.largeBatch} records (${half ? 'half new, half updates' : 'all new'}), before / after alternating`);
      const large: BatchRun[] = [];
      const updates = half ? largeHalf : 0;
      for (let i = 0; i < largePairs; i++) {
        for (const variant of ['before', 'after'] as const) {
          large.push(await runBatch(variant, batchOf(take(updates), o.largeBatch - updates), { created: o.largeBatch - updates, updated: updates }));
          log(`large ${variant}: ${Math.round(large[large.length - 1]!.totalMs)} ms`);
        }
      }
      sections.push(stepsTable(`A batch of ${int(o.largeBatch)} records (${half ? 'half new sessions, half updates' : 'all new sessions'})`, large));
    }

    // 4. The lookups alone, alternating on the same IDs (stored sessions and as many unknown ones).
    const snapshot = await state.snapshot();
    const lookupRows: string[][] = [];
    for (const n of [10, o.largeBatch]) {
      const ids = [...pool.slice(0, n / 2).map((s) => s.sessionId), ...Array.from({ length: n - n / 2 }, () => `session-${randomBytes(16).toString('hex')}`)];
      const times = { before: [] as number[], after: [] as number[] };
      const found = { before: 0, after: 0 };
      const loads: number[] = [];
      for (let r = 0; r < (n > 1000 ? 1 : o.runs * 2); r++) {
        for (const variant of ['before', 'after'] as const) {
          loads.push(loadavg()[0]!);
          const t0 = performance.now();
          found[variant] = (await LOOKUPS[variant](shards, farmId, ids, snapshot)).size;
          times[variant].push(performance.now() - t0);
        }
      }
      if (found.before !== found.after) problems.push(`lookup of ${n} IDs: before found ${found.before}, after ${found.after}`);
      lookupRows.push([int(n), `${ms(median(times.before))} (${ms(Math.min(...times.before))}–${ms(Math.max(...times.before))})`, `${ms(median(times.after))} (${ms(Math.min(...times.after))}–${ms(Math.max(...times.after))})`, `${(median(times.before) / median(times.after)).toFixed(0)}×`, int(found.after), loads.map((l) => l.toFixed(1)).join(', ')]);
    }
    sections.push(['#### The stored-version lookup alone, alternating on the same IDs (half stored, half unknown)', '', table(['IDs', 'before ms (min–max)', 'after ms (min–max)', 'before / after', 'found', 'load (1 min) at each run'], lookupRows)].join('\n'));

    // 5. Probes for the projection.
    log('probes: PostgreSQL batch numbering, the superseded set, query text sizes');
    sections.push(await batchNumbering(o.target, o.scratches, log));
    sections.push(await supersededProbe(shards, state, farmId, o.ids, o.runs, log));
    sections.push(queryTextSizes(farmId, o.ids));
  } finally {
    await state.close();
  }
  return [`### The ingest path at ${int(o.sessions)} sessions (issue 18)`, '', ...sections.flatMap((s) => [s, '']), problems.length ? `**Problems:** ${problems.join('; ')}` : 'Every batch answered the counts expected; both lookups found the same sessions.'].join('\n');
}

function stepsTable(title: string, runs: BatchRun[]): string {
  const of = (variant: 'before' | 'after') => runs.filter((r) => r.variant === variant);
  const med = (rs: BatchRun[], f: (r: BatchRun) => number) => median(rs.map(f));
  const kinds = STEP_ORDER.filter((k) => runs.some((r) => r.steps.has(k)));
  const row = (what: string, f: (r: BatchRun) => number) => [what, ms(med(of('before'), f)), ms(med(of('after'), f))];
  const rows = [
    row('**total**', (r) => r.totalMs),
    ...kinds.map((k) => row(k, (r) => r.steps.get(k) ?? 0)),
    row('shard inserts together (wall)', (r) => r.insertsMs),
    row('the rest (JS, HTTP, waiting)', (r) => r.totalMs - [...r.steps.entries()].filter(([k]) => k !== 'read' && !k.startsWith('insert')).reduce((s, [, v]) => s + v, 0) - r.insertsMs),
  ];
  return [
    `#### ${title}: ms per step, median of ${of('after').length} runs each, before / after alternating`,
    '',
    table(['step', 'before (reads by key on sessions)', 'after (session_keys, job_sessions)'], rows),
    '',
    `Both write the same rows (the key tables' too). Load (1 min) at each run: ${runs.map((r) => `${r.variant[0]} ${r.load.toFixed(1)}`).join(', ')}.`,
  ].join('\n');
}
