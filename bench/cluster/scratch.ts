// The cluster the bench measures (`npm run bench -- --engine clickhouse ...`): databases of
// its own on the shards and on PostgreSQL, named for this run, created and migrated as
// `farmtally migrate` does, and dropped at the end (unless --keep). A copy of the state is a
// PostgreSQL database made from it as a template (the cluster's counterpart of the DuckDB
// bench copying its data folder): the same farm, queues and fleets, and no sessions.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { httpQuery } from '../../src/store/clickhouse/http-query.js';
import { migrateCluster } from '../../src/store/cluster/index.js';

/** What the command line names: the shards, their cluster, and a PostgreSQL whose user may create databases. */
export interface ClusterTarget {
  clickhouseUrls: string[];
  clickhouseCluster: string;
  /** postgres://... of any database there (the scratch ones are created beside it). */
  stateUrl: string;
}

/** The options `serve --engine clickhouse` and openClusterStore take, for one scratch database pair. */
export interface ScratchDatabases {
  name: string;
  clickhouseUrls: string[];
  clickhouseDatabase: string;
  clickhouseCluster: string;
  stateUrl: string;
}

export const scratchName = (): string => `ftbench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

async function onAdmin<T>(target: ClusterTarget, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: target.stateUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(target: ClusterTarget, name: string): string {
  const url = new URL(target.stateUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

const pair = (target: ClusterTarget, name: string): ScratchDatabases => ({
  name,
  clickhouseUrls: target.clickhouseUrls,
  clickhouseDatabase: name,
  clickhouseCluster: target.clickhouseCluster,
  stateUrl: databaseUrl(target, name),
});

/** A new, migrated database pair (PostgreSQL and every shard). */
export async function createScratch(target: ClusterTarget): Promise<ScratchDatabases> {
  const name = scratchName();
  await onAdmin(target, (c) => c.query(`CREATE DATABASE ${name}`));
  const scratch = pair(target, name);
  await migrateCluster(scratch);
  return scratch;
}

/** A new pair whose state is a copy of `from`'s (nothing may be connected to it) and whose shards are empty. */
export async function copyScratch(target: ClusterTarget, from: ScratchDatabases): Promise<ScratchDatabases> {
  const name = scratchName();
  await onAdmin(target, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${from.name}`));
  const scratch = pair(target, name);
  await migrateCluster(scratch);
  return scratch;
}

export async function dropScratch(target: ClusterTarget, scratch: ScratchDatabases): Promise<void> {
  await Promise.all(target.clickhouseUrls.map((url) => httpQuery(url, `DROP DATABASE IF EXISTS ${scratch.name}`).catch(() => undefined)));
  await onAdmin(target, (c) => c.query(`DROP DATABASE IF EXISTS ${scratch.name} WITH (FORCE)`));
}

/** The arguments of `farmtally serve` for the pair. */
export const serveArgs = (s: ScratchDatabases): string[] => ['--engine', 'clickhouse', '--clickhouse-url', s.clickhouseUrls.join(','), '--clickhouse-database', s.clickhouseDatabase, '--state-url', s.stateUrl];
