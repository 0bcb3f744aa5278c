// kill -9 during a large ingest batch (issue 9, item 7): wherever the kill lands (while the
// body streams, while it is staged, during the commit), after a restart on the same data
// folder the batch is wholly present or wholly absent, and everything acknowledged before it
// (farms, queues, fleets, earlier batches, earlier runs' outcomes) is intact. The server's
// trace (FARMTALLY_INGEST_TRACE) says which phase each kill hit; each phase must be hit.
// CRASH_RUNS=N adds N kills at random points (`npm run test:crash`); CRASH_BATCH sets the
// batch's size (default 100 000 records, about 40 MB of NDJSON).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { farmWithEarlierBatch, killDuringBatch, largeBatchPresent, LargeBatch, type Format, type IngestPath, type KillPlan, type Phase } from './support/batch-kill.js';
import { newDataDir, startFarmtally, type Farmtally } from './support/server.js';
import type { FarmParents } from './support/session-records.js';

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

/** A seeded random plan for the extra runs, so a failing one can be told again. */
function randomPlan(i: number): KillPlan {
  const r = (Math.sin(i * 9301 + 49297) + 1) / 2;
  const kind = i % 4;
  if (kind === 3) return { at: 'after-answer' };
  if (kind === 0) return { at: 'mid-body', fraction: 0.05 + 0.9 * r };
  if (kind === 1) return { at: 'after-body', delayMs: Math.round(r * 1200) };
  return { at: 'after-staged', delayMs: Math.round(r * 800) };
}

/**
 * Kills the server once per plan, each time in a new farm of the same data folder, restarts
 * it and checks every farm so far. `more(phasesHit)` may name further plans until it is
 * satisfied (a phase a loaded machine made every planned kill miss).
 */
async function killRuns(options: { env: Record<string, string>; path: IngestPath; batches: Record<Format, LargeBatch | undefined>; plans: { plan: KillPlan; format: Format }[]; more?: (hit: Set<Phase>, tries: number) => { plan: KillPlan; format: Format } | undefined }) {
  const dataDir = newDataDir();
  const env = { FARMTALLY_INGEST_TRACE: '1', ...options.env };
  let ft: Farmtally = await startFarmtally({ dataDir, env });
  const runs: Run[] = [];
  const hit = new Set<Phase>();
  const queue = [...options.plans];
  try {
    for (let tries = 0; ; tries++) {
      const next = queue.shift() ?? options.more?.(hit, tries);
      if (!next) break;
      const batch = options.batches[next.format]!;
      const farm = await farmWithEarlierBatch(ft, `crash run ${runs.length}`);
      const outcome = await killDuringBatch(ft, farm, batch, options.path, next.plan);
      const run: Run = { farm, plan: next.plan, format: next.format, phase: outcome.phase, mustBePresent: outcome.mustBePresent };
      runs.push(run);
      hit.add(outcome.phase);
      ft = await startFarmtally({ dataDir, env });
      for (const earlier of runs) {
        const what = `run ${runs.indexOf(earlier)} (${JSON.stringify(earlier.plan)} ${earlier.format}, killed at ${earlier.phase})`;
        const present = await largeBatchPresent(ft.client, earlier.farm, options.batches[earlier.format]!).catch((err) => {
          throw new Error(`${what}: ${err instanceof Error ? err.message : String(err)}`);
        });
        if (earlier.mustBePresent) assert.ok(present, `${what}: the server had acknowledged the batch, but it is gone`);
        if (earlier.present !== undefined) assert.equal(present, earlier.present, `${what}: the batch's presence changed after a later restart`);
        earlier.present = present;
      }
    }
  } finally {
    await ft.stop(false);
  }
  rmSync(dataDir, { recursive: true, force: true });
  return { runs, hit };
}

const describeRuns = (runs: Run[]) => runs.map((r) => `${JSON.stringify(r.plan)} ${r.format}: ${r.phase}, batch ${r.present ? 'present' : 'absent'}`).join('\n');

test('kill -9 while a large NDJSON batch streams, is staged and is committed: all or nothing after a restart, earlier data intact', { timeout: 15 * 60_000 }, async () => {
  const ndjson = new LargeBatch(BATCH_RECORDS, 'ndjson');
  const plans: KillPlan[] = [
    { at: 'mid-body', fraction: 0.4 },
    { at: 'after-body', delayMs: 150 },
    { at: 'after-body', delayMs: 400 },
    { at: 'after-staged', delayMs: 0 },
    { at: 'after-staged', delayMs: 250 },
    { at: 'after-answer' },
    ...Array.from({ length: EXTRA_RUNS }, (_, i) => randomPlan(i)),
  ];
  // Retries for a phase every planned kill missed: shorter delays hit earlier phases.
  const retries: Partial<Record<Phase, KillPlan[]>> = {
    streaming: [{ at: 'mid-body', fraction: 0.2 }],
    staging: [0, 50, 250, 600].map((delayMs) => ({ at: 'after-body', delayMs })),
    commit: [0, 100, 0].map((delayMs) => ({ at: 'after-staged', delayMs })),
  };
  const { runs, hit } = await killRuns({
    env: {},
    path: 'fast',
    batches: { ndjson, csv: undefined },
    plans: plans.map((plan) => ({ plan, format: 'ndjson' })),
    more: (seen) => {
      for (const phase of ['streaming', 'staging', 'commit'] as const) {
        if (!seen.has(phase)) {
          const plan = retries[phase]!.shift();
          if (plan) return { plan, format: 'ndjson' };
        }
      }
      return undefined;
    },
  });
  console.log(`kills (fast path):\n${describeRuns(runs)}`);
  for (const phase of ['streaming', 'staging', 'commit'] as const) assert.ok(hit.has(phase), `no kill landed while ${phase}:\n${describeRuns(runs)}`);
});

test('kill -9 on the careful path (fast path off; CSV) mid-body and after the body: all or nothing after a restart', { timeout: 10 * 60_000 }, async () => {
  const records = Math.min(BATCH_RECORDS, 60_000);
  const retries: KillPlan[] = [{ at: 'after-body', delayMs: 0 }, { at: 'after-body', delayMs: 0 }];
  const { runs, hit } = await killRuns({
    env: { FARMTALLY_INGEST_FAST_PATH: 'off' },
    path: 'careful',
    batches: { ndjson: new LargeBatch(records, 'ndjson'), csv: new LargeBatch(records, 'csv') },
    plans: [
      { plan: { at: 'mid-body', fraction: 0.5 }, format: 'ndjson' },
      { plan: { at: 'after-body', delayMs: 100 }, format: 'ndjson' },
      { plan: { at: 'mid-body', fraction: 0.7 }, format: 'csv' },
      { plan: { at: 'after-body', delayMs: 200 }, format: 'csv' },
      { plan: { at: 'after-answer' }, format: 'csv' },
    ],
    more: (seen) => {
      const plan = seen.has('after-body') ? undefined : retries.shift();
      return plan && { plan, format: 'csv' };
    },
  });
  console.log(`kills (careful path):\n${describeRuns(runs)}`);
  for (const phase of ['streaming', 'after-body', 'committed'] as const) assert.ok(hit.has(phase), `no kill landed while ${phase}:\n${describeRuns(runs)}`);
});
