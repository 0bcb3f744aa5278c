// Tools of the crash tests: wait for a server's trace lines as they come out, kill it hard
// (SIGKILL: what a power cut or the OOM killer does), stop it with SIGTERM within a bound,
// see what a kill left in its spool folder, and read back what a farm holds through the SDK.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetJobCommand, GetSessionsStatisticsAggregationCommand, ResourceNotFoundException, StartSessionsStatisticsAggregationCommand,
  type DeadlineClient,
} from '@aws-sdk/client-deadline';
import { eventually } from './eventually.js';
import type { Farmtally } from './server.js';

/** Resolves with the first match of `pattern` in the server's output, as soon as it is printed. */
export function whenOutput(ft: Farmtally, pattern: RegExp, timeoutMs = 120_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const streams = [ft.process.stdout!, ft.process.stderr!];
    const done = () => {
      clearTimeout(timer);
      for (const s of streams) s.off('data', check);
      ft.process.off('exit', gone);
    };
    // startFarmtally's own listener, registered first, has added the chunk to output() already.
    const check = () => {
      const m = pattern.exec(ft.output());
      if (m) {
        done();
        resolve(m);
      }
    };
    const gone = () => {
      done();
      reject(new Error(`the server exited before printing ${pattern}:\n${ft.output()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`the server did not print ${pattern} within ${timeoutMs} ms:\n${ft.output()}`));
    }, timeoutMs);
    for (const s of streams) s.on('data', check);
    ft.process.on('exit', gone);
    check();
  });
}

/**
 * Resolves when the server process has exited and its output is all read (at once if so):
 * 'close', not 'exit', which may come before the last lines it printed.
 */
export function exited(ft: Farmtally): Promise<void> {
  const p = ft.process;
  const gone = p.exitCode !== null || p.signalCode !== null;
  if (gone && [p.stdout, p.stderr].every((s) => !s || s.readableEnded || s.destroyed)) return Promise.resolve();
  return new Promise((resolve) => p.once('close', () => resolve()));
}

/** kill -9, and waits for the process to be gone (its output has all it printed by then). */
export async function killHard(ft: Farmtally): Promise<void> {
  if (ft.process.exitCode === null && ft.process.signalCode === null) process.kill(ft.process.pid!, 'SIGKILL');
  await exited(ft);
}

/**
 * SIGTERM, then waits up to `withinMs` for the exit. A server still running then is killed
 * (so a failing test leaves nothing behind) and reported as `stopped: false`.
 */
export async function stopWithin(ft: Farmtally, withinMs: number): Promise<{ stopped: boolean; code: number | null }> {
  process.kill(ft.process.pid!, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([exited(ft).then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), withinMs)))]);
  clearTimeout(timer);
  if (!stopped) await killHard(ft);
  return { stopped, code: stopped ? ft.process.exitCode : null };
}

/**
 * Sizes of the spooled ingest bodies a killed server left in its data folder (the fast path
 * spools each NDJSON body to `<data>/spool` before staging it). Only evidence of how far a
 * kill got: undefined when there is no such folder to look at.
 */
export function spooledSizes(dataDir: string): number[] | undefined {
  const dir = join(dataDir, 'spool');
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir)
    .filter((n) => /^ingest-.*\.ndjson$/.test(n))
    .map((n) => statSync(join(dir, n)).size);
}


const RANGE = { startTime: new Date(Date.UTC(2024, 0, 1)), endTime: new Date(Date.UTC(2027, 0, 1)) };

/**
 * How many sessions of the farm ran on `fleetId`, as the statistics API counts them: one
 * aggregation with no period, grouped by usage type (every session has one COMPUTE row).
 */
export async function sessionCount(client: DeadlineClient, farmId: string, fleetId: string): Promise<number> {
  const { aggregationId } = await client.send(
    new StartSessionsStatisticsAggregationCommand({ farmId, resourceIds: { fleetIds: [fleetId] }, ...RANGE, groupBy: ['USAGE_TYPE'], statistics: ['SUM'] }),
  );
  const page = await eventually(`aggregation ${aggregationId}`, async () => {
    const p = await client.send(new GetSessionsStatisticsAggregationCommand({ farmId, aggregationId }));
    return p.status === 'IN_PROGRESS' ? undefined : p;
  });
  if (page.status !== 'COMPLETED') throw new Error(`counting the sessions of ${farmId} ended ${page.status}: ${page.statusMessage}`);
  return page.statistics?.find((s) => s.usageType === 'COMPUTE')?.count ?? 0;
}

/** Whether the job exists (GetJob answers it) or not (ResourceNotFoundException). */
export async function jobExists(client: DeadlineClient, farmId: string, queueId: string, jobId: string): Promise<boolean> {
  try {
    await client.send(new GetJobCommand({ farmId, queueId, jobId }));
    return true;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return false;
    throw err;
  }
}
