// The DuckDB schema. Times are BIGINT epoch milliseconds: the aggregation does its time
// zone arithmetic on integers (SPEC section 9), and they compare and subtract exactly.
// Sessions have no primary key on purpose: an ART index over tens of millions of rows costs
// memory and ingest speed, and ingest finds existing sessions with one join per batch, on
// session_key (a fixed-width digest of session_id) rather than the 40-character string.
// Beside each identifier a session carries its integer code (value-codes.ts): aggregations
// group by the codes, faster than by the strings (BENCHMARKS.md).
//
// For small batches (session-group-merge.ts) a session also carries `seq`, its place in the
// order sessions were first written: rows lie in that order, so DuckDB's zone maps find a
// session by seq reading one row group, and the writer's key index (session-key-index.ts)
// names the seq ranges a key can be in. A job carries `job_key` (farm and job in one column:
// DuckDB looks up only single-column indexes) and `last_ended_at` (its sessions' latest end,
// kept while one still runs, so closing the last one needs no scan). A running session
// names its job, so the writer can tell whether a job still runs without a scan.
//
// `batch_id` is the ingest batch that last created or changed the session (DeleteSessions
// deletes by it); NULL for sessions written before farmtally kept it. Batch IDs come from a
// counter the writer keeps, reserved ahead in `meta` (session-writer.ts), so an ID is never
// given twice in a data folder's life, even after the sessions that carried it are gone.
//
// A session's own columns (farm_id, one per record field from session_id to license_products,
// updated_at) are declared beside its fields, in session-columns.ts, and read from there.
import { SESSION_COLUMNS_DDL } from './session-columns.js';

