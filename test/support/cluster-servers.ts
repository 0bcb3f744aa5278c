// API servers on a cluster, as an operator runs them: `farmtally migrate` once, then any
// number of `farmtally serve --engine clickhouse` sharing the shards and PostgreSQL.
import assert from 'node:assert/strict';
import { farmtally } from './cli.js';
import type { ScratchCluster } from './cluster.js';
import { startFarmtally, type Farmtally } from './server.js';

/** The serve and migrate flags that name the scratch cluster's databases. */
export const clusterFlags = (scratch: ScratchCluster): string[] => [
  '--clickhouse-url', scratch.clickhouseUrls.join(','),
  '--clickhouse-database', scratch.clickhouseDatabase,
  '--state-url', scratch.stateUrl,
];

/** `farmtally migrate` on the scratch databases; fails the test when it does not exit 0. */
export async function migrateScratch(scratch: ScratchCluster): Promise<void> {
  const run = await farmtally(['migrate', ...clusterFlags(scratch), '--clickhouse-cluster', scratch.clickhouseCluster]);
  assert.equal(run.code, 0, `farmtally migrate failed:\n${run.stdout}\n${run.stderr}`);
}

/** `farmtally serve --engine clickhouse` on the scratch cluster (its --data folder goes unused). */
export function startClusterServer(scratch: ScratchCluster, options: { args?: string[]; env?: Record<string, string> } = {}): Promise<Farmtally> {
  return startFarmtally({ args: ['--engine', 'clickhouse', ...clusterFlags(scratch), ...(options.args ?? [])], env: options.env });
}

/** SIGKILL, as a machine failing would; resolves once the process is gone. */
export async function killServer(ft: Farmtally): Promise<void> {
  if (ft.process.exitCode !== null || ft.process.signalCode !== null) return;
  const gone = new Promise((resolve) => ft.process.once('exit', resolve));
  ft.process.kill('SIGKILL');
  await gone;
}
