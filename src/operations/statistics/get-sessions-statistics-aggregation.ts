import { IN_PROGRESS_HOLD_MS, MODEL_PAGE_MAX } from '../../domain/aggregation-limits.js';
import { AggregationId, farmIdInPath, NextToken } from '../common-shapes.js';
import { notFound } from '../errors.js';
import { defineOperation } from '../operation.js';
import { requireFarm } from '../support.js';
import { query, structure } from '../validation/shapes.js';
import { ResultPageSize, strictPageSize } from './statistics-shapes.js';

export const getSessionsStatisticsAggregation = defineOperation({
  name: 'GetSessionsStatisticsAggregation',
  method: 'GET',
  path: '/2023-10-12/farms/{farmId}/sessions-statistics-aggregation',
  input: structure({ farmId: farmIdInPath, aggregationId: query(AggregationId, true), nextToken: query(NextToken), maxResults: query(ResultPageSize) }),
  check: (input, ctx) => (ctx.settings.strict ? strictPageSize(input.maxResults) : []),
  async handle(input, ctx) {
    await requireFarm(ctx, input.farmId);
    let record = await ctx.store.getAggregation(input.aggregationId);
    if (!record || record.farmId !== input.farmId || record.expiresAt <= ctx.now()) {
      throw notFound('aggregation', input.aggregationId, `Aggregation ${input.aggregationId} does not exist in farm ${input.farmId}, or its results have expired (they are kept ${ctx.settings.aggregationTtlMs / 60000} minutes). Start a new one.`);
    }
    // The token is checked whatever the status (a bad token is an error even while IN_PROGRESS).
    const scope = `aggregation:${record.aggregationId}`;
    const offset = input.nextToken !== undefined ? Number(ctx.tokens.open(scope, input.nextToken)) : 0;
    if (record.status === 'IN_PROGRESS') {
      // Held briefly: the caller learns of the end as soon as it comes, and a client polling
      // in a tight loop does not take the cores the aggregation runs on.
      await ctx.aggregations.settled(record.aggregationId, IN_PROGRESS_HOLD_MS);
      record = (await ctx.store.getAggregation(record.aggregationId)) ?? record;
    }
    if (record.status !== 'COMPLETED') return { status: record.status, statusMessage: record.statusMessage };
    // The rows come ready for the wire (result-pages.ts): a page is a slice of them.
    const page = await ctx.aggregations.page(record, offset, input.maxResults ?? MODEL_PAGE_MAX);
    const next = offset + page.count;
    return {
      status: record.status,
      statusMessage: record.statusMessage,
      statistics: page.statistics,
      nextToken: next < record.rowCount ? ctx.tokens.issue(scope, String(next)) : undefined,
    };
  },
});
