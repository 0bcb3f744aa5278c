// The server's defaults that the command line needs before it starts anything: serve's
// --help and option defaults, and the data file's name that backup and copy check a folder
// for. They live here, apart from server.ts, so that a command which starts no server
// (farms list, stats, --help) does not load one: the engines and the HTTP framework are
// half a second of CPU at every start.

export const DEFAULT_MAX_BATCH_RECORDS = 1_000_000;
export const DEFAULT_MAX_BATCH_BYTES = 512 * 1024 * 1024;
/** The largest ingest body written by group commit: a continuous feed posts a few KB; 1 MiB holds a few thousand records. */
export const DEFAULT_GROUP_COMMIT_BYTES = 1024 * 1024;
/**
 * Public requests per second per client address unless --public-rate-limit says otherwise:
 * a page load is five of them and a load balancer asks every few seconds, while a flood
 * from one address gets at most this many cheap answers a second.
 */
export const DEFAULT_PUBLIC_RATE_LIMIT = 20;
export const DEFAULT_UPLOADS_PER_CLIENT = 32;

/** The embedded engine's data file's name in a data folder. */
export const DATA_FILE = 'farmtally.duckdb';
/**
 * The embedded engine's memory limit unless --memory-limit says otherwise. The process needs
 * a few hundred MB beside it (Node, the engine's own structures); BENCHMARKS.md has what a
 * server holding 10 M sessions took with this limit.
 */
export const DEFAULT_MEMORY_LIMIT = '1.5GB';
