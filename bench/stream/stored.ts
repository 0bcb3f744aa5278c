// What each farm stores after a streaming run, and whether it is what was acknowledged.
// Two ways to count, each exact for its case:
// - the stopped server's data file, read-only (a server of the run's own): the rows of
//   `sessions` themselves, with no rule in between, and the running ones twice, in `sessions`
//   (no endedAt) and in `running_sessions`, which shows that every acknowledged close landed;
// - an aggregation through the SDK (--endpoint, a server left running): COUNT of the COMPUTE
//   records over 1970-2100, one per session (test/support/count-sessions.ts). Exact here
//   because every record of the run lasts a minute or more and lies inside that range, so each
//   session overlaps it once; running sessions are not told apart.
import type { DeadlineClient } from '@aws-sdk/client-deadline';
import { countSessions } from '../../test/support/count-sessions.js';
import { readDataFile } from '../../test/support/server.js';
import type { StreamResult } from './run-stream.js';

export interface StoredFarm {
  farmId: string;
  sessions: number;
  /** Sessions with no endedAt in `sessions`, and rows of `running_sessions` (data file only). */
  running?: number;
  runningTable?: number;
}

export interface Stored {
  /** How they were counted, for the report. */
  how: string;
  farms: StoredFarm[];
}

export async function storedInDataFile(dataDir: string, farmIds: readonly string[]): Promise<Stored> {
  const rows = await readDataFile(dataDir, async (query) => ({
    sessions: (await query(`SELECT farm_id, count(*) AS sessions, count(*) FILTER (WHERE ended_at IS NULL) AS running FROM sessions GROUP BY farm_id`)) as { farm_id: string; sessions: string; running: string }[],
    running: (await query(`SELECT farm_id, count(*) AS running FROM running_sessions GROUP BY farm_id`)) as { farm_id: string; running: string }[],
  }));
  return {
    how: "the stopped server's data file, read-only: rows of `sessions` per farm, and its running sessions both in `sessions` (no endedAt) and in `running_sessions`",
    farms: farmIds.map((farmId) => {
      const s = rows.sessions.find((r) => r.farm_id === farmId);
      return { farmId, sessions: Number(s?.sessions ?? 0), running: Number(s?.running ?? 0), runningTable: Number(rows.running.find((r) => r.farm_id === farmId)?.running ?? 0) };
    }),
  };
}

export async function storedByAggregation(sdk: DeadlineClient, farms: StreamResult['farms']): Promise<Stored> {
  const counted: StoredFarm[] = [];
  for (const farm of farms) counted.push({ farmId: farm.farmId, sessions: (await countSessions(sdk, farm.farmId, [...farm.ids.queueIds])).count });
  return { how: 'an aggregation through the SDK per farm: COUNT of COMPUTE records over 1970-2100, one per session (every record of the run lasts a minute or more, inside that range)', farms: counted };
}

/** What went wrong in a run, as sentences: failed requests, counts that differ, farms that store other than was acknowledged. */
export function streamProblems(result: StreamResult, stored: Stored): string[] {
  const problems: string[] = [];
  for (const [status, count] of result.tally.statuses) {
    if (status === 200 || status === 429) continue;
    problems.push(`${count} request(s) answered ${status === 'no answer' ? 'nothing (the connection broke)' : `HTTP ${status}`}`);
  }
  problems.push(...(result.budgets?.problems ?? []));
  if (result.tally.mismatches) problems.push(`${result.tally.mismatches} acknowledged batch(es) answered counts other than expected, such as: ${result.tally.mismatchExamples.join(' | ')}`);
  for (const farm of result.farms) {
    const found = stored.farms.find((f) => f.farmId === farm.farmId);
    const sessions = farm.preloaded + farm.feed.sessions;
    const running = farm.preloadedRunning + farm.feed.running;
    // A batch with no clear answer may or may not be stored: then a range is all one can say (and the failure is told above).
    const off = (n: number | undefined, expected: number, slack: number) => n !== undefined && (n < expected - slack || n > expected + slack);
    if (!found || off(found.sessions, sessions, farm.feed.uncertainSessions)) problems.push(`farm ${farm.farmId} stores ${found?.sessions ?? 'no'} sessions, but ${sessions} were acknowledged (${farm.preloaded} preloaded, ${farm.feed.sessions} by the feed)`);
    if (off(found?.running, running, farm.feed.uncertainRunning)) problems.push(`farm ${farm.farmId} stores ${found!.running} running sessions, but ${running} were acknowledged running and not closed`);
    if (off(found?.runningTable, running, farm.feed.uncertainRunning)) problems.push(`farm ${farm.farmId} lists ${found!.runningTable} sessions in running_sessions, but ${running} were acknowledged running and not closed`);
  }
  return problems;
}
