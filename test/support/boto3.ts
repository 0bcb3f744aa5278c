// boto3 as a second, independent client (SPEC section 10), shared by the boto3 tests. Picks
// a Python whose boto3 knows Deadline Cloud (current releases ship the model), and runs a
// script there that prints one JSON object. Only an older boto3 (Debian's 1.26) needs the
// published model on botocore's search path; the model is not in this repository, so that
// fallback takes it from FARMTALLY_MODELS_DIR (botocore's own layout, as a current botocore
// ships it, or the files as published), or ../shared/reference beside the repository where
// there is one. Without either, the tests are skipped saying why, unless
// FARMTALLY_REQUIRE_BOTO3=1 (CI), where that fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The Pythons tried, in order: FARMTALLY_PYTHON alone if set, else the one on PATH, then Debian's. */
const CANDIDATES = process.env.FARMTALLY_PYTHON ? [process.env.FARMTALLY_PYTHON] : ['python3', '/usr/bin/python3'];
/**
 * Either a botocore search path (deadline/2023-10-12/service-2.json or .json.gz, and
 * paginators-1.json) or a folder with the files as published (deadline-2023-10-12.service-2.json...).
 */
const MODELS = resolve(process.env.FARMTALLY_MODELS_DIR ?? join(REPO, '..', 'shared', 'reference'));
const MODEL_FILES = { 'service-2.json': 'deadline-2023-10-12.service-2.json', 'paginators-1.json': 'deadline-2023-10-12.paginators-1.json' };
const LAID_OUT = join(MODELS, 'deadline', '2023-10-12');
const PROBE = "import json, boto3, botocore.session; print(json.dumps({'version': boto3.__version__, 'deadline': 'deadline' in botocore.session.get_session().get_available_services()}))";

interface Boto3Python {
  python: string;
  version: string;
  /** Whether this boto3 needs the model laid out (it predates Deadline Cloud). */
  needsModels: boolean;
}

/** What each candidate has: its boto3, or why it has none. */
function probe(python: string): { version: string; deadline: boolean } | string {
  const run = spawnSync(python, ['-c', PROBE], { encoding: 'utf8' });
  if (run.error || run.status !== 0) return `${python} has no boto3 (${run.error?.message ?? run.stderr.trim().split('\n').at(-1)})`;
  return JSON.parse(run.stdout) as { version: string; deadline: boolean };
}

const searchPathGiven = () => ['service-2.json', 'service-2.json.gz'].some((f) => existsSync(join(LAID_OUT, f))) && existsSync(join(LAID_OUT, 'paginators-1.json'));
const modelsPresent = () => searchPathGiven() || Object.values(MODEL_FILES).every((f) => existsSync(join(MODELS, f)));

/** The boto3 to use, or why there is none. */
function findBoto3(): Boto3Python | string {
  const found = CANDIDATES.map((python) => ({ python, seen: probe(python) }));
  const current = found.find(({ seen }) => typeof seen !== 'string' && seen.deadline);
  if (current) return { python: current.python, version: (current.seen as { version: string }).version, needsModels: false };
  const old = found.find(({ seen }) => typeof seen !== 'string');
  if (old && modelsPresent()) return { python: old.python, version: (old.seen as { version: string }).version, needsModels: true };
  const what = found.map(({ python, seen }) => (typeof seen === 'string' ? seen : `${python} has boto3 ${seen.version}, from before Deadline Cloud`));
  return `no boto3 that knows Deadline Cloud: ${what.join('; ')}. Install a current boto3 (pip install boto3), or give an older one the model files in ${MODELS} (FARMTALLY_MODELS_DIR names the folder)`;
}

const boto3 = findBoto3();

export interface Boto3Gate {
  /** For `test(name, { skip }, ...)`: the reason to skip, or false to run. */
  skip: string | false;
  /** Call first in the test: fails when boto3 is required (FARMTALLY_REQUIRE_BOTO3=1) but missing. */
  assertAvailable(): void;
}

export function boto3Gate(): Boto3Gate {
  const why = typeof boto3 === 'string' ? boto3 : undefined;
  const required = process.env.FARMTALLY_REQUIRE_BOTO3 === '1';
  return {
    skip: why && !required ? why : false,
    assertAvailable: () => assert.equal(why, undefined, `boto3 is required here (FARMTALLY_REQUIRE_BOTO3=1) but there is ${why}`),
  };
}

let laidOut: string | undefined;

/** The search-path layout botocore expects, <dir>/deadline/2023-10-12/service-2.json: as given, or made once and removed at exit. */
function modelsSearchPath(): string {
  if (searchPathGiven()) return MODELS;
  if (laidOut) return laidOut;
  const root = mkdtempSync(join(tmpdir(), 'farmtally-models-'));
  const dir = join(root, 'deadline', '2023-10-12');
  mkdirSync(dir, { recursive: true });
  for (const [name, published] of Object.entries(MODEL_FILES)) copyFileSync(join(MODELS, published), join(dir, name));
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
  return (laidOut = root);
}

/**
 * Runs test/support/<script> with `args`, `input` on stdin; answers the JSON it prints. An
 * older boto3 finds the laid-out model through FARMTALLY_BOTO3_MODELS (boto3_models.py).
 */
export function runBoto3Script(script: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): any {
  assert.ok(typeof boto3 !== 'string', boto3 as string);
  const run = spawnSync(boto3.python, [join(REPO, 'test', 'support', script), ...args], {
    encoding: 'utf8',
    input: options.input,
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, FARMTALLY_BOTO3_MODELS: boto3.needsModels ? modelsSearchPath() : '' },
  });
  assert.equal(run.status, 0, `boto3 ${boto3.version} (${boto3.python}) script ${script} failed (status ${run.status}, signal ${run.signal}):\n${run.stderr}\n${run.error?.message ?? ''}`);
  return JSON.parse(run.stdout);
}
