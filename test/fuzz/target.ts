// The server a fuzz run hammers, as one object: sends a generated request and collects the
// answer (or the lack of one), and checks the process after each case: still running, still
// answering, resident memory (VmRSS of the server's process) under its bound. A broken
// promise throws a FuzzFailure that carries the reproduction.
import { readFileSync } from 'node:fs';
import type { Farmtally } from '../support/server.js';
import { answersListFarms } from './fixture.js';
import type { FuzzRequest } from './framing.js';
import { NoAnswer, sendRaw, type RawHttpResponse } from './raw-http.js';
import { describeAnswer, describeRequest } from './reproduction.js';

/** How long a request may go unanswered before that counts as a hang. */
export const ANSWER_WITHIN_MS = Number(process.env.FUZZ_ANSWER_MS ?? 10_000);
/** How far the server's resident memory may grow past what it used once set up. */
export const RSS_GROWTH_MIB = Number(process.env.FUZZ_RSS_GROWTH_MB ?? 512);

export type Answer = RawHttpResponse | NoAnswer;

export class FuzzFailure extends Error {
  constructor(problems: string[], request: FuzzRequest | undefined, answer: Answer | undefined, context: string[] = []) {
    const parts = [`broken: ${problems.join('; ')}`, ...context];
    if (request) parts.push(`generated as: ${request.notes.join('; ')}`, describeRequest(request.raw), describeAnswer(answer));
    super(parts.join('\n'));
  }
}

/** The process's resident memory in MiB (VmRSS), or 0 once it has gone. */
export function residentMiB(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  } catch {
    return 0;
  }
}

export class FuzzTarget {
  readonly baselineMiB: number;
  peakMiB: number;
  /** Resident memory when the last request went out: what the case added is told apart from what came before. */
  beforeMiB = 0;
  cases = 0;

  constructor(readonly server: Farmtally) {
    this.baselineMiB = residentMiB(this.pid);
    this.peakMiB = this.baselineMiB;
  }

  get pid(): number {
    return this.server.process.pid!;
  }

  get url(): string {
    return this.server.url;
  }

  get limitMiB(): number {
    return this.baselineMiB + RSS_GROWTH_MIB;
  }

  /** Over the bound already: resident memory is rarely given back, so later cases would all fail for it. */
  overBound(): boolean {
    return residentMiB(this.pid) > this.limitMiB;
  }

  async send(request: FuzzRequest, timeoutMs = ANSWER_WITHIN_MS): Promise<Answer> {
    this.cases++;
    this.beforeMiB = residentMiB(this.pid);
    try {
      return await sendRaw(this.url, request.raw, timeoutMs);
    } catch (err) {
      if (err instanceof NoAnswer) return err;
      throw err;
    }
  }

  /** The server's last log lines: what it said about an internal error. */
  logTail(): string {
    const lines = this.server.output().trimEnd().split('\n');
    return `server log, last lines:\n    ${lines.slice(-12).join('\n    ').slice(-3000)}`;
  }

  /** The server process is still running. */
  alive(): boolean {
    const child = this.server.process;
    return child.exitCode === null && child.signalCode === null;
  }

  /** What is wrong with the process now: exited, not answering, or over its memory bound. */
  async health(): Promise<string[]> {
    const probe = await answersListFarms(this.url);
    // A process that died under the request is the finding, whatever the probe says.
    await new Promise((resolve) => setTimeout(resolve, probe ? 100 : 0));
    const child = this.server.process;
    if (!this.alive()) {
      return [`the server exited (code ${child.exitCode}, signal ${child.signalCode}); its output ends:\n${this.server.output().slice(-3000)}`];
    }
    const problems = probe ? [probe] : [];
    const rss = residentMiB(this.pid);
    this.peakMiB = Math.max(this.peakMiB, rss);
    if (rss > this.limitMiB) {
      problems.push(`the server's resident memory is ${Math.round(rss)} MiB (${Math.round(this.beforeMiB)} MiB before this case), past ${Math.round(this.limitMiB)} MiB (${Math.round(this.baselineMiB)} MiB once set up + ${RSS_GROWTH_MIB})`);
    }
    return problems;
  }
}
