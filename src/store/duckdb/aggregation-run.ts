// One aggregation's run on its leased connection, held to its limits: past `timeoutMs` the
// statement under way is interrupted and no further one starts; past `maxRows` no row is
// read. It ends with the result rows in memory, in page order; storing them is the caller's
// next step. Each statement is traced with its time when asked (FARMTALLY_AGGREGATION_TRACE).
import type { AggregationLimits, AggregationQuery } from '../aggregation-store.js';
import { describePlan, MISSING_RATES_NAMED } from './aggregation-sql.js';
import { computeGroups, prepareBuckets, readResultRows, type Statements } from './aggregation-steps.js';
import type { Columns, Lease, RunArgs } from './connections.js';
import type { Row } from './database.js';

/** How a run ended: its rows read (with the rates it missed), too many rows, or out of time. */
export type RunOutcome = { kind: 'computed'; rows: Columns; missingRates: string[] } | { kind: 'too-many'; rows: number } | { kind: 'timed-out' };

/** Text order with absent values first (or last): the order the statement that named them before used. */
const byText = (a: unknown, b: unknown, absentFirst = true): number =>
  a === b ? 0 : a == null ? (absentFirst ? -1 : 1) : b == null ? (absentFirst ? 1 : -1) : String(a) < String(b) ? -1 : 1;

/** What had no rate, named for the statusMessage: the first MISSING_RATES_NAMED of the groups' lists (groupsSql), in a stable order. */
function describeMissing(lists: unknown[]): string[] {
  const seen = new Map<string, Row>();
  for (const list of lists) for (const m of (list as Row[] | null) ?? []) seen.set(JSON.stringify([m.usage_type, m.instance_type, m.license_product, m.fleet_id]), m);
  const first = [...seen.values()]
    .sort((a, b) => byText(a.usage_type, b.usage_type) || byText(a.instance_type, b.instance_type) || byText(a.license_product, b.license_product, false) || byText(a.fleet_id, b.fleet_id))
    .slice(0, MISSING_RATES_NAMED);
  const names = first.map((r) => {
    if (r.usage_type === 'LICENSE') return `license product ${r.license_product}`;
    if (r.instance_type == null) return `instance type (unknown) on service-managed fleet ${r.fleet_id}`;
    return `instance type ${r.instance_type}`;
  });
  return [...new Set(names)].sort();
}

export async function runBounded(conn: Lease, id: string, q: AggregationQuery, limits: AggregationLimits, trace?: (line: string) => void): Promise<RunOutcome> {
  const deadline = Date.now() + limits.timeoutMs;
  let timedOut = false;
  // interrupt() stops the statement running now; inTime() catches the time
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
  const inTime = () => {
    if (Date.now() >= deadline) timedOut = true;
    if (timedOut) throw new Error('aggregation timed out');
  };
  const step = async (sql: string, ...args: RunArgs) => {
    inTime();
    await traced(sql, () => conn.run(sql, ...args));
  };
  const read = (sql: string) => {
    inTime();
    return traced(sql, () => conn.all(sql));
  };
  const readColumns = (sql: string) => {
    inTime();
    return traced(sql, () => conn.columns(sql));
  };
  try {
    const statements: Statements = { run: step, read, readColumns };
    await prepareBuckets(q, statements);
    const { plan, groups } = await computeGroups(q, statements);
    trace?.(`aggregation ${id}: plan ${describePlan(plan)}`);
    if (groups > limits.maxRows) return { kind: 'too-many', rows: groups };
    const rows = await readResultRows(q, statements);
    return { kind: 'computed', rows, missingRates: describeMissing(rows.missing_rates ?? []) };
  } catch (err) {
    if (timedOut) return { kind: 'timed-out' };
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
