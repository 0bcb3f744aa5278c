// One aggregation's run on its leased connection, held to its limits: past `timeoutMs` the
// statement under way is interrupted and no further one starts; past `maxRows` nothing is
// stored. Each statement is traced with its time when asked (FARMTALLY_AGGREGATION_TRACE).
import type { AggregationLimits, AggregationQuery } from '../aggregation-store.js';
import { describePlan, missingRatesSql, storeRowsSql } from './aggregation-sql.js';
import { computeGroups, prepareBuckets, type Statements } from './aggregation-steps.js';
import type { Lease, RunArgs } from './connections.js';
import type { Row } from './database.js';

/** How a run ended: its rows stored (with the rates it missed), too many rows, or out of time. */
export type RunOutcome = { kind: 'stored'; rows: number; missingRates: string[] } | { kind: 'too-many'; rows: number } | { kind: 'timed-out' };

function describeMissing(rows: Row[]): string[] {
  const names = rows.map((r) => {
    if (r.usage_type === 'LICENSE') return `license product ${r.license_product}`;
    if (r.instance_type == null) return `instance type (unknown) on service-managed fleet ${r.fleet_id}`;
    return `instance type ${r.instance_type}`;
  });
  return [...new Set(names)].sort();
}

export async function runBounded(conn: Lease, id: string, q: AggregationQuery, limits: AggregationLimits, trace?: (line: string) => void): Promise<RunOutcome> {
  const deadline = Date.now() + limits.timeoutMs;
  let timedOut = false;
  // interrupt() stops the statement running now; the check in step() catches the time
  // between statements, where an interrupt would have nothing to stop.
  const timer = setTimeout(() => {
    timedOut = true;
    conn.interrupt();
  }, limits.timeoutMs);
  const traced = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
    if (!trace) return run();
    const started = performance.now();
    const result = await run();
    trace(`aggregation ${id}: ${Math.round(performance.now() - started)} ms ${sql.replace(/\s+/g, ' ').trim().slice(0, 60)}`);
    return result;
  };
  const step = async (sql: string, ...args: RunArgs) => {
    if (Date.now() >= deadline) timedOut = true;
    if (timedOut) throw new Error('aggregation timed out');
    await traced(sql, () => conn.run(sql, ...args));
  };
  const read = (sql: string) => traced(sql, () => conn.all(sql));
  try {
    const statements: Statements = { run: step, read };
    await prepareBuckets(q, statements);
    const plan = await computeGroups(q, statements);
    trace?.(`aggregation ${id}: plan ${describePlan(plan)}`);
    const rows = Number((await read(`SELECT count(*) AS n FROM ft_groups`))[0]!.n);
    if (rows > limits.maxRows) return { kind: 'too-many', rows };
    const missingRates = describeMissing(await read(missingRatesSql(q)));
    await step(storeRowsSql(id, q));
    return { kind: 'stored', rows, missingRates };
  } catch (err) {
    if (timedOut) return { kind: 'timed-out' };
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
