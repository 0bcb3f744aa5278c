// Where the cluster tests find ClickHouse shards and PostgreSQL, and whether they run.
// `.ci/run` starts two ClickHouse 18.16 shards and a scratch PostgreSQL on loopback
// (scripts/cluster.sh, from ../shared/recipes/clickhouse) and sets the variables below; on a
// machine without them the cluster tests are skipped with the reason, unless
// FARMTALLY_REQUIRE_CLUSTER=1 (CI), where that fails.
//   FARMTALLY_TEST_CLICKHOUSE  shard HTTP URLs, comma-separated
//   FARMTALLY_TEST_POSTGRES    a PostgreSQL URL whose user may create databases
//   FARMTALLY_TEST_CLICKHOUSE_CLUSTER  the shards' cluster name (default `farmtally`, as scripts/cluster.sh names it)
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

export interface ClusterUrls {
  clickhouse: string[];
  postgres: string;
}

async function answers(url: string, probe: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await probe();
    return undefined;
  } catch (err) {
    return `${url} does not answer (${err instanceof Error ? err.message : String(err)})`;
  }
}

async function clickhouseAnswers(url: string): Promise<string | undefined> {
  return answers(url, async () => {
    const res = await fetch(`${url}/?query=SELECT%201`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  });
}

async function postgresAnswers(url: string): Promise<string | undefined> {
  const { default: pg } = await import('pg');
  return answers(url, async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    await client.connect();
    await client.end();
  });
}

/**
 * The cluster's URLs when the tests may use it, else `skip` with why; for `test(name, { skip }, ...)`.
 * Under FARMTALLY_REQUIRE_CLUSTER=1 a missing cluster fails instead.
 */
export async function clusterForTests(need: { clickhouse?: boolean; postgres?: boolean } = { clickhouse: true, postgres: true }): Promise<{ urls?: ClusterUrls; skip: string | false }> {
  const clickhouse = (process.env.FARMTALLY_TEST_CLICKHOUSE ?? '').split(',').map((u) => u.trim().replace(/\/+$/, '')).filter(Boolean);
  const postgres = process.env.FARMTALLY_TEST_POSTGRES ?? '';
  const problems: string[] = [];
  if (need.clickhouse !== false) {
    if (clickhouse.length === 0) problems.push('FARMTALLY_TEST_CLICKHOUSE is not set (shard URLs; .ci/run starts two shards)');
    else for (const url of clickhouse) problems.push(...[await clickhouseAnswers(url)].filter((p): p is string => !!p));
  }
  if (need.postgres !== false) {
    if (!postgres) problems.push('FARMTALLY_TEST_POSTGRES is not set (a PostgreSQL URL; .ci/run starts one)');
    else problems.push(...[await postgresAnswers(postgres)].filter((p): p is string => !!p));
  }
  const why = problems.length ? `the cluster tests need ClickHouse and PostgreSQL: ${problems.join('; ')}` : undefined;
  if (why && process.env.FARMTALLY_REQUIRE_CLUSTER === '1') assert.fail(`the cluster tests are required here (FARMTALLY_REQUIRE_CLUSTER=1) but ${why}`);
  return why ? { skip: why } : { urls: { clickhouse, postgres }, skip: false };
}

/** A name no other test run uses, for a database of this run's own (ClickHouse and PostgreSQL alike). */
export function scratchName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/** The shards' cluster name in their configuration. */
export const testClusterName = (): string => process.env.FARMTALLY_TEST_CLICKHOUSE_CLUSTER ?? 'farmtally';

export interface ScratchCluster {
  clickhouseUrls: string[];
  clickhouseDatabase: string;
  clickhouseCluster: string;
  stateUrl: string;
  /** Drops the scratch databases (ClickHouse on every shard, and PostgreSQL). */
  drop(): Promise<void>;
}

/** A ClickHouse database and a PostgreSQL database of this run's own on the test cluster (empty: `farmtally migrate` fills them). */
export async function scratchCluster(urls: ClusterUrls): Promise<ScratchCluster> {
  const { default: pg } = await import('pg');
  const name = scratchName('ft');
  const admin = new pg.Client({ connectionString: urls.postgres });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const stateUrl = new URL(urls.postgres);
  stateUrl.pathname = `/${name}`;
  return {
    clickhouseUrls: urls.clickhouse,
    clickhouseDatabase: name,
    clickhouseCluster: testClusterName(),
    stateUrl: stateUrl.toString(),
    async drop() {
      await Promise.all(urls.clickhouse.map((url) => fetch(`${url}/`, { method: 'POST', body: `DROP DATABASE IF EXISTS ${name}` }).catch(() => undefined)));
      const client = new pg.Client({ connectionString: urls.postgres });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
