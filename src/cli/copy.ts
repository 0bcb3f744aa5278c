// `farmtally copy`: moves a studio's history between engines, so outgrowing one machine loses
// nothing: a DuckDB data folder into a cluster (ClickHouse and PostgreSQL), and back. The
// source is only read (opened read-only); the target is a migrated cluster, or a new or empty
// data folder. The copying itself is copy-stores.ts, through the Store interface alone.
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { DATA_FILE } from '../domain/server-defaults.js';
import type { Store } from '../store/store.js';
import { copyStores, countsDiffer, farmIdsOf } from './copy-stores.js';
import { EXIT, usageError } from './exit.js';
import { clickhouseUrls } from './serve.js';

interface CopyOptions {
  from?: string;
  fromClickhouseUrl?: string[];
  fromClickhouseDatabase: string;
  fromStateUrl?: string;
  to?: string;
  toClickhouseUrl?: string[];
  toClickhouseDatabase: string;
  toStateUrl?: string;
}

type Place = { dir: string } | { clickhouseUrls: string[]; clickhouseDatabase: string; stateUrl: string };

/** What a data folder of the embedded store may hold (the data file, its WAL, the spool). */
const STORE_FILES = new Set([DATA_FILE, `${DATA_FILE}.wal`, 'spool']);

/** The engines, loaded when a copy runs, not by every command's start-up. */
const engines = () => import('../server.js');

/** Stops the copy with what went wrong and what to do (exit 1), once the stores are closed. */
function refuse(message: string): never {
  throw new Error(message);
}

