// Starts the real server as a child process (`farmtally serve --port 0`) on a fresh data
// folder, and gives tests the official SDK client and a raw HTTP helper pointed at it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeadlineClient } from '@aws-sdk/client-deadline';

export const BIN = new URL('../../bin/farmtally.js', import.meta.url).pathname;

export interface Farmtally {
  url: string;
  dataDir: string;
  client: DeadlineClient;
  process: ChildProcess;
  output(): string;
  /** stdout alone (the listening line, nothing else). */
  stdout(): string;
  /** SIGTERM, then waits for the exit code. The data folder stays unless `clean`. */
  stop(clean?: boolean): Promise<number | null>;
}

export function newDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'farmtally-test-'));
}

/** Reads a stopped server's data file (read-only): `query` gives each statement's rows as JSON values. */
export async function readDataFile<T>(dataDir: string, read: (query: (sql: string) => Promise<unknown[]>) => Promise<T>): Promise<T> {
  // The engine's package is loaded here, by the tests that read a data file, not by every test that starts a server.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(join(dataDir, 'farmtally.duckdb'), { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    return await read(async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJson());
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export function sdkClient(url: string): DeadlineClient {
  return new DeadlineClient({
    endpoint: url,
    region: 'us-west-2',
    disableHostPrefix: true,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
    maxAttempts: 1,
  });
}

/** `env` adds to the server's environment (FARMTALLY_INGEST_FAST_PATH, FARMTALLY_INGEST_TRACE). */
export async function startFarmtally(options: { args?: string[]; dataDir?: string; env?: Record<string, string> } = {}): Promise<Farmtally> {
  const dataDir = options.dataDir ?? newDataDir();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data', dataDir, ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  let output = '';
  let stdout = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${output}`)), 30_000);
    const onData = () => {
      const m = /farmtally listening on (https?:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    url,
    dataDir,
    client: sdkClient(url),
    process: child,
    output: () => output,
    stdout: () => stdout,
    async stop(clean = true) {
      child.kill('SIGTERM');
      const code = await exited;
      if (clean) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** A plain HTTP request, for what the SDK cannot send (malformed JSON, unknown routes). */
export async function http(url: string, method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return readResponse(await fetch(url + path, { method, body: options.body, headers: { 'content-type': 'application/json', ...options.headers } }));
}

/** A fetch answer with its body read, and parsed when it is JSON. */
export async function readResponse(res: Response): Promise<RawResponse> {
  const text = await res.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}
