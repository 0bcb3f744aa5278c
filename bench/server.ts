// The server under test: the real CLI (`bin/farmtally.js serve --port 0`) as a child process,
// as users run it, with its peak memory sampled from /proc while it works.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = new URL('..', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin/farmtally.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** bin/farmtally.js runs dist/: rebuild it when the sources are newer, so the bench measures them. */
export function ensureBuilt(log: (line: string) => void): void {
  let built = 0;
  try {
    built = statSync(join(ROOT, 'dist/cli/main.js')).mtimeMs;
  } catch {
    // not built yet
  }
  if (built >= newestMtime(join(ROOT, 'src'))) return;
  log('building dist/ (the sources are newer than the build)');
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) log('warning: the build reported errors; measuring what it emitted');
}

/** Resident memory of a process, from /proc (Linux): current and peak (VmHWM), in MiB. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc's CPU times (USER_HZ): 100 on Linux unless getconf says otherwise. */
let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    ticksPerSecond = Number(r.stdout?.trim()) || 100;
  }
  return ticksPerSecond;
}

/** CPU seconds a process has used so far, user + system, from /proc/<pid>/stat (every thread's: DuckDB's too). */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name, in brackets, may hold spaces: the fields are counted from its end.
    // After it come state (field 3) ... utime (14) and stime (15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return undefined;
  }
}

/**
 * Sets a process's peak resident memory (VmHWM) back to its current size (Linux: `5` into
 * /proc/<pid>/clear_refs), so a later peak is that of the work in between. False if refused.
 */
export function resetPeakMemory(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface BenchServer {
  url: string;
  pid: number;
  /** The highest VmHWM seen so far (sampled every 250 ms and on demand). */
  peakMiB(): number;
  /** SIGTERM, then waits for the exit; a server still running after `killAfterMs` (default 60 s) is killed, and the answer says so. */
  stop(killAfterMs?: number): Promise<{ killed: boolean }>;
}

export async function startServer(dataDir: string, args: string[] = []): Promise<BenchServer> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data', dataDir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start in 60 s:\n${output}`)), 60_000);
    child.stdout!.on('data', () => {
      const m = /farmtally listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before listening:\n${output}`));
    });
  });
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, memoryOf(child.pid!)?.peakMiB ?? 0);
    return peak;
  };
  const sampler = setInterval(sample, 250);
  return {
    url,
    pid: child.pid!,
    peakMiB: sample,
    async stop(killAfterMs = 60_000) {
      sample();
      clearInterval(sampler);
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const killed = await Promise.race([exited.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), killAfterMs)))]);
      clearTimeout(timer);
      if (killed) {
        process.stderr.write(`the server (pid ${child.pid}) was still running ${killAfterMs / 1000} s after SIGTERM: killed\n`);
        child.kill('SIGKILL');
        await exited;
      }
      if (/internal error|failed:/i.test(output)) process.stderr.write(`server output:\n${output}\n`);
      return { killed };
    },
  };
}