const why = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** The source or the target the options name: a data folder, or a cluster (all of it). */
function placeOf(side: 'from' | 'to', dir: string | undefined, urls: string[] | undefined, database: string, stateUrl: string | undefined): Place {
  const flag = `--${side}`;
  if (dir !== undefined && (urls || stateUrl)) usageError(`give ${flag} DIR (a data folder) or ${flag}-clickhouse-url with ${flag}-state-url (a cluster), not both.`, 'copy');
  if (dir !== undefined) return { dir: resolve(dir) };
  if (!urls && !stateUrl) usageError(`say where to copy ${side}: ${flag} DIR (a data folder) or ${flag}-clickhouse-url URL[,URL...] with ${flag}-state-url postgres://... (a cluster).`, 'copy');
  if (!urls || !stateUrl) usageError(`a cluster needs both ${flag}-clickhouse-url URL[,URL...] (each shard) and ${flag}-state-url postgres://...`, 'copy');
  if (!/^postgres(ql)?:\/\//.test(stateUrl)) usageError(`${flag}-state-url ${stateUrl} is not a PostgreSQL URL: give postgres://user:password@host:port/database.`, 'copy');
  return { clickhouseUrls: urls, clickhouseDatabase: database, stateUrl };
}

const MIGRATE_TARGET = ' (Run farmtally migrate with --clickhouse-url, --clickhouse-database and --state-url as given here to --to-clickhouse-url, --to-clickhouse-database and --to-state-url.)';

const named = (place: Place) => ('dir' in place ? place.dir : `the cluster (${place.clickhouseUrls.join(',')}, database ${place.clickhouseDatabase})`);

async function openSource(place: Place): Promise<Store> {
  const { clusterEngine, embeddedEngine } = await engines();
  if (!('dir' in place)) {
    return clusterEngine.openStore({ ...place, readOnly: true }).catch((err) =>
      refuse(
        /migrate/i.test(why(err))
          ? `the source, ${named(place)}, holds no farmtally data (${why(err)}). Check --from-clickhouse-url, --from-clickhouse-database and --from-state-url.`
          : `cannot read the source, ${named(place)}: ${why(err)}`,
      ),
    );
  }
  return embeddedEngine.openStore(place.dir, { readOnly: true }).catch((err) => {
    if (/lock/i.test(why(err))) {
      refuse(`a farmtally server is using ${place.dir} (${why(err)}). Stop it first; or copy from a backup of it, taken while it serves: farmtally backup --endpoint URL --to DIR, then farmtally copy --from DIR.`);
    }
    refuse(`cannot read the source: ${why(err)}`);
  });
}

/**
 * A data folder to copy into: new, empty, or one an earlier copy from this same source filled
 * (a copy run again finishes or refreshes it). Anything else is refused before it is touched.
 */
async function openTargetFolder(dir: string, sourceFarms: ReadonlySet<string>): Promise<Store> {
  const entries = existsSync(dir) ? readdirSync(dir) : [];
  const foreign = entries.filter((e) => !STORE_FILES.has(e));
  if (foreign.length) {
    refuse(`${dir} is not empty (it holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}). Give --to a new or empty folder.`);
  }
  const { embeddedEngine } = await engines();
  const store = await embeddedEngine.openStore(dir).catch((err) =>
    refuse(/lock/i.test(why(err)) ? `a farmtally server is using ${dir} (${why(err)}). Stop it, or give --to a new or empty folder.` : `cannot open ${dir}: ${why(err)}`),
  );
  const others = (await farmIdsOf(store)).filter((id) => !sourceFarms.has(id));
  if (others.length) {
    await store.close();
    refuse(`${dir} is not empty: it holds farms the source does not (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''}). Give --to a new or empty folder.`);
  }
  return store;
}

async function run(opts: CopyOptions): Promise<void> {
  const from = placeOf('from', opts.from, opts.fromClickhouseUrl, opts.fromClickhouseDatabase, opts.fromStateUrl);
  const to = placeOf('to', opts.to, opts.toClickhouseUrl, opts.toClickhouseDatabase, opts.toStateUrl);
  const same = 'dir' in from && 'dir' in to ? from.dir === to.dir : !('dir' in from) && !('dir' in to) && from.stateUrl === to.stateUrl && from.clickhouseDatabase === to.clickhouseDatabase;
  if (same) usageError('the source and the target are the same place: copy into another.', 'copy');
  const source = await openSource(from);
  let target: Store | undefined;
  try {
    const farmIds = await farmIdsOf(source);
    target =
      'dir' in to
        ? await openTargetFolder(to.dir, new Set(farmIds))
        : await (await engines()).clusterEngine.openStore(to).catch((err) => refuse(`cannot write to the target, ${named(to)}: ${why(err)}${/migrate/i.test(why(err)) ? MIGRATE_TARGET : ''}`));
    const farms = `${farmIds.length} farm${farmIds.length === 1 ? '' : 's'}`;
    console.error(`Copying ${farms} from ${named(from)} to ${named(to)}.`);
    const copied = await copyStores(source, target);
    for (const { farm, sessions, counts } of copied) {
      console.log(`${farm.farmId} (${farm.displayName}): ${sessions} sessions copied: ${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged`);
    }
    const differ = await countsDiffer(source, target, farmIds);
    if (differ.length) refuse(`the copy is not whole: the session counts differ.\n  ${differ.join('\n  ')}`);
    console.log(`Done: for each farm the target holds as many sessions as the source (${farms}).`);
  } finally {
    await target?.close();
    await source.close();
  }
}

export function copyCommand(): Command {
  const database = (side: 'from' | 'to') => new Option(`--${side}-clickhouse-database <name>`, "the shards' database").default('farmtally');
  return new Command('copy')
    .description('Copy every farm, queue, fleet, budget and session from one store into another: a data folder into a cluster, or back.')
    .addOption(new Option('--from <dir>', 'copy from this data folder (no server may be using it; it is only read)'))
    .addOption(new Option('--from-clickhouse-url <urls>', "or from a cluster: each shard's HTTP URL, comma-separated").argParser(clickhouseUrls))
    .addOption(database('from'))
    .addOption(new Option('--from-state-url <url>', "the source cluster's PostgreSQL (postgres://user:password@host:port/database)"))
    .addOption(new Option('--to <dir>', 'copy into this data folder (new or empty)'))
    .addOption(new Option('--to-clickhouse-url <urls>', "or into a cluster (migrated: farmtally migrate): each shard's HTTP URL, comma-separated").argParser(clickhouseUrls))
    .addOption(database('to'))
    .addOption(new Option('--to-state-url <url>', "the target cluster's PostgreSQL (postgres://user:password@host:port/database)"))
    .addHelpText(
      'after',
      `
Farms, queues and fleets keep their IDs and every field; sessions go in batches of 20 000,
and jobs are rebuilt from them as ingest builds them. New in the target: batch IDs, jobs'
createdAt and updatedAt, sessions' updatedAt. Aggregation results and client tokens are not
copied. Running it again is safe: what the target has already is kept, and sessions sent
again are unchanged. At the end every farm's session count is checked (exit 1 if it differs).
A cluster to copy into is migrated first: farmtally migrate with the same URLs and database.

Examples:
  $ farmtally copy --from ./data --to-clickhouse-url http://ch1:8123,http://ch2:8123 --to-state-url postgres://farmtally@pg/farmtally
  $ farmtally copy --from-clickhouse-url http://ch1:8123,http://ch2:8123 --from-state-url postgres://farmtally@pg/farmtally --to ./data-back
`,
    )
    .action((opts: CopyOptions) =>
      run(opts).catch((err) => {
        console.error(`farmtally: ${why(err)}`);
        process.exit(EXIT.FAILED);
      }),
    );
}
