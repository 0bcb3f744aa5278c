// The composition root: opens the store, builds the HTTP app with every operation and
// plugin, and listens. The CLI's `serve` and the tests both start servers through here.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { DEFAULT_AGGREGATION_TIMEOUT_SECONDS, DEFAULT_AGGREGATION_TTL_SECONDS } from './domain/aggregation-limits.js';
import { DEFAULT_RATE_CARD, parseRateCard, type RateCard } from './domain/pricing.js';
import { DEFAULT_GROUP_COMMIT_BYTES, DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_BATCH_RECORDS, DEFAULT_PUBLIC_RATE_LIMIT, DEFAULT_UPLOADS_PER_CLIENT } from './domain/server-defaults.js';
import { BudgetNotifier, type BudgetNotifications, type WebhookTarget } from './operations/budgets/notifications.js';
import type { FarmGrant, OperationContext, ServerSettings } from './operations/context.js';
import { PageTokens } from './operations/page-tokens.js';
import { BudgetTracker } from './operations/budgets/budget-tracker.js';
import { AggregationRunner, CUT_SHORT } from './operations/statistics/aggregation-runner.js';
import { OPERATIONS } from './operations/registry.js';
import { BatchSlots } from './operations/sessions/batch-slots.js';
import { Retention } from './operations/sessions/retention.js';
import { backupStoppedFolder, countBackupSessions, DATA_FILE } from './store/duckdb/backup.js';
import { DEFAULT_MEMORY_LIMIT } from './store/duckdb/database.js';
// The cluster engine (its ClickHouse and PostgreSQL clients) is loaded when a cluster is
// used, not at every start of a server on the embedded store.
const clusterModule = () => import('./store/cluster/index.js');
import { openDuckDbStore } from './store/duckdb/index.js';
import type { Store } from './store/store.js';
import { buildApp, streamingRoutesOf } from './wire/app.js';
import { Access, type AuthMode } from './wire/auth/access.js';
import { HEALTH_PUBLIC_ROUTES, healthRoute } from './wire/health-route.js';
import { createLogger, loggablePath, type LogLevel } from './wire/request-log.js';
import { readTls, type TlsFiles } from './wire/tls.js';
import { WEB_PUBLIC_ROUTES, webRoute } from './wire/web-route.js';

/**
 * How long this server's claims (a farm's aggregation slot, a running aggregation) last
 * unrenewed: after a server dies, its aggregations end FAILED and its farms can start again
 * this long after its last heartbeat.
 */
const DEFAULT_LEASE_MS = 30_000;

/** Where a cluster server keeps its data (instead of --data): ClickHouse shards and PostgreSQL. */
export interface ClusterEngineOptions {
  clickhouseUrls: string[];
  clickhouseDatabase: string;
  stateUrl: string;
}

