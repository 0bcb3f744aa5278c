// boto3 as a second, independent client (SPEC section 10), shared by the boto3 tests: finds
// a Python with boto3 and the Deadline Cloud model, lays the model out where botocore looks
// for it, and runs a script that prints one JSON object. A test is skipped, saying why, when
// boto3 or the model is missing, unless FARMTALLY_REQUIRE_BOTO3=1 (CI), where that fails.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const PYTHON = process.env.FARMTALLY_PYTHON ?? '/usr/bin/python3';
/** A folder with the model files as published: deadline-2023-10-12.service-2.json and .paginators-1.json. */
export const MODELS = resolve(process.env.FARMTALLY_MODELS_DIR ?? join(REPO, '..', 'shared', 'reference'));
const MODEL_FILES = { 'service-2.json': 'deadline-2023-10-12.service-2.json', 'paginators-1.json': 'deadline-2023-10-12.paginators-1.json' };

/** Why boto3 cannot run here, or undefined when it can. */
export function boto3Missing(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import boto3'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    return `boto3 is not importable by ${PYTHON} (${probe.error?.message ?? probe.stderr.trim()}); install it with apt-get install -y python3-boto3`;
  }
  const absent = Object.values(MODEL_FILES).filter((f) => !existsSync(join(MODELS, f)));
  if (absent.length) return `the Deadline Cloud model is missing from ${MODELS} (${absent.join(', ')}); set FARMTALLY_MODELS_DIR to a folder that has it`;
  return undefined;
}

export interface Boto3Gate {
  /** For `test(name, { skip }, ...)`: the reason to skip, or false to run. */
  skip: string | false;
  /** Call first in the test: fails when boto3 is required (FARMTALLY_REQUIRE_BOTO3=1) but missing. */
  assertAvailable(): void;
}

export function boto3Gate(): Boto3Gate {
  const why = boto3Missing();
  const required = process.env.FARMTALLY_REQUIRE_BOTO3 === '1';
  return {
    skip: why && !required ? why : false,
    assertAvailable: () => assert.equal(why, undefined, `boto3 is required here (FARMTALLY_REQUIRE_BOTO3=1) but ${why}`),
  };
}

/** The search-path layout botocore expects: <dir>/deadline/2023-10-12/service-2.json. The caller removes it. */
export function layOutModels(): string {
  const root = mkdtempSync(join(tmpdir(), 'farmtally-models-'));
  const dir = join(root, 'deadline', '2023-10-12');
  mkdirSync(dir, { recursive: true });
  for (const [laidOut, published] of Object.entries(MODEL_FILES)) copyFileSync(join(MODELS, published), join(dir, laidOut));
  return root;
}

/** Runs test/support/<script> with `args`, `input` on stdin; answers the JSON it prints. */
export function runBoto3Script(script: string, args: string[], options: { input?: string; timeoutMs?: number } = {}): any {
  const run = spawnSync(PYTHON, [join(REPO, 'test', 'support', script), ...args], {
    encoding: 'utf8',
    input: options.input,
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(run.status, 0, `boto3 script ${script} failed (status ${run.status}, signal ${run.signal}):\n${run.stderr}\n${run.error?.message ?? ''}`);
  return JSON.parse(run.stdout);
}
