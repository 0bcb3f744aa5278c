import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_AGGREGATION_TIMEOUT_SECONDS, DEFAULT_AGGREGATION_TTL_SECONDS } from '../domain/aggregation-limits.js';
import { DEFAULT_GROUP_COMMIT_BYTES, DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_BATCH_RECORDS, DEFAULT_MEMORY_LIMIT, DEFAULT_PUBLIC_RATE_LIMIT, DEFAULT_UPLOADS_PER_CLIENT } from '../domain/server-defaults.js';
// The server itself is loaded when serve runs (below), not by every command's start-up.
import type { RunningServer } from '../server.js';
import type { AuthMode } from '../wire/auth/access.js';
import { LOG_LEVELS, type LogLevel } from '../wire/request-log.js';
import { DEFAULT_CREDENTIALS_FILE } from './credentials.js';
import { EXIT, usageError } from './exit.js';

interface ServeOptions {
  host: string;
  port: number;
  data: string;
  pricing?: string;
  strict: boolean;
  aggregationTtl: number;
  maxResultRows: number;
  aggregationTimeout: number;
  memoryLimit: string;
  threads: number;
  maxBatchRecords: number;
  groupCommitBytes: number;
  maxBatchBytes: number;
  bodyTimeout: number;
  maxConcurrentBatches: number;
  batchesPerClient?: number;
  uploadsPerClient: number;
  auth: AuthMode;
  credentials: string;
  tlsCert?: string;
  tlsKey?: string;
  rateLimit?: number;
  publicRateLimit: number;
  retainDays?: number;
  logLevel: LogLevel;
  engine: 'duckdb' | 'clickhouse';
  clickhouseUrl?: string[];
  clickhouseDatabase: string;
  stateUrl?: string;
  webhook?: string;
  webhookSecret?: string;
}

export function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0 picks a free one).');
  return n;
}

function positive(what: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a number greater than 0.`);
    return n;
  };
}

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A byte count: a number with an optional unit (512MiB, 1GB, 100000). */
export function parseBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) * unit < 1) throw new InvalidArgumentError('give a size such as 512MiB, 1GB or 100000 (bytes).');
  return Math.floor(Number(m[1]) * unit);
}

/** A byte count, or 0 (to turn a feature off). */
function parseBytesOrZero(text: string): number {
  return /^\s*0+\s*$/.test(text) ? 0 : parseBytes(text);
}

function days(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('give a whole number of days, at least 1.');
  return n;
}

function atLeastOne(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 1) throw new InvalidArgumentError('a rate is requests per second per principal, at least 1.');
  return n;
}

function zeroOrAtLeastOne(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || (n !== 0 && n < 1)) throw new InvalidArgumentError('a rate is requests per second per client address, at least 1 (0 turns the limit off).');
  return n;
}

/** --clickhouse-url: one or more http(s) URLs, comma-separated. */
export function clickhouseUrls(text: string): string[] {
  const urls = text.split(',').map((u) => u.trim().replace(/\/+$/, '')).filter(Boolean);
  for (const url of urls) {
    if (!/^https?:\/\/[^/]+$/.test(url)) throw new InvalidArgumentError(`${url} is not a shard's HTTP address: give http://host:port (ClickHouse's HTTP port, 8123 by default), several comma-separated.`);
  }
  if (urls.length === 0) throw new InvalidArgumentError('give at least one shard: http://host:port');
  return urls;
}

/** The cluster an `--engine clickhouse` command names, or undefined for the embedded store; a usage error when half of it is missing. */
export function clusterOptions(opts: { engine: string; clickhouseUrl?: string[]; clickhouseDatabase: string; stateUrl?: string }, command: string) {
  if (opts.engine !== 'clickhouse') return undefined;
  if (!opts.clickhouseUrl || !opts.stateUrl) {
    usageError('--engine clickhouse needs --clickhouse-url URL[,URL...] (each shard) and --state-url postgres://... (or FARMTALLY_CLICKHOUSE_URL and FARMTALLY_STATE_URL).', command);
  }
  if (!/^postgres(ql)?:\/\//.test(opts.stateUrl!)) usageError(`--state-url ${opts.stateUrl} is not a PostgreSQL URL: give postgres://user:password@host:port/database.`, command);
  return { clickhouseUrls: opts.clickhouseUrl!, clickhouseDatabase: opts.clickhouseDatabase, stateUrl: opts.stateUrl! };
}

