// The PostgreSQL state's schema, as numbered migrations (migrations.ts applies the ones a
// database lacks). This database holds what every API server of a cluster must agree on;
// sessions themselves live in ClickHouse.
//
// Resource and aggregation times are BIGINT epoch milliseconds, as in the DuckDB store (the
// API's times, set by the server that wrote them). Leases are TIMESTAMPTZ set and compared
// on PostgreSQL's own clock (clock_timestamp()), so the API servers' clocks do not matter.
//
// - farms, queues, fleets: as the API writes them; `tags` and `details` are JSON text,
//   returned exactly as given. Lists page by keyset on (created_at, id), hence the indexes.
// - budgets: as the API writes them (`actions`, `tags` JSON text); each references its queue
//   or fleet (neither: a farm budget) and its farm, so deleting the queue, the fleet or the
//   farm deletes its budgets.
// - jobs: written by the cluster ingest (putJobs), one per farm and job ID.
// - resource_sessions: how many sessions name each queue and fleet, kept by the ingest and
//   by deletions in the transaction that publishes their change; DeleteQueue, DeleteFleet and
//   DeleteFarm answer `has-sessions` from it, never by asking ClickHouse.
// - client_tokens, meta (the server secret): idempotent creates and page tokens must mean the
//   same on every server.
// - aggregations: records, with the lease of the server running one while IN_PROGRESS;
//   aggregation_rows: a completed result's rows in page order. Runtime in milliseconds is
//   NUMERIC (exact, as DuckDB's HUGEINT sum), cost DOUBLE PRECISION (DuckDB's DOUBLE).
// - farm_slots: each farm's one aggregation or farm-wide write, held by a lease.
// - batches: ingest batches on their way into the shards. A batch's sequence number comes
//   from batch_counter, in the transaction that inserts it: the counter's row lock orders
//   commits as numbers are given, so every number up to the counter's committed value is a
//   committed row (a bigserial would not do: a lower number can commit after a higher one,
//   and a snapshot taken between would miss it). Published batches are most of the table;
//   the partial index keeps the few unpublished ones (what a snapshot excludes) cheap to find.
// - budget_events: the budget notifications' outbox, every threshold event ever recorded (the
//   event as JSON text), kept once delivered so that a crossing two servers see is recorded
//   once; the partial index keeps the few undelivered ones cheap to find.

