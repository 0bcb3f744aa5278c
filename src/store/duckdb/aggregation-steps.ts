// The statements of one aggregation, in order, on its own connection (temp tables are per
// connection): the rate and bucket tables, the plan's facts, the grouping (which answers its
// count), then the result rows read into memory; storing them comes after (aggregation-sql
// storeRowsSql). The server runs them bounded and traced
// (aggregation-run.ts); the benchmark (bench/engine.ts) runs the same ones timed.
import { BIGINT, LIST, listValue } from '@duckdb/node-api';
import type { AggregationQuery } from '../aggregation-store.js';
import {
  chooseAggregationPlan, fineGroupsStatements, groupsSql, longestSpanSql, rateTableStatements, resourceCodesSql, resultRowsSql, type AggregationPlan,
} from './aggregation-sql.js';
import type { Columns, Row, RunArgs } from './connections.js';

/** How an aggregation's statements are carried out: bounded and traced by the server, timed by the benchmark. */
export interface Statements {
  run(sql: string, ...args: RunArgs): Promise<unknown>;
  read(sql: string): Promise<Row[]>;
  /** A large result, as columns. */
  readColumns(sql: string): Promise<Columns>;
}

/** The tables every plan reads: the rate tables, and the buckets (ft_edges, ft_buckets). */
export async function prepareBuckets(q: AggregationQuery, x: Statements): Promise<void> {
  for (const statement of rateTableStatements(q)) await x.run(statement);
  await x.run(
    `CREATE OR REPLACE TEMP TABLE ft_edges AS SELECT (generate_subscripts(e, 1) - 1)::INTEGER AS i, unnest(e) AS b FROM (SELECT $1::BIGINT[] AS e)`,
    [listValue(q.boundaries)],
    [LIST(BIGINT)],
  );
  await x.run(`CREATE OR REPLACE TEMP TABLE ft_buckets AS SELECT i, b AS b_start, lead(b) OVER (ORDER BY i) AS b_end FROM ft_edges QUALIFY b_end IS NOT NULL`);
}

/** ft_groups, the priced groups: the plan's facts are read first (the selected codes, the longest span), then the grouping. Answers the plan and how many groups (result rows) there are. */
export async function computeGroups(q: AggregationQuery, x: Statements): Promise<{ plan: AggregationPlan; groups: number }> {
  const resourceCodes = (await x.read(resourceCodesSql(q))).map((r) => Number(r.code));
  const spanSql = longestSpanSql(q);
  const plan = chooseAggregationPlan(q, spanSql ? Number((await x.read(spanSql))[0]!.k) : undefined);
  for (const statement of fineGroupsStatements(q, { resourceCodes, plan })) await x.run(statement);
  // CREATE TABLE ... AS answers the rows it made: the count, without a statement of its own.
  const made = await x.read(groupsSql(q));
  return { plan, groups: Number(made[0]!.Count) };
}

/** The result rows in page order, with each group's missing rates (resultRowsSql), read into memory as columns. */
export function readResultRows(q: AggregationQuery, x: Statements): Promise<Columns> {
  return x.readColumns(resultRowsSql(q));
}
