// Checks an answer's JSON body against the output shape the published API model gives its
// operation: every required member there, no member the model does not have, each value of
// the model's type, enum and list bounds. The model is not in this repository: it is read
// from FARMTALLY_MODELS_DIR or ../shared/reference beside it (as test/support/boto3.ts does);
// `modelSkip` says why a test cannot run without it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const MODEL_FILE = join(resolve(process.env.FARMTALLY_MODELS_DIR ?? join(REPO, '..', 'shared', 'reference')), 'deadline-2023-10-12.service-2.json');

interface ModelShape {
  type: string;
  members?: Record<string, { shape: string; location?: string }>;
  required?: string[];
  member?: { shape: string };
  value?: { shape: string };
  enum?: string[];
  min?: number;
  max?: number;
  union?: boolean;
}
interface Model {
  operations: Record<string, { output?: { shape: string } }>;
  shapes: Record<string, ModelShape>;
}

export const modelSkip: string | false = existsSync(MODEL_FILE) ? false : `the API model is not at ${MODEL_FILE} (set FARMTALLY_MODELS_DIR)`;
let model: Model | undefined;
const loaded = (): Model => (model ??= JSON.parse(readFileSync(MODEL_FILE, 'utf8')) as Model);

function check(shapeName: string, value: unknown, path: string): void {
  const shape = loaded().shapes[shapeName]!;
  const where = `${path || 'body'} (${shapeName})`;
  switch (shape.type) {
    case 'structure': {
      assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `${where} is an object`);
      const members = shape.members ?? {};
      const body = Object.fromEntries(Object.entries(members).filter(([, m]) => m.location === undefined));
      for (const name of shape.required ?? []) if (body[name]) assert.ok(name in (value as object), `${where} has required ${name}`);
      const present = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== null && v !== undefined);
      for (const [name, v] of present) {
        assert.ok(body[name], `${where} has no member ${name} in the model`);
        check(body[name]!.shape, v, path ? `${path}.${name}` : name);
      }
      if (shape.union) assert.equal(present.length, 1, `${where} is a union: exactly one member`);
      return;
    }
    case 'list':
      assert.ok(Array.isArray(value), `${where} is a list`);
      if (shape.min !== undefined) assert.ok(value.length >= shape.min, `${where} has at least ${shape.min}`);
      if (shape.max !== undefined) assert.ok(value.length <= shape.max, `${where} has at most ${shape.max}`);
      value.forEach((v, i) => check(shape.member!.shape, v, `${path}.${i + 1}`));
      return;
    case 'map':
      assert.ok(value !== null && typeof value === 'object', `${where} is a map`);
      for (const [k, v] of Object.entries(value as object)) check(shape.value!.shape, v, `${path}.${k}`);
      return;
    case 'string':
      assert.equal(typeof value, 'string', `${where} is a string`);
      if (shape.enum) assert.ok(shape.enum.includes(value as string), `${where}: ${String(value)} is one of ${shape.enum.join(', ')}`);
      return;
    case 'timestamp':
      assert.ok(typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value), `${where} is an ISO 8601 UTC timestamp: ${String(value)}`);
      return;
    case 'integer':
    case 'long':
      assert.ok(Number.isInteger(value), `${where} is an integer`);
      return;
    case 'float':
    case 'double':
      assert.equal(typeof value, 'number', `${where} is a number`);
      return;
    case 'boolean':
      assert.equal(typeof value, 'boolean', `${where} is a boolean`);
      return;
    default:
      assert.fail(`${where}: no check for the model's type ${shape.type}`);
  }
}

/** Fails unless `body` is what the model says `operation` answers. */
export function assertModelOutput(operation: string, body: unknown): void {
  const output = loaded().operations[operation]?.output?.shape;
  assert.ok(output, `the model has operation ${operation}`);
  check(output, body ?? {}, '');
}
