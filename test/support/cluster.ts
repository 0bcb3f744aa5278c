// Where the cluster tests find ClickHouse shards and PostgreSQL, and whether they run.
// `.ci/run` starts two ClickHouse 18.16 shards and a scratch PostgreSQL on loopback
// (scripts/cluster.sh, from ../shared/recipes/clickhouse) and sets the variables below; on a
// machine without them the cluster tests are skipped with the reason, unless
// FARMTALLY_REQUIRE_CLUSTER=1 (CI), where that fails.
//   FARMTALLY_TEST_CLICKHOUSE  shard HTTP URLs, comma-separated
//   FARMTALLY_TEST_POSTGRES    a PostgreSQL URL whose user may create databases
//   FARMTALLY_TEST_CLICKHOUSE_CLUSTER  the shards' cluster name (default `farmtally`, as scripts/cluster.sh names it)
// Tests that stop a shard or PostgreSQL start a cluster of their own instead (privateClusterForTests:
// scripts/cluster.sh at a port offset whose ports are free), skipped where the servers are not installed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

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
export async function scratchCluster(urls: ClusterUrls, clickhouseCluster = testClusterName()): Promise<ScratchCluster> {
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
    clickhouseCluster,
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

/**
 * A cluster of a test's own (scripts/cluster.sh: two shards and PostgreSQL on loopback, every
 * port moved by an offset of its own), for tests that stop a shard or PostgreSQL, which the
 * shared cluster's other users must never see. `stop` kills it and deletes its folder.
 */
export interface PrivateCluster {
  urls: ClusterUrls;
  /** Its name in the shards' configuration (scripts/cluster.sh names it `farmtally`). */
  clickhouseCluster: string;
  dir: string;
  /** kill -9 of shard n (1 or 2), as a machine failing would; `startShard` starts it again. */
  stopShard(n: 1 | 2): Promise<void>;
  startShard(n: 1 | 2): Promise<void>;
  /** PostgreSQL stopped at once (no checkpoint), as a machine failing would; `startPostgres` starts it again. */
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  stop(): Promise<void>;
}

const CLUSTER_SCRIPT = new URL('../../scripts/cluster.sh', import.meta.url).pathname;

/** Whether something listens on a loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Every port scripts/cluster.sh takes at `offset`: shards' HTTP, native and interserver ports, and PostgreSQL's. */
const portsAt = (offset: number) => [18131, 18132, 19001, 19002, 19011, 19012, 15432].map((p) => p + offset);

/**
 * Whether a private cluster can be started here: `skip` says why not (no clickhouse-server or
 * PostgreSQL 15 installed), and fails instead under FARMTALLY_REQUIRE_CLUSTER=1, as
 * clusterForTests does. `start(offsets)` takes the first offset whose ports are all free.
 */
export function privateClusterForTests(): { skip: string | false; start: (offsets: readonly number[]) => Promise<PrivateCluster> } {
  const missing = [
    ...(['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server'].some((f) => existsSync(f)) ? [] : ['clickhouse-server is not installed']),
    ...(existsSync('/usr/lib/postgresql/15/bin/initdb') ? [] : ['PostgreSQL 15 is not installed (/usr/lib/postgresql/15/bin/initdb)']),
  ];
  const why = missing.length ? `the cluster failure tests start a cluster of their own with scripts/cluster.sh, and ${missing.join(' and ')} (apt-get install clickhouse-server clickhouse-client postgresql)` : undefined;
  if (why && process.env.FARMTALLY_REQUIRE_CLUSTER === '1') assert.fail(`the cluster tests are required here (FARMTALLY_REQUIRE_CLUSTER=1) but ${why}`);
  return { skip: why ?? false, start: startPrivateCluster };
}

async function startPrivateCluster(offsets: readonly number[]): Promise<PrivateCluster> {
  let offset: number | undefined;
  for (const candidate of offsets) {
    if (!(await Promise.all(portsAt(candidate).map(listening))).some(Boolean)) {
      offset = candidate;
      break;
    }
  }
  if (offset === undefined) throw new Error(`no free ports for a private cluster at offsets ${offsets.join(', ')}`);
  // The servers run as the clickhouse and postgres users: they must be able to reach the folder.
  if (process.getuid?.() === 0) chmodSync(tmpdir(), (statSync(tmpdir()).mode & 0o7777) | 0o011);
  const dir = mkdtempSync(join(tmpdir(), 'farmtally-cluster-'));
  const env = { ...process.env, FARMTALLY_CLUSTER_PORT_OFFSET: String(offset) };
  const script = async (...args: string[]) => {
    try {
      return (await run('bash', [CLUSTER_SCRIPT, ...args], { env })).stdout;
    } catch (err) {
      throw new Error(`scripts/cluster.sh ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? String(err)}`);
    }
  };
  const out = await script('start', dir).catch(async (err) => {
    await script('stop', dir).catch(() => undefined);
    throw err;
  });
  const value = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(out)?.[1] ?? assert.fail(`scripts/cluster.sh start printed no ${name}:\n${out}`);
  return {
    urls: { clickhouse: value('FARMTALLY_TEST_CLICKHOUSE').split(','), postgres: value('FARMTALLY_TEST_POSTGRES') },
    clickhouseCluster: 'farmtally',
    dir,
    stopShard: async (n) => void (await script('stop-shard', dir, String(n))),
    startShard: async (n) => void (await script('start-shard', dir, String(n))),
    stopPostgres: async () => void (await script('stop-postgres', dir)),
    startPostgres: async () => void (await script('start-postgres', dir)),
    stop: async () => void (await script('stop', dir)),
  };
}
