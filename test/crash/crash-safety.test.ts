// kill -9 during a large ingest batch (issue 9, item 7): wherever the kill lands (while the
// body streams, while it is staged, during the commit, right after the answer), after a
// restart on the same data folder the batch is wholly present or wholly absent (its sessions
// counted by an aggregation, its jobs by GetJob), and everything acknowledged before it
// (farms, queues, fleets, earlier batches, earlier runs' outcomes) is intact.
// The server's trace (FARMTALLY_INGEST_TRACE) says which phase each kill hit; each phase must
// be hit. Kills during the commit are spread over it as the last finished commit timed it,
// and one comes as soon as GetSession finds the batch's first session: a merge written in
// several commits would show its sessions before its jobs.
// CRASH_RUNS=N adds N kills at varied points (`npm run test:crash`); CRASH_BATCH sets the
// batch's size (default 100 000 records, about 40 MB of NDJSON).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { farmWithEarlierBatch, killDuringBatch, largeBatchPresent, LargeBatch, type Format, type IngestPath, type KillPlan, type Phase } from '../support/batch-kill.js';
import { newDataDir, startFarmtally, type Farmtally } from '../support/server.js';
import type { FarmParents } from '../support/session-records.js';

const BATCH_RECORDS = Number(process.env.CRASH_BATCH ?? 100_000);
const EXTRA_RUNS = Number(process.env.CRASH_RUNS ?? 0);

interface Run {
  farm: FarmParents;
  plan: KillPlan;
  format: Format;
  phase: Phase;
  mustBePresent: boolean;
  /** What the first check after the kill found; every later restart must find the same. */
  present?: boolean;
}

interface Progress {
  runs: Run[];
  hit: Set<Phase>;
  /** The last commit the trace timed (from staged to committed), for spreading kills over a commit. */
  commitMs: number | undefined;
}

type NextKill = { plan: KillPlan; format: Format } | undefined;

/**
 * Kills the server once per plan `next` gives (it sees the runs so far), each time in a new
 * farm of the same data folder; after each restart checks every farm so far.
 */
async function killRuns(env: Record<string, string>, path: IngestPath, batches: Partial<Record<Format, LargeBatch>>, next: (p: Progress) => NextKill): Promise<Progress> {
  const dataDir = newDataDir();
  const serverEnv = { FARMTALLY_INGEST_TRACE: '1', ...env };
  let ft: Farmtally = await startFarmtally({ dataDir, env: serverEnv });
  const progress: Progress = { runs: [], hit: new Set(), commitMs: undefined };
  try {
    for (let kill = next(progress); kill; kill = next(progress)) {
      const batch = batches[kill.format]!;
      const farm = await farmWithEarlierBatch(ft, `crash run ${progress.runs.length}`);
      const outcome = await killDuringBatch(ft, farm, batch, path, kill.plan);
      progress.runs.push({ farm, plan: kill.plan, format: kill.format, phase: outcome.phase, mustBePresent: outcome.mustBePresent });
      progress.hit.add(outcome.phase);
      progress.commitMs = outcome.commitMs ?? progress.commitMs;
      ft = await startFarmtally({ dataDir, env: serverEnv });
      for (const [i, run] of progress.runs.entries()) {
        const what = `run ${i} (${JSON.stringify(run.plan)} ${run.format}, killed at ${run.phase})`;
        const present = await largeBatchPresent(ft.client, run.farm, batches[run.format]!).catch((err) => {
          throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
        });
        if (run.mustBePresent) assert.ok(present, `${what}: the server had acknowledged the batch, but it is gone`);
        if (run.present !== undefined) assert.equal(present, run.present, `${what}: the batch's presence changed after a later restart`);
        run.present = present;
      }
    }
  } finally {
    await ft.stop(false);
  }
  rmSync(dataDir, { recursive: true, force: true });
  return progress;
}

const describeRuns = (runs: Run[]) => runs.map((r) => `${JSON.stringify(r.plan)} ${r.format}: ${r.phase}, batch ${r.present ? 'present' : 'absent'}`).join('\n');