export interface Migration {
  version: number;
  what: string;
  statements: string[];
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    what: 'the first schema',
    statements: [
      `CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL)`,
      `CREATE TABLE farms (
         farm_id text PRIMARY KEY, display_name text NOT NULL, description text, kms_key_arn text,
         cost_scale_factor double precision NOT NULL, tags text,
         created_at bigint NOT NULL, created_by text NOT NULL, updated_at bigint, updated_by text)`,
      `CREATE INDEX farms_by_creation ON farms (created_at, farm_id)`,
      `CREATE TABLE queues (
         farm_id text NOT NULL REFERENCES farms, queue_id text NOT NULL, display_name text NOT NULL, description text,
         details text NOT NULL,
         created_at bigint NOT NULL, created_by text NOT NULL, updated_at bigint, updated_by text,
         PRIMARY KEY (farm_id, queue_id))`,
      `CREATE INDEX queues_by_creation ON queues (farm_id, created_at, queue_id)`,
      `CREATE TABLE fleets (
         farm_id text NOT NULL REFERENCES farms, fleet_id text NOT NULL, display_name text NOT NULL, description text,
         kind text NOT NULL, details text NOT NULL,
         created_at bigint NOT NULL, created_by text NOT NULL, updated_at bigint, updated_by text,
         PRIMARY KEY (farm_id, fleet_id))`,
      `CREATE INDEX fleets_by_creation ON fleets (farm_id, created_at, fleet_id)`,
      `CREATE TABLE jobs (
         farm_id text NOT NULL, queue_id text NOT NULL, job_id text NOT NULL, name text NOT NULL, user_id text NOT NULL,
         created_at bigint NOT NULL, updated_at bigint NOT NULL, started_at bigint NOT NULL, ended_at bigint,
         PRIMARY KEY (farm_id, job_id))`,
      `CREATE INDEX jobs_by_creation ON jobs (farm_id, queue_id, created_at, job_id)`,
      `CREATE TABLE resource_sessions (
         farm_id text NOT NULL, kind text NOT NULL CHECK (kind IN ('queue', 'fleet')), resource_id text NOT NULL,
         sessions bigint NOT NULL CHECK (sessions >= 0),
         PRIMARY KEY (farm_id, kind, resource_id))`,
      `CREATE TABLE client_tokens (
         scope text NOT NULL, token text NOT NULL, resource_id text NOT NULL, fingerprint text NOT NULL,
         created_at bigint NOT NULL, PRIMARY KEY (scope, token))`,
      `CREATE TABLE aggregations (
         aggregation_id text PRIMARY KEY, farm_id text NOT NULL,
         status text NOT NULL CHECK (status IN ('IN_PROGRESS', 'TIMEOUT', 'FAILED', 'COMPLETED')), status_message text,
         group_by text[] NOT NULL, statistics text[] NOT NULL,
         created_at bigint NOT NULL, expires_at bigint NOT NULL, row_count bigint NOT NULL DEFAULT 0,
         lease_owner text, lease_expires_at timestamptz,
         CHECK (status <> 'IN_PROGRESS' OR (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)))`,
      `CREATE INDEX aggregations_running ON aggregations (lease_owner) WHERE status = 'IN_PROGRESS'`,
      `CREATE INDEX aggregations_by_expiry ON aggregations (expires_at)`,
      `CREATE TABLE aggregation_rows (
         aggregation_id text NOT NULL REFERENCES aggregations ON DELETE CASCADE, row_index integer NOT NULL,
         bucket_start bigint NOT NULL, bucket_end bigint NOT NULL,
         queue_id text, fleet_id text, job_id text, job_name text, user_id text,
         usage_type text, instance_type text, license_product text,
         n bigint NOT NULL, runtime_ms_sum numeric NOT NULL, runtime_ms_min numeric NOT NULL, runtime_ms_max numeric NOT NULL,
         cost_sum double precision NOT NULL, cost_min double precision NOT NULL, cost_max double precision NOT NULL,
         PRIMARY KEY (aggregation_id, row_index))`,
      `CREATE TABLE farm_slots (farm_id text PRIMARY KEY, holder text NOT NULL, owner text NOT NULL, expires_at timestamptz NOT NULL)`,
      `CREATE TABLE batch_counter (one boolean PRIMARY KEY DEFAULT true CHECK (one), last_seq bigint NOT NULL)`,
      `INSERT INTO batch_counter (one, last_seq) VALUES (true, 0)`,
      `CREATE TABLE batches (
         batch_seq bigint PRIMARY KEY, farm_id text NOT NULL,
         state text NOT NULL CHECK (state IN ('writing', 'published', 'abandoned')),
         owner text NOT NULL, expires_at timestamptz NOT NULL,
         created_at timestamptz NOT NULL DEFAULT clock_timestamp(), published_at timestamptz,
         created bigint, updated bigint, unchanged bigint)`,
      `CREATE INDEX batches_unpublished ON batches (batch_seq) WHERE state <> 'published'`,
    ],
  },
  {
    version: 2,
    what: "batches whose rows are gone from every shard are 'removed', and out of every snapshot's excluded list",
    statements: [
      `ALTER TABLE batches DROP CONSTRAINT batches_state_check`,
      `ALTER TABLE batches ADD CONSTRAINT batches_state_check CHECK (state IN ('writing', 'published', 'abandoned', 'removed'))`,
      `DROP INDEX batches_unpublished`,
      `CREATE INDEX batches_unpublished ON batches (batch_seq) WHERE state IN ('writing', 'abandoned')`,
    ],
  },
  {
    version: 3,
    what: 'budgets, each on one queue of its farm (deleted with the queue)',
    statements: [
      `CREATE TABLE budgets (
         farm_id text NOT NULL, budget_id text NOT NULL, display_name text NOT NULL, description text,
         queue_id text NOT NULL, approximate_dollar_limit double precision NOT NULL, actions text NOT NULL,
         starts_at bigint NOT NULL, ends_at bigint NOT NULL, status text NOT NULL CHECK (status IN ('ACTIVE', 'INACTIVE')), tags text,
         created_at bigint NOT NULL, created_by text NOT NULL, updated_at bigint, updated_by text,
         PRIMARY KEY (farm_id, budget_id),
         FOREIGN KEY (farm_id, queue_id) REFERENCES queues ON DELETE CASCADE)`,
      `CREATE INDEX budgets_by_creation ON budgets (farm_id, created_at, budget_id)`,
      `CREATE INDEX budgets_by_queue ON budgets (farm_id, queue_id)`,
    ],
  },
  {
    version: 4,
    what: "the budget notifications' outbox: every threshold event recorded once by its ID, delivered or not",
    statements: [
      `CREATE TABLE budget_events (
         event_id text PRIMARY KEY, event text NOT NULL, recorded_at bigint NOT NULL,
         attempts integer NOT NULL DEFAULT 0, next_attempt_at bigint NOT NULL DEFAULT 0, delivered_at bigint)`,
      `CREATE INDEX budget_events_pending ON budget_events (next_attempt_at, recorded_at, event_id) WHERE delivered_at IS NULL`,
    ],
  },
  {
    version: 5,
    what: "when a budget's usage stopped its queue",
    statements: [`ALTER TABLE budgets ADD COLUMN queue_stopped_at bigint`],
  },
  {
    version: 6,
    what: 'budgets on a fleet or on the whole farm, and recurring windows (extensions)',
    statements: [
      // A fleet or farm budget has no queue; a queue budget keeps its foreign key (a NULL queue_id is not checked).
      `ALTER TABLE budgets ALTER COLUMN queue_id DROP NOT NULL`,
      `ALTER TABLE budgets ADD COLUMN fleet_id text`,
      `ALTER TABLE budgets ADD COLUMN recurring text CHECK (recurring IN ('MONTHLY', 'QUARTERLY'))`,
      `ALTER TABLE budgets ADD FOREIGN KEY (farm_id, fleet_id) REFERENCES fleets ON DELETE CASCADE`,
      // A farm budget goes with its farm (queue budgets already go with the farm's queues).
      `ALTER TABLE budgets ADD FOREIGN KEY (farm_id) REFERENCES farms ON DELETE CASCADE`,
    ],
  },
  {
    version: 7,
    what: "budgets on one user's sessions (an extension)",
    statements: [`ALTER TABLE budgets ADD COLUMN user_id text`],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
