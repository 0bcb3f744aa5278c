// `farmtally migrate`: creates or upgrades a cluster's schema, on every ClickHouse shard and
// in PostgreSQL, before `serve --engine clickhouse` uses it (and after an upgrade of
// farmtally). Safe to run again, and from several machines at once.
import { Command } from 'commander';
import { EXIT } from './exit.js';
import { clickhouseUrls, clusterOptions, option } from './serve.js';

interface MigrateOptions {
  clickhouseUrl?: string[];
  clickhouseDatabase: string;
  clickhouseCluster: string;
  stateUrl?: string;
}

export function migrateCommand(): Command {
  return new Command('migrate')
    .description("Create or upgrade a cluster's schema: the database and tables on every ClickHouse shard, and the state in PostgreSQL.")
    .addOption(option('--clickhouse-url <urls>', "each shard's HTTP URL, comma-separated, in the cluster's order", clickhouseUrls))
    .addOption(option('--clickhouse-database <name>', "the shards' database (created if missing)", 'farmtally'))
    .addOption(option('--clickhouse-cluster <name>', "the cluster's name in the shards' configuration (remote_servers), for the Distributed tables", 'farmtally'))
    .addOption(option('--state-url <url>', 'the PostgreSQL that holds the shared state (postgres://user:password@host:port/database)'))
    .addHelpText('after', '\nExample:\n  $ farmtally migrate --clickhouse-url http://ch1:8123,http://ch2:8123 --state-url postgres://farmtally@pg/farmtally\n')
    .action(async (opts: MigrateOptions) => {
      const cluster = clusterOptions({ engine: 'clickhouse', ...opts }, 'migrate')!;
      try {
        // The engines are loaded when migrate runs, not by every command's start-up.
        const { clusterEngine } = await import('../server.js');
        for (const line of await clusterEngine.migrate({ ...cluster, clickhouseCluster: opts.clickhouseCluster })) console.log(line);
      } catch (err) {
        console.error(`farmtally: the schema could not be put in place: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(EXIT.FAILED);
      }
    });
}