export interface ServerOptions {
  /** Serve from a cluster (ClickHouse and PostgreSQL) rather than the embedded store in dataDir. */
  cluster?: ClusterEngineOptions;
  /** How long this server's leases last unrenewed (DEFAULT_LEASE_MS); short in tests of a server killed mid-aggregation. */
  leaseMs?: number;
  host: string;
  port: number;
  dataDir: string;
  pricingFile?: string;
  strict?: boolean;
  /** Seconds aggregation results stay readable (default 3600, as the service). */
  aggregationTtlSeconds?: number;
  /** Rows past which an aggregation ends FAILED (default 1 000 000). */
  maxResultRows?: number;
  /** Seconds past which an aggregation ends TIMEOUT (default 300). */
  aggregationTimeoutSeconds?: number;
  /** DuckDB's memory_limit (its own syntax: 2GB, 512MB); the process needs a few hundred MB more. */
  memoryLimit?: string;
  /** DuckDB worker threads (default 2, the cores of the machines this was measured on). */
  threads?: number;
  /** Largest JSON request body in bytes (API routes; ingest streams). */
  bodyLimit?: number;
  /** The most records one ingest request may hold (default 1 000 000). */
  maxBatchRecords?: number;
  /** The most bytes one ingest request may hold once unzipped (default 512 MiB). */
  maxBatchBytes?: number;
  /** Seconds a request body may stop arriving; past them, or slower than MIN_BODY_BYTES_PER_SECOND on average after twice as long, it is refused (default 30). */
  bodyTimeoutSeconds?: number;
  /** Large ingest batches checked and staged at once (default 4); more wait a little, then are throttled. */
  concurrentBatches?: number;
  /** Of those, at once per client (source address; principal in sigv4 mode): default half of them, at least 1. */
  batchesPerClient?: number;
  /** Ingest bodies arriving at once per client (default 32); more are throttled at once. */
  uploadsPerClient?: number;
  /** An ingest body up to this many bytes once unzipped is read into memory and written by group commit (default 1 MiB; 0: never). */
  groupCommitBytes?: number;
  /** NDJSON ingest's fast path (a spooled body staged by the store in one go); default on. */
  bulkIngest?: boolean;
  /** Folder for spooled ingest bodies (default: `spool` in the data folder, or the system's temporary folder for `:memory:`). */
  spoolDir?: string;
  /** Log one line per NDJSON batch: which path staged it, and why the careful one when it did. */
  traceIngest?: boolean;
  /** Log each aggregation's statements with their times, and its time until COMPLETED. */
  traceAggregations?: boolean;
  log?: (line: string) => void;
  /** `open` (the default: loopback only, every caller is `farmtally`) or `sigv4`. */
  auth?: AuthMode;
  /** sigv4: the credentials file (SPEC section 8). */
  credentialsFile?: string;
  /** Serve HTTPS with these PEM files. */
  tls?: TlsFiles;
  /** Requests per second per principal, burst the same; off when undefined. */
  rateLimit?: number;
  /** Requests per second per client address on the routes that need no credentials (/health, the page), burst the same; 0 turns it off (default DEFAULT_PUBLIC_RATE_LIMIT). */
  publicRateLimit?: number;
  /** Delete sessions that ended more than this many days ago, at start-up and then daily (off when undefined). */
  retainDays?: number;
  /** How often budgets are checked for thresholds that running sessions cross with time alone (ms; default 10 s). */
  budgetCheckMs?: number;
  /** Where budget notifications are sent (POSTed, signed with the secret); without it they are recorded and logged only. */
  webhook?: WebhookTarget;
  /** The wait after a notification's first failed delivery, doubling after each (default 1 s); short in tests. */
  webhookRetryBaseMs?: number;
  /** The log's level (default info); ignored when `logger` is given. */
  logLevel?: LogLevel;
  logger?: Logger;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  store: Store;
  logger: Logger;
  /** Budget notifications, as operations get them (ctx.notifications). */
  notifications: BudgetNotifications;
  close(): Promise<void>;
}

/** How often budgets are checked for thresholds crossed with time alone (running sessions): a few seconds late at most. */
const DEFAULT_BUDGET_CHECK_MS = 10_000;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** The address to listen on: an IPv6 address as URLs write it (`[::1]`) without its brackets. */
export const listenHost = (host: string): string => /^\[[^\]]*\]$/.test(host) ? host.slice(1, -1) : host;

/**
 * The embedded engine's own offers to the command line, here so that nothing but this file
 * imports an engine (test/architecture.test.ts): its default memory limit, and backups of a
 * data folder no server is using.
 */
// The defaults are in domain/, where the command line reads them without loading the server.
export { DEFAULT_GROUP_COMMIT_BYTES, DEFAULT_MAX_BATCH_BYTES, DEFAULT_MAX_BATCH_RECORDS, DEFAULT_PUBLIC_RATE_LIMIT, DEFAULT_UPLOADS_PER_CLIENT };

export const embeddedEngine = {
  defaultMemoryLimit: DEFAULT_MEMORY_LIMIT,
  /** The data file's name in a data folder. */
  dataFile: DATA_FILE,
  /** Copies a stopped data folder into a new data file (`target`); answers the sessions copied. */
  backupFolder: backupStoppedFolder,
  /** Opens a copied data file read-only and counts its sessions. */
  countSessions: countBackupSessions,
  /** Opens a data folder's store (`readOnly`: only to read a folder no server is using, as `farmtally copy` reads its source). */
  openStore: (dataDir: string, options: { readOnly?: boolean; log?: (line: string) => void } = {}): Promise<Store> => openDuckDbStore({ dataDir, ...options }),
} as const;

/** The cluster engine's offers to the command line (`farmtally migrate`, `farmtally copy`), here for the same reason. */
export const clusterEngine = {
  /** Creates or upgrades the schema on every shard and in PostgreSQL; answers what it did. */
  migrate: async (...args: Parameters<typeof import('./store/cluster/index.js').migrateCluster>) => (await clusterModule()).migrateCluster(...args),
  /** Opens a cluster's store; refused, saying to run `farmtally migrate`, while its schema is not in place. */
  openStore: (options: ClusterEngineOptions & { readOnly?: boolean; log?: (line: string) => void }): Promise<Store> => clusterModule().then((cluster) => cluster.openClusterStore(options)),
} as const;

