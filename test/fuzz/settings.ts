// How much fuzzing a run does and from which seed: a fixed default seed so `npm test` is
// repeatable, overridden by FUZZ_SEED / FUZZ_RUNS (or `npm run fuzz -- --seed S`), and the
// line to paste to replay a failure.

/** The default seed of every fuzz property in `npm test`; a failure prints the seed it ran with. */
export const DEFAULT_FUZZ_SEED = 20261130;

export interface FuzzRunSettings {
  seed: number;
  runs: number;
}

function envInteger(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be a whole number, not ${JSON.stringify(text)}`);
  return n;
}

/** The seed and number of runs for one property: FUZZ_SEED and FUZZ_RUNS when set, else the defaults. */
export function fuzzRunSettings(defaultRuns: number): FuzzRunSettings {
  return { seed: envInteger('FUZZ_SEED') ?? DEFAULT_FUZZ_SEED, runs: envInteger('FUZZ_RUNS') ?? defaultRuns };
}

/** How to run the same cases again, for failure messages. */
export function replayHint(settings: FuzzRunSettings, testFile: string): string {
  return `replay with: FUZZ_SEED=${settings.seed} FUZZ_RUNS=${settings.runs} npm test -- ${testFile}`;
}

/**
 * How fuzz servers are started: the engine's buffer pool capped well below the memory bound
 * (target.ts), so resident memory past it is the process's own doing, not cached data.
 */
/** The fuzz servers' --body-timeout: a stalled body is answered within it (and the stall tests wait a few times as long). */
export const FUZZ_BODY_TIMEOUT_S = 3;
export const FUZZ_SERVER_ARGS = ['--memory-limit', '256MB', '--body-timeout', String(FUZZ_BODY_TIMEOUT_S)];
