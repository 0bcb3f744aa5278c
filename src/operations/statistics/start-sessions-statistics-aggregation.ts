import { newId } from '../../domain/resources.js';
import { parseTimezone, UTC_ZONE, type TimeZone } from '../../domain/timezone.js';
import { farmIdInPath } from '../common-shapes.js';
import type { OperationContext } from '../context.js';
import { notFound, type FieldFailure } from '../errors.js';
import { defineOperation } from '../operation.js';
import { requireFarm } from '../support.js';
import { optional, required, structure, timestamp } from '../validation/shapes.js';
import { validate } from '../validation/validate.js';
import { aggregationQuery } from './aggregation-query.js';
import { GroupBy, Period, ResourceIds, Statistics, STRICT_TIMEZONE, strictGroupByLimit, Timezone } from './statistics-shapes.js';

/** The zone a request names: the model's form in strict mode, farmtally's extensions otherwise. */
function zoneOf(text: string | undefined, strict: boolean): TimeZone | FieldFailure {
  if (text === undefined) return UTC_ZONE;
  if (strict) {
    const { failures } = validate(STRICT_TIMEZONE, text, 'timezone');
    if (failures.length) return failures[0]!;
  }
  const zone = parseTimezone(text, strict);
  return 'error' in zone ? { name: 'timezone', message: zone.error } : zone;
}

export async function requireResources(ctx: OperationContext, farmId: string, kind: 'queue' | 'fleet', ids: string[]): Promise<void> {
  for (const id of ids) {
    const found = kind === 'queue' ? await ctx.store.getQueue(farmId, id) : await ctx.store.getFleet(farmId, id);
    if (!found) throw notFound(kind, id, `The ${kind} ${id} does not exist in farm ${farmId}. List them with List${kind === 'queue' ? 'Queues' : 'Fleets'}.`);
  }
}

export const startSessionsStatisticsAggregation = defineOperation({
  name: 'StartSessionsStatisticsAggregation',
  method: 'POST',
  path: '/2023-10-12/farms/{farmId}/sessions-statistics-aggregation',
  input: structure({
    farmId: farmIdInPath,
    resourceIds: required(ResourceIds),
    startTime: required(timestamp()),
    endTime: required(timestamp()),
    timezone: optional(Timezone),
    period: optional(Period),
    groupBy: required(GroupBy),
    statistics: required(Statistics),
  }),
  check(input, ctx) {
    const failures: FieldFailure[] = [];
    if (input.startTime.getTime() >= input.endTime.getTime()) {
      failures.push({ name: 'endTime', message: `endTime (${input.endTime.toISOString()}) must be later than startTime (${input.startTime.toISOString()}): the range is [startTime, endTime).` });
    }
    const zone = zoneOf(input.timezone, ctx.settings.strict);
    if ('message' in zone) failures.push(zone);
    if (ctx.settings.strict) failures.push(...strictGroupByLimit(input.groupBy));
    return failures;
  },
  async handle(input, ctx) {
    const farm = await requireFarm(ctx, input.farmId);
    const kind = input.resourceIds.queueIds ? 'queue' : 'fleet';
    const resourceIds = (input.resourceIds.queueIds ?? input.resourceIds.fleetIds)!;
    await requireResources(ctx, farm.farmId, kind, resourceIds);
    const zone = zoneOf(input.timezone, ctx.settings.strict) as TimeZone;
    const aggregationId = newId('');
    const now = ctx.now();
    await ctx.aggregations.begin({
      aggregationId,
      farmId: farm.farmId,
      groupBy: input.groupBy,
      statistics: input.statistics,
      createdAt: now,
      expiresAt: now + ctx.settings.aggregationTtlMs,
    });
    ctx.aggregations.start(farm.farmId, aggregationId, () =>
      aggregationQuery({
        farm,
        resourceKind: kind,
        resourceIds,
        startMs: input.startTime.getTime(),
        endMs: input.endTime.getTime(),
        zone,
        period: input.period,
        groupBy: input.groupBy,
        asOfMs: now,
        rateCard: ctx.settings.rateCard,
      }),
    );
    return { aggregationId };
  },
});