/** A body slower than this on average (after twice the body timeout) is refused: a trickle, not a slow link. */
const MIN_BODY_BYTES_PER_SECOND = 8 * 1024;
/** A gzip body may not inflate more than this many times (record files do about tenfold). */
const MAX_GZIP_INFLATION = 200;
/** How long a large ingest batch waits for a slot before it is throttled. */
const BATCH_SLOT_WAIT_MS = 10_000;
/** Ingest bodies arriving at once, everyone's: each holds up to --group-commit-bytes of memory, or a spool file. */
const MAX_UPLOADS = 256;
/** How long stopping waits for requests under way (commits, aggregations' answers) before it closes their connections. */
const STOP_GRACE_MS = 30_000;

export function loadRateCard(file: string | undefined): RateCard {
  if (!file) return DEFAULT_RATE_CARD;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the pricing file ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const card = parseRateCard(json);
  if ('errors' in card) throw new Error(`the pricing file ${file} is not valid:\n  - ${card.errors.join('\n  - ')}`);
  return card;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const auth = options.auth ?? 'open';
  // Checked as it is listened on: `[::1]` is `::1`, and passes only because it is.
  const host = listenHost(options.host);
  if (auth === 'open' && !LOOPBACK.test(host)) {
    throw new Error(`open mode (no authentication) only listens on a loopback address, not ${options.host}. Use --host 127.0.0.1, or --auth sigv4 --credentials FILE to let in only signed requests.`);
  }
  const https = options.tls ? readTls(options.tls) : undefined;
  const logger = options.logger ?? createLogger(options.logLevel);
  if (!https && !LOOPBACK.test(host)) logger.warn(`serving plain HTTP on ${options.host}: signatures stop forged requests, not eavesdroppers; add --tls-cert and --tls-key`);
  const settings: ServerSettings = {
    strict: options.strict ?? false,
    rateCard: loadRateCard(options.pricingFile),
    aggregationTtlMs: (options.aggregationTtlSeconds ?? DEFAULT_AGGREGATION_TTL_SECONDS) * 1000,
    maxResultRows: options.maxResultRows ?? 1_000_000,
    aggregationTimeoutMs: (options.aggregationTimeoutSeconds ?? DEFAULT_AGGREGATION_TIMEOUT_SECONDS) * 1000,
    bulkIngest: options.bulkIngest ?? true,
    maxBatchRecords: options.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS,
    groupCommitBytes: options.groupCommitBytes ?? DEFAULT_GROUP_COMMIT_BYTES,
  };
  const bodyPace = { idleMs: (options.bodyTimeoutSeconds ?? 30) * 1000, minBytesPerSecond: MIN_BODY_BYTES_PER_SECOND };
  const stopping = new AbortController();
  const log = options.log ?? ((line: string) => logger.info(line));
  const access = new Access({
    mode: auth,
    credentialsFile: options.credentialsFile,
    knownActions: OPERATIONS.map((op) => `deadline:${op.name}`),
    rateLimit: options.rateLimit,
    streamingRoutes: streamingRoutesOf(OPERATIONS),
    publicRoutes: [...HEALTH_PUBLIC_ROUTES, ...WEB_PUBLIC_ROUTES],
    publicRateLimit: options.publicRateLimit ?? DEFAULT_PUBLIC_RATE_LIMIT,
    log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) },
  });
  const store = options.cluster
    ? await (await clusterModule()).openClusterStore({
        ...options.cluster, log, leaseMs: options.leaseMs, traceGroupCommits: options.traceIngest ? log : undefined, traceAggregations: options.traceAggregations ? log : undefined,
      })
    : await openDuckDbStore({
        dataDir: options.dataDir,
        memoryLimit: options.memoryLimit,
        threads: options.threads,
        log,
        warn: options.log ?? ((line: string) => logger.error(line)),
        traceAggregations: options.traceAggregations ? log : undefined,
        traceGroupCommits: options.traceIngest ? log : undefined,
        traceCheckpoints: options.traceIngest ? log : undefined,
        spoolDir: options.spoolDir,
      });
  await store.failExpiredAggregations(CUT_SHORT);
  // Before the server listens: nothing past retention is served, even for a moment.
  const retention = options.retainDays ? new Retention(store, options.retainDays, logger) : undefined;
  await retention?.start();
  const tokens = new PageTokens(await store.serverSecret());
  const aggregations = new AggregationRunner(store, { maxRows: settings.maxResultRows, timeoutMs: settings.aggregationTimeoutMs }, log, {
    owner: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
    ttlMs: options.leaseMs ?? DEFAULT_LEASE_MS,
  });
  aggregations.startSweeping(Date.now, settings.aggregationTtlMs);
  const notifications = new BudgetNotifier(store, logger, options.webhook, options.webhookRetryBaseMs === undefined ? {} : { retryBaseMs: options.webhookRetryBaseMs });
  const budgets = new BudgetTracker({
    store,
    rateCard: settings.rateCard,
    timeoutMs: settings.aggregationTimeoutMs,
    now: Date.now,
    // Recorded once, logged, and delivered to --webhook (budgets/notifications.ts).
    publish: (events) => notifications.publish(events),
    log,
  });
  budgets.startSweeping(options.budgetCheckMs ?? DEFAULT_BUDGET_CHECK_MS);
  const concurrentBatches = options.concurrentBatches ?? 4;
  const ingestSlots = {
    uploads: new BatchSlots({ size: MAX_UPLOADS, perClient: options.uploadsPerClient ?? DEFAULT_UPLOADS_PER_CLIENT, waitMs: 0, what: 'ingest bodies arriving' }),
    // A client past its share of the slots waits its turn like everyone (a render manager's
    // host posts for many workers), with at most as many waiting as it may have uploading;
    // while no one else waits it may use them all.
    batches: new BatchSlots({
      size: concurrentBatches,
      perClient: options.batchesPerClient ?? Math.max(1, Math.floor(concurrentBatches / 2)),
      waitMs: BATCH_SLOT_WAIT_MS,
      waitingPerClient: options.uploadsPerClient ?? DEFAULT_UPLOADS_PER_CLIENT,
      lendIdle: true,
      what: 'large batches being ingested',
    }),
  };
  const trace = options.traceIngest ? log : undefined;
  // In open mode every caller is `farmtally`: only the address tells clients apart.
  const clientsOf = (caller: string, address: string) => (auth === 'sigv4' ? [`address:${address}`, `principal:${caller}`] : [`address:${address}`]);
  const context = (caller: string, grantedFarms: FarmGrant, requestId: string, address: string): OperationContext => ({
    store, settings, tokens, aggregations, budgets, notifications, ingestSlots, clients: clientsOf(caller, address), caller, grantedFarms, requestId, trace, now: Date.now,
    log: (fields, message) => logger.info({ requestId, principal: caller, ...fields }, message),
  });
  const app = await buildApp({
    // Under --strict the extensions are not served: their routes answer as unknown operations.
    operations: settings.strict ? OPERATIONS.filter((op) => !op.extension) : OPERATIONS,
    context,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    bodyPace,
    stopping: stopping.signal,
    access,
    logger,
    https,
    payloadLimits: { ...bodyPace, maxBytes: options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES, maxInflation: MAX_GZIP_INFLATION },
    plugins: [healthRoute(() => store.health()), webRoute({ auth, strict: settings.strict })],
    onInternalError: (err, request) => request.log.error({ err }, `internal error on ${request.method} ${loggablePath(request)}`),
  });
  let address: string;
  try {
    address = await app.listen({ host, port: options.port });
  } catch (err) {
    access.close();
    await budgets.stop();
    await retention?.stop();
    await store.close();
    throw err;
  }
  // What was left undelivered by the last run goes first.
  notifications.start();
  const port = new URL(address).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${https ? 'https' : 'http'}://${hostInUrl}:${port}`,
    app,
    store,
    logger,
    notifications,
    async close() {
      // Bodies still arriving are refused whole, new requests too; what is past its body
      // (a commit, say) finishes and answers, unless it takes longer than the grace.
      stopping.abort();
      access.close();
      const grace = setTimeout(() => app.server.closeAllConnections(), STOP_GRACE_MS);
      try {
        await app.close();
      } finally {
        clearTimeout(grace);
      }
      await aggregations.drain();
      await budgets.stop();
      await notifications.stop();
      await retention?.stop();
      await store.close();
    },
  };
}
