// Runs the `farmtally` command as a user would (a child process of bin/farmtally.js) and
// collects its exit code, stdout and stderr; and finds a port where nothing listens.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { BIN } from './server.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function farmtally(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** A loopback port that was free a moment ago: connecting to it is refused. */
export function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
