// The farm the page is measured on, made the way a user makes one: a server of the real CLI
// on a temporary data folder, filled by `farmtally demo` run as a command, then started
// again with the rate card the demo wrote (`serve --pricing`), so costs are not 0. The
// link the demo printed last is the query measured.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { BIN, startServer, type BenchServer } from '../server.js';

export interface DemoFarm {
  server: BenchServer;
  /** The demo's link, on the restarted server's address. */
  link: string;
}

/** The last line of `farmtally demo` that is a URL: the usage explorer's link to the farm's year. */
export function lastLink(stdout: string): string {
  const links = stdout.split('\n').map((l) => l.trim()).filter((l) => /^https?:\/\/\S+$/.test(l));
  if (links.length === 0) throw new Error(`farmtally demo printed no link:\n${stdout}`);
  return links.at(-1)!;
}

/** Runs `farmtally demo` against `url`, its progress lines passed to `log`; resolves to what it printed on stdout. */
function runDemo(url: string, sessions: number, pricingFile: string, log: (line: string) => void): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'demo', '--endpoint', url, '--sessions', String(sessions), '--pricing-out', pricingFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let stdout = '';
  const stderr: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderr.push(line);
    log(`farmtally demo: ${line}`);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`farmtally demo exited with ${code}:\n${stderr.join('\n')}`))));
  });
}

/** A server holding the demo farm with `sessions` sessions, priced; the caller stops it. */
export async function demoFarm(workDir: string, sessions: number, log: (line: string) => void): Promise<DemoFarm> {
  const dataDir = join(workDir, 'data');
  const pricing = join(workDir, 'demo-pricing.json');
  log('starting a server to fill');
  const filling = await startServer(dataDir);
  let printed: string;
  try {
    log(`filling a demo farm with ${sessions} sessions (farmtally demo --endpoint ${filling.url} --sessions ${sessions})`);
    printed = await runDemo(filling.url, sessions, pricing, log);
  } finally {
    await filling.stop();
  }
  log('starting the server again with the rate card the demo wrote (serve --pricing)');
  const server = await startServer(dataDir, ['--pricing', pricing]);
  // The demo named the first server's port; the same query on the new one.
  const printedUrl = new URL(lastLink(printed));
  return { server, link: `${server.url}${printedUrl.pathname}${printedUrl.search}` };
}
