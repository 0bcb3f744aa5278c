// The statistics API's limits that both sides keep to: the server's validation refuses past
// them (operations/statistics), the page never asks past them (web/). One constant each, so
// the two cannot drift apart. The group-by fields and statistics themselves are
// GROUP_BY_FIELDS and STATISTICS (aggregation-rules.ts), the periods PERIODS (buckets.ts).

/** Queue or fleet IDs in one aggregation: the model's `resourceIds.queueIds` / `fleetIds` hold 1 to 10. */
export const MAX_AGGREGATION_RESOURCES = 10;

/** Group-by fields under --strict, the model's `groupBy` list; without it, every one of GROUP_BY_FIELDS. */
export const STRICT_MAX_GROUP_BY = 2;

/** Items per page of a list, and rows per page of results, as the model bounds `maxResults`. */
export const MODEL_PAGE_MAX = 100;

/**
 * Rows per result page without --strict: a large result (a year DAILY by job: thousands of
 * rows) takes a tenth of the requests.
 */
export const RESULT_PAGE_MAX = 1000;

/** How long a Get on a running aggregation waits for it to end before answering IN_PROGRESS. */
export const IN_PROGRESS_HOLD_MS = 250;

/** How long an aggregation's results stay readable unless `serve --aggregation-ttl` says otherwise. */
export const DEFAULT_AGGREGATION_TTL_SECONDS = 3600;

/** How long an aggregation may run before it ends TIMEOUT, unless `serve --aggregation-timeout` says otherwise. */
export const DEFAULT_AGGREGATION_TIMEOUT_SECONDS = 300;

/**
 * How long a client waits for an aggregation it cancelled to end (the server finishes it, and
 * a farm runs one at a time) before it asks for the next anyway: twice the default timeout,
 * by which any server with that default has ended it (one given a longer
 * --aggregation-timeout may still refuse the next Start as the farm's slot is taken).
 */
export const CANCELLED_AGGREGATION_WAIT_MS = 2 * DEFAULT_AGGREGATION_TIMEOUT_SECONDS * 1000;
