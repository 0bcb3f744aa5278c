// What the engine is asked for an aggregation, built in one place from a validated request,
// the farm and the server's rate card: the Start operation, the benchmark and the store
// contract tests all build it here, so none of them times or checks another plan.
import { bucketLayout, type Period } from '../../domain/buckets.js';
import type { GroupByField } from '../../domain/aggregation-rules.js';
import type { RateCard } from '../../domain/pricing.js';
import type { Farm } from '../../domain/resources.js';
import type { TimeZone } from '../../domain/timezone.js';
import type { AggregationQuery } from '../../store/aggregation-store.js';

export interface AggregationRequest {
  farm: Pick<Farm, 'farmId' | 'costScaleFactor'>;
  resourceKind: 'queue' | 'fleet';
  resourceIds: string[];
  startMs: number;
  endMs: number;
  zone: TimeZone;
  period?: Period;
  groupBy: GroupByField[];
  /** When Start was called: running sessions count up to here. */
  asOfMs: number;
  rateCard: RateCard;
}

export function aggregationQuery(r: AggregationRequest): AggregationQuery {
  return {
    farmId: r.farm.farmId,
    resourceKind: r.resourceKind,
    resourceIds: r.resourceIds,
    ...bucketLayout(r.startMs, r.endMs, r.zone, r.period),
    groupBy: r.groupBy,
    asOfMs: r.asOfMs,
    costScaleFactor: r.farm.costScaleFactor,
    rateCard: r.rateCard,
  };
}