/** --webhook: an http(s) URL. */
export function webhookUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`${text} is not a URL: give the receiver's address, such as https://hooks.example.com/farmtally.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`${text} is not an http:// or https:// URL: budget notifications are POSTed over HTTP.`);
  // fetch refuses a URL with credentials in it: every delivery would fail.
  if (url.username || url.password) throw new InvalidArgumentError('a webhook URL cannot carry a user name or password (user:password@): the signature authenticates each notification; a token the receiver wants can go in the path or query.');
  return text;
}

/** Where budget notifications go (--webhook and its secret), or undefined; a usage error when one is given without the other. */
export function webhookOptions(opts: { webhook?: string; webhookSecret?: string }) {
  if (opts.webhook && !opts.webhookSecret) {
    usageError(
      `--webhook needs a secret to sign each notification with: add --webhook-secret SECRET (or FARMTALLY_WEBHOOK_SECRET=SECRET), the key the receiver checks X-Farmtally-Signature with (README, Budget notifications).`,
      'serve',
    );
  }
  if (opts.webhookSecret && !opts.webhook) usageError('--webhook-secret is the key of --webhook URL\'s signatures: add --webhook URL (or FARMTALLY_WEBHOOK), or leave the secret out.', 'serve');
  return opts.webhook ? { url: opts.webhook, secret: opts.webhookSecret! } : undefined;
}

/** FARMTALLY_WEBHOOK_RETRY_BASE_MS, an internal switch (not a flag): the first wait after a failed delivery, in ms; undefined when unset. */
function webhookRetryBaseFromEnvironment(): number | undefined {
  const text = process.env.FARMTALLY_WEBHOOK_RETRY_BASE_MS;
  if (text === undefined || text === '') return undefined;
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms < 1) usageError(`FARMTALLY_WEBHOOK_RETRY_BASE_MS=${text} is not a wait: give milliseconds, at least 1.`, 'serve');
  return ms;
}

