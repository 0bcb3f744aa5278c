// The statistics operations' members, with the model's constraints. Where farmtally's
// extensions accept more (time zones, group-by fields, result pages), the shape holds the extended limit
// and `strictChecks` restores the model's, so strict mode rejects exactly what the service does.
import { MAX_AGGREGATION_RESOURCES, RESULT_PAGE_MAX, STRICT_MAX_GROUP_BY } from '../../domain/aggregation-limits.js';
import { GROUP_BY_FIELDS, STATISTICS } from '../../domain/aggregation-rules.js';
import { PERIODS } from '../../domain/buckets.js';
import { FleetId, MaxResults, QueueId } from '../common-shapes.js';
import type { FieldFailure } from '../errors.js';
import { enumOf, integer, list, optional, string, union } from '../validation/shapes.js';

export const ResourceIds = union({
  queueIds: optional(list(QueueId, { min: 1, max: MAX_AGGREGATION_RESOURCES, unique: true })),
  fleetIds: optional(list(FleetId, { min: 1, max: MAX_AGGREGATION_RESOURCES, unique: true })),
});
export const Period = enumOf(PERIODS);
export const GroupBy = list(enumOf(GROUP_BY_FIELDS), { min: 1, max: GROUP_BY_FIELDS.length, unique: true });
export const Statistics = list(enumOf(STATISTICS), { min: 1, max: STATISTICS.length, unique: true });
/** The model's exact form; the extended forms are parsed by the domain's parseTimezone. */
export const STRICT_TIMEZONE = string({ min: 9, max: 9, pattern: 'UTC[-+][01][0-9]:(30|00)' });
export const Timezone = string({ min: 1, max: 64 });

export function strictGroupByLimit(groupBy: readonly string[]): FieldFailure[] {
  return groupBy.length > STRICT_MAX_GROUP_BY
    ? [{ name: 'groupBy', message: `Value at 'groupBy' failed to satisfy constraint: Member must have length between 1 and ${STRICT_MAX_GROUP_BY}, inclusive (farmtally accepts more without --strict)` }]
    : [];
}

/** Rows per result page: the model's 1 to 100, or up to RESULT_PAGE_MAX without --strict. */
export const ResultPageSize = integer({ min: 1, max: RESULT_PAGE_MAX });

export function strictPageSize(maxResults: number | undefined): FieldFailure[] {
  const max = MaxResults.max!;
  return maxResults !== undefined && maxResults > max
    ? [{ name: 'maxResults', message: `Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${max} (farmtally accepts up to ${RESULT_PAGE_MAX} without --strict)` }]
    : [];
}