/** A kill at `fraction` of the last timed commit (before any was timed, a guess of a second). */
const intoCommit = (p: Progress, fraction: number): KillPlan => ({ at: 'after-staged', delayMs: Math.round((p.commitMs ?? 1000) * fraction) });

test('kill -9 while a large NDJSON batch streams, is staged and is committed: all or nothing after a restart, earlier data intact', { timeout: 15 * 60_000 }, async () => {
  const ndjson = new LargeBatch(BATCH_RECORDS, 'ndjson');
  // The first run times a commit (and checks an answered batch survives); the rest are spread.
  const planned: ((p: Progress) => KillPlan)[] = [
    () => ({ at: 'after-answer' }),
    () => ({ at: 'mid-body', fraction: 0.4 }),
    () => ({ at: 'after-body', delayMs: 200 }),
    (p) => intoCommit(p, 0.6),
    (p) => intoCommit(p, 0.95),
    () => ({ at: 'when-visible' }),
    ...Array.from({ length: EXTRA_RUNS }, (_, i) => (p: Progress): KillPlan => {
      const r = ((i * 7919) % 101) / 100; // a fixed spread: a failing run is told again as it was
      const plans: KillPlan[] = [{ at: 'mid-body', fraction: 0.05 + 0.9 * r }, { at: 'after-body', delayMs: Math.round(600 * r) }, intoCommit(p, r), { at: 'when-visible' }];
      return plans[i % plans.length]!;
    }),
  ];
  // Retries for a phase every planned kill missed (a loaded machine shifts every timing).
  const retries: Partial<Record<Phase, ((p: Progress) => KillPlan)[]>> = {
    streaming: [() => ({ at: 'mid-body', fraction: 0.2 })],
    staging: [0, 50, 400, 800].map((delayMs) => () => ({ at: 'after-body', delayMs })),
    commit: [0, 0.3, 0].map((f) => (p: Progress) => intoCommit(p, f)),
  };
  const { runs, hit } = await killRuns({}, 'fast', { ndjson }, (p) => {
    const plan = planned.shift() ?? (['streaming', 'staging', 'commit'] as const).filter((phase) => !p.hit.has(phase)).map((phase) => retries[phase]!.shift()).find(Boolean);
    return plan && { plan: plan(p), format: 'ndjson' };
  });
  console.log(`kills (fast path):\n${describeRuns(runs)}`);
  for (const phase of ['streaming', 'staging', 'commit', 'committed'] as const) assert.ok(hit.has(phase), `no kill landed while ${phase}:\n${describeRuns(runs)}`);
});

test('kill -9 on the careful path (fast path off; CSV) mid-body, after the body and after the answer: all or nothing after a restart', { timeout: 10 * 60_000 }, async () => {
  // Read record by record, the batch takes longer: a smaller one keeps the test short.
  const records = Math.min(BATCH_RECORDS, 60_000);
  const planned: NonNullable<NextKill>[] = [
    { plan: { at: 'mid-body', fraction: 0.5 }, format: 'ndjson' },
    { plan: { at: 'after-body', delayMs: 100 }, format: 'ndjson' },
    { plan: { at: 'mid-body', fraction: 0.7 }, format: 'csv' },
    { plan: { at: 'after-body', delayMs: 200 }, format: 'csv' },
    { plan: { at: 'after-answer' }, format: 'csv' },
    { plan: { at: 'when-visible' }, format: 'csv' },
  ];
  let retries = 2;
  const { runs, hit } = await killRuns({ FARMTALLY_INGEST_FAST_PATH: 'off' }, 'careful', { ndjson: new LargeBatch(records, 'ndjson'), csv: new LargeBatch(records, 'csv') }, (p) => {
    if (planned.length) return planned.shift();
    if (!p.hit.has('after-body') && retries-- > 0) return { plan: { at: 'after-body', delayMs: 0 }, format: 'csv' };
    return undefined;
  });
  console.log(`kills (careful path):\n${describeRuns(runs)}`);
  for (const phase of ['streaming', 'after-body', 'committed'] as const) assert.ok(hit.has(phase), `no kill landed while ${phase}:\n${describeRuns(runs)}`);
});