/** FARMTALLY_ + a flag's long name in capitals, `_` for `-`: --tls-cert → FARMTALLY_TLS_CERT. */
export function envNameOf(flags: string): string {
  const long = /--([a-z0-9-]+)/i.exec(flags);
  if (!long) throw new Error(`no long flag in ${flags}`);
  return `FARMTALLY_${long[1]!.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * A serve option that can also come from its environment variable (envNameOf), as a
 * service manager passes settings; the flag wins, and --help lists the variable. Takes
 * what Command.option() takes: a parser and a default, or a default alone.
 */
export function option(flags: string, description: string, parseOrDefault?: ((text: string) => unknown) | string | number | boolean, defaultValue?: unknown): Option {
  const o = new Option(flags, description).env(envNameOf(flags));
  if (typeof parseOrDefault === 'function') {
    o.argParser(parseOrDefault);
    if (defaultValue !== undefined) o.default(defaultValue);
  } else if (parseOrDefault !== undefined) {
    o.default(parseOrDefault);
  }
  return o;
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['', '0', 'false', 'no', 'off'];

/**
 * Commander turns a flag without a value (--strict) on when its variable merely exists, so
 * FARMTALLY_STRICT=false would mean strict. Read the value instead: 1/true/yes/on or
 * 0/false/no/off (or empty); anything else is a usage error.
 */
function flagsFromEnvironment(command: Command): void {
  for (const o of command.options) {
    if (!o.isBoolean() || !o.envVar || command.getOptionValueSource(o.attributeName()) !== 'env') continue;
    const text = (process.env[o.envVar] ?? '').trim().toLowerCase();
    if (FALSE.includes(text)) command.setOptionValueWithSource(o.attributeName(), false, 'env');
    else if (!TRUE.includes(text)) usageError(`${o.envVar}=${process.env[o.envVar]} is neither true nor false: give 1, true, yes, on, or 0, false, no, off.`, 'serve');
  }
}

/** FARMTALLY_LEASE_MS, an internal switch (not a flag): a lease length in milliseconds, at least 300; undefined when unset. */
function leaseMsFromEnvironment(): number | undefined {
  const text = process.env.FARMTALLY_LEASE_MS;
  if (text === undefined || text === '') return undefined;
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms < 300) usageError(`FARMTALLY_LEASE_MS=${text} is not a lease length: give milliseconds, at least 300.`, 'serve');
  return ms;
}

/** Why the server could not start, with what to do for the failures a first start meets. */
export function startupFailure(err: unknown, opts: { host: string; port: number; data: string }): string {
  const e = err as NodeJS.ErrnoException;
  const why = err instanceof Error ? err.message : String(err);
  if (e.code === 'EADDRINUSE') {
    return `port ${opts.port} on ${opts.host} is in use (another farmtally, or another program, listens there). Stop that, or give another port: --port N (or FARMTALLY_PORT; 0 picks a free one).`;
  }
  if (e.code === 'EADDRNOTAVAIL') return `${opts.host} is no address of this machine (${why}). Give --host (or FARMTALLY_HOST) one of its addresses, or 0.0.0.0 for all.`;
  if (e.code === 'EACCES' && e.syscall === 'listen') {
    return `this user may not listen on port ${opts.port} (${why}): ports below 1024 need privileges. Give --port (or FARMTALLY_PORT) 1024 or higher (the default is 8080).`;
  }
  if (e.path !== undefined && e.syscall === 'mkdir' && (e.code === 'EEXIST' || e.code === 'ENOTDIR')) {
    return `--data ${opts.data} must be a folder, and ${e.code === 'ENOTDIR' ? 'a folder on its path' : 'it'} is a file (${e.code}). Give --data (or FARMTALLY_DATA) a folder (one that does not exist yet is made), or move the file away.`;
  }
  if (e.path !== undefined && (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS')) {
    return `cannot write ${e.path} (${e.code}): --data ${opts.data} must be a folder this user (the one running farmtally serve) may write. Give --data (or FARMTALLY_DATA) another folder, or change the folder's owner or permissions.`;
  }
  if (/^cannot open the data store/.test(why) && /Permission denied|Read-only file system/i.test(why)) {
    return `${why}\n--data ${opts.data} must be a folder this user (the one running farmtally serve) may write. Give --data (or FARMTALLY_DATA) another folder, or change the folder's owner or permissions.`;
  }
  return why;
}

const EXAMPLES = `
Every option can also come from its environment variable, shown beside it (env: ...):
FARMTALLY_ and the option's name in capitals, _ for - (FARMTALLY_PORT, FARMTALLY_TLS_CERT).
The flag wins over the variable. For --strict: FARMTALLY_STRICT=true (or 1, yes, on).

Examples:
  $ farmtally serve                                   # open mode on 127.0.0.1:8080, data in ./data
  $ farmtally serve --port 0 --data /tmp/ft           # a free port, another folder
  $ farmtally credentials add --name admin --allow 'deadline:*' --farms '*'
  $ farmtally serve --auth sigv4 --credentials farmtally-credentials.json \\
      --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem --rate-limit 50
  $ FARMTALLY_PORT=9090 FARMTALLY_DATA=/var/lib/farmtally farmtally serve
  $ FARMTALLY_WEBHOOK_SECRET=s3cret farmtally serve --webhook https://hooks.example.com/farmtally
`;