export const SCHEMA: string[] = [
  `CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS farms (
     farm_id VARCHAR PRIMARY KEY, display_name VARCHAR NOT NULL, description VARCHAR, kms_key_arn VARCHAR,
     cost_scale_factor DOUBLE NOT NULL, tags VARCHAR,
     created_at BIGINT NOT NULL, created_by VARCHAR NOT NULL, updated_at BIGINT, updated_by VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS queues (
     farm_id VARCHAR NOT NULL, queue_id VARCHAR PRIMARY KEY, display_name VARCHAR NOT NULL, description VARCHAR,
     details VARCHAR NOT NULL,
     created_at BIGINT NOT NULL, created_by VARCHAR NOT NULL, updated_at BIGINT, updated_by VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS fleets (
     farm_id VARCHAR NOT NULL, fleet_id VARCHAR PRIMARY KEY, display_name VARCHAR NOT NULL, description VARCHAR,
     kind VARCHAR NOT NULL, details VARCHAR NOT NULL,
     created_at BIGINT NOT NULL, created_by VARCHAR NOT NULL, updated_at BIGINT, updated_by VARCHAR)`,
  // A budget tracks one queue of its farm, or one fleet (fleet_id), or one user's sessions
  // (user_id), or none: the whole farm (extensions); `recurring` is MONTHLY or QUARTERLY for a recurring window (an extension).
  // `actions` and `tags` are JSON text, returned as given.
  // `status` is the one set (CreateBudget's ACTIVE, or UpdateBudget's); read, it is also
  // bounded by the window [starts_at, ends_at) (resources.ts BUDGETS).
  `CREATE TABLE IF NOT EXISTS budgets (
     farm_id VARCHAR NOT NULL, budget_id VARCHAR PRIMARY KEY, display_name VARCHAR NOT NULL, description VARCHAR,
     queue_id VARCHAR, approximate_dollar_limit DOUBLE NOT NULL, actions VARCHAR NOT NULL,
     starts_at BIGINT NOT NULL, ends_at BIGINT NOT NULL, status VARCHAR NOT NULL, tags VARCHAR,
     created_at BIGINT NOT NULL, created_by VARCHAR NOT NULL, updated_at BIGINT, updated_by VARCHAR, queue_stopped_at BIGINT,
     fleet_id VARCHAR, recurring VARCHAR, user_id VARCHAR)`,
  // The budget notifications' outbox: one row per threshold event ever recorded (kept once
  // delivered, so a crossing seen again is not recorded twice), the event as JSON text.
  // Undelivered rows have no delivered_at; next_attempt_at is when a failed one is due again.
  `CREATE TABLE IF NOT EXISTS budget_events (
     event_id VARCHAR PRIMARY KEY, event VARCHAR NOT NULL, recorded_at BIGINT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL DEFAULT 0, delivered_at BIGINT)`,
  `CREATE TABLE IF NOT EXISTS jobs (
     farm_id VARCHAR NOT NULL, queue_id VARCHAR NOT NULL, job_id VARCHAR NOT NULL, name VARCHAR NOT NULL,
     user_id VARCHAR NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
     started_at BIGINT NOT NULL, ended_at BIGINT,
     PRIMARY KEY (farm_id, job_id), job_key VARCHAR, last_ended_at BIGINT)`,
  `CREATE TABLE IF NOT EXISTS sessions (
     ${SESSION_COLUMNS_DDL},
     session_key UBIGINT, queue_code INTEGER, fleet_code INTEGER, job_code INTEGER, user_code INTEGER,
     instance_type_code INTEGER, license_set_code INTEGER, seq BIGINT, batch_id BIGINT)`,
  // How many buckets one session can touch picks the aggregation's plan, without a scan of
  // the sessions: finished sessions by a bound on their length (only ever widened), running
  // ones exactly, from the few that are running (both kept by ingest).
  `CREATE TABLE IF NOT EXISTS farm_session_spans (farm_id VARCHAR PRIMARY KEY, longest_closed_ms BIGINT)`,
  `CREATE TABLE IF NOT EXISTS running_sessions (farm_id VARCHAR NOT NULL, session_id VARCHAR NOT NULL, started_at BIGINT NOT NULL, PRIMARY KEY (farm_id, session_id), job_id VARCHAR)`,
  `CREATE TABLE IF NOT EXISTS value_codes (kind VARCHAR NOT NULL, value VARCHAR NOT NULL, code INTEGER NOT NULL, PRIMARY KEY (kind, value))`,
  `CREATE TABLE IF NOT EXISTS client_tokens (
     scope VARCHAR NOT NULL, token VARCHAR NOT NULL, resource_id VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL,
     created_at BIGINT NOT NULL, PRIMARY KEY (scope, token))`,
  `CREATE TABLE IF NOT EXISTS aggregations (
     aggregation_id VARCHAR PRIMARY KEY, farm_id VARCHAR NOT NULL, status VARCHAR NOT NULL, status_message VARCHAR,
     group_by VARCHAR[] NOT NULL, statistics VARCHAR[] NOT NULL,
     created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, row_count BIGINT NOT NULL DEFAULT 0)`,
  // Every aggregation's result rows, in page order (aggregation-sql.ts storeRowsSql), with the
  // aggregation's created_at (last: files before 0.3 had no such column, migrations.ts adds it):
  // it rises through the table, so reading one result skips the row groups of the others.
  `CREATE TABLE IF NOT EXISTS aggregation_rows (
     aggregation_id VARCHAR NOT NULL, row_index BIGINT NOT NULL, bucket_start BIGINT NOT NULL, bucket_end BIGINT NOT NULL,
     queue_id VARCHAR, fleet_id VARCHAR, job_id VARCHAR, job_name VARCHAR, user_id VARCHAR,
     usage_type VARCHAR, instance_type VARCHAR, license_product VARCHAR,
     n BIGINT NOT NULL, runtime_ms_sum HUGEINT, runtime_ms_min BIGINT, runtime_ms_max BIGINT,
     cost_sum DOUBLE, cost_min DOUBLE, cost_max DOUBLE, created_at BIGINT)`,
];