export function serveCommand(): Command {
  return new Command('serve')
    .description('Serve the Deadline Cloud API (and session ingest) on the embedded store, or on a cluster of ClickHouse shards and PostgreSQL (--engine clickhouse).')
    .addOption(option('--host <host>', 'address to listen on (an IPv6 one bare or in brackets: ::1, [::1])', '127.0.0.1'))
    .addOption(option('--port <port>', 'port to listen on; 0 picks a free one', parsePort, 8080))
    .addOption(option('--data <dir>', 'folder of the embedded store', './data'))
    .addOption(option('--engine <engine>', 'duckdb: the embedded store in --data; clickhouse: a cluster of ClickHouse shards and PostgreSQL, shared by any number of servers').choices(['duckdb', 'clickhouse']).default('duckdb'))
    .addOption(option('--clickhouse-url <urls>', "clickhouse: each shard's HTTP URL, comma-separated, in the cluster's order", clickhouseUrls))
    .addOption(option('--clickhouse-database <name>', "clickhouse: the shards' database", 'farmtally'))
    .addOption(option('--state-url <url>', 'clickhouse: the PostgreSQL that holds the shared state (postgres://user:password@host:port/database)'))
    .addOption(option('--pricing <file>', 'rate card (JSON) for costs'))
    .addOption(option('--strict', 'reject exactly what the real service rejects (no extensions)', false))
    .addOption(option('--aggregation-ttl <seconds>', 'how long aggregation results stay readable', positive('--aggregation-ttl'), DEFAULT_AGGREGATION_TTL_SECONDS))
    .addOption(option('--max-result-rows <n>', 'an aggregation with more rows ends FAILED', positive('--max-result-rows'), 1_000_000))
    .addOption(option('--memory-limit <size>', "the engine's memory limit, e.g. 1GB (it spills to disk past it)", DEFAULT_MEMORY_LIMIT))
    .addOption(option('--threads <n>', 'engine worker threads', positive('--threads'), 2))
    .addOption(option('--aggregation-timeout <seconds>', 'an aggregation running longer ends TIMEOUT', positive('--aggregation-timeout'), DEFAULT_AGGREGATION_TIMEOUT_SECONDS))
    .addOption(option('--max-batch-records <n>', 'the most records one ingest request may hold', positive('--max-batch-records'), DEFAULT_MAX_BATCH_RECORDS))
    .addOption(option('--max-batch-bytes <size>', 'the most bytes one ingest request may hold once unzipped').argParser(parseBytes).default(DEFAULT_MAX_BATCH_BYTES, '512MiB'))
    .addOption(option('--body-timeout <seconds>', 'a request body that stops arriving this long (or averages under 8 KiB/s after twice as long) is refused', positive('--body-timeout'), 30))
    .addOption(
      option('--group-commit-bytes <size>', 'an ingest body up to this size (once unzipped) is read into memory and committed together with others arriving at once; 0: every body is staged alone')
        .argParser(parseBytesOrZero)
        .default(DEFAULT_GROUP_COMMIT_BYTES, '1MiB'),
    )
    .addOption(option('--max-concurrent-batches <n>', 'large ingest batches checked and staged at once (each taken once its body is in); more wait, then are throttled', positive('--max-concurrent-batches'), 4))
    .addOption(option('--batches-per-client <n>', 'of those, at once per client (source address; principal too under sigv4); default half of them', positive('--batches-per-client')))
    .addOption(option('--uploads-per-client <n>', 'ingest bodies arriving at once per client; more are throttled at once', positive('--uploads-per-client'), DEFAULT_UPLOADS_PER_CLIENT))
    .addOption(option('--auth <mode>', 'open: no checks, loopback only; sigv4: AWS Signature Version 4 against the credentials file').choices(['open', 'sigv4']).default('open'))
    .addOption(option('--credentials <file>', 'sigv4: principals, keys and grants (farmtally credentials add writes it; re-read when it changes)', DEFAULT_CREDENTIALS_FILE))
    .addOption(option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain); needs --tls-key'))
    .addOption(option('--tls-key <file>', 'the PEM private key of --tls-cert'))
    .addOption(option('--rate-limit <n>', 'requests per second per principal, burst n (ThrottlingException past it); off by default', atLeastOne))
    .addOption(option('--public-rate-limit <n>', 'requests per second per client address to the routes that need no credentials (/health, the page), burst n; 0: off', zeroOrAtLeastOne, DEFAULT_PUBLIC_RATE_LIMIT))
    .addOption(option('--retain-days <n>', 'delete sessions that ended more than n days ago, at start-up and then daily (logged; cannot be undone); off by default', days))
    .addOption(option('--webhook <url>', 'POST each budget threshold event there as JSON, signed (X-Farmtally-Signature); retried until a 2xx answer; needs --webhook-secret', webhookUrl))
    .addOption(option('--webhook-secret <secret>', "the key of the webhook's HMAC-SHA256 signatures (prefer FARMTALLY_WEBHOOK_SECRET: a flag shows in the process list)"))
    .addOption(option('--log-level <level>', 'the log (JSON lines on stderr, one per request at info)').choices([...LOG_LEVELS]).default('info'))
    .addHelpText('after', EXAMPLES)
    .hook('preAction', (command) => flagsFromEnvironment(command))
    .action(async (opts: ServeOptions) => {
      // Signals are taken before start-up, so a stop that arrives early still ends cleanly.
      let server: RunningServer | undefined;
      let stopRequested: string | undefined;
      const stop = async (signal: string) => {
        if (stopRequested) return;
        stopRequested = signal;
        if (!server) return; // start-up finishes first, then stops
        server.logger.info(`farmtally: ${signal} received, stopping`);
        await server.close();
        process.exit(EXIT.OK);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
      // A promise nobody awaited must not take every client's server down: log it, serve on.
      process.on('unhandledRejection', (err) => console.error(`farmtally: unexpected error (please report it): ${err instanceof Error ? err.stack : String(err)}`));
      if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) usageError('HTTPS needs both --tls-cert FILE and --tls-key FILE.', 'serve');
      const cluster = clusterOptions(opts, 'serve');
      const webhook = webhookOptions(opts);
      try {
        const { startServer } = await import('../server.js');
        server = await startServer({
          host: opts.host,
          port: opts.port,
          dataDir: opts.data,
          cluster,
          pricingFile: opts.pricing,
          strict: opts.strict,
          aggregationTtlSeconds: opts.aggregationTtl,
          maxResultRows: opts.maxResultRows,
          aggregationTimeoutSeconds: opts.aggregationTimeout,
          memoryLimit: opts.memoryLimit,
          threads: Math.floor(opts.threads),
          maxBatchRecords: Math.floor(opts.maxBatchRecords),
          maxBatchBytes: opts.maxBatchBytes,
          bodyTimeoutSeconds: opts.bodyTimeout,
          concurrentBatches: Math.floor(opts.maxConcurrentBatches),
          batchesPerClient: opts.batchesPerClient === undefined ? undefined : Math.floor(opts.batchesPerClient),
          uploadsPerClient: Math.floor(opts.uploadsPerClient),
          groupCommitBytes: opts.groupCommitBytes,
          auth: opts.auth,
          credentialsFile: opts.credentials,
          tls: opts.tlsCert && opts.tlsKey ? { certFile: opts.tlsCert, keyFile: opts.tlsKey } : undefined,
          rateLimit: opts.rateLimit,
          publicRateLimit: opts.publicRateLimit,
          retainDays: opts.retainDays,
          logLevel: opts.logLevel,
          webhook,
          // Internal switches, for tests and diagnosis (docs/DECISIONS.md, session ingest).
          bulkIngest: process.env.FARMTALLY_INGEST_FAST_PATH !== 'off',
          traceIngest: Boolean(process.env.FARMTALLY_INGEST_TRACE),
          traceAggregations: Boolean(process.env.FARMTALLY_AGGREGATION_TRACE),
          // Lease length in ms (default 30 s): short in tests where a server is killed mid-aggregation or mid-ingest.
          leaseMs: leaseMsFromEnvironment(),
          // How often budgets are checked for thresholds crossed with time alone (ms, default 10 s): short in tests.
          budgetCheckMs: process.env.FARMTALLY_BUDGET_CHECK_MS ? Number(process.env.FARMTALLY_BUDGET_CHECK_MS) : undefined,
          // The first wait after a failed notification (default 1 s): short in tests of retries.
          webhookRetryBaseMs: webhookRetryBaseFromEnvironment(),
        });
      } catch (err) {
        console.error(`farmtally: ${startupFailure(err, opts)}`);
        process.exit(EXIT.FAILED);
      }
      console.log(`farmtally listening on ${server.url}`);
      if (stopRequested) {
        const signal = stopRequested;
        stopRequested = undefined;
        await stop(signal);
      }
    });
}
