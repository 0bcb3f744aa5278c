// The one generic validator: walks a shape declaration beside a decoded JSON value and
// returns the typed value plus every failure found (failures are values, not exceptions;
// the caller turns them into a single ValidationException). Messages follow the AWS
// "Value ... at 'path' failed to satisfy constraint: ..." style so SDK users recognise them.

import { parseIsoTimestamp } from '../../domain/iso-time.js';
import type { FieldFailure } from '../errors.js';
import type { Infer, ListShape, MapShape, Members, NumberShape, Shape, StringShape } from './shapes.js';

export interface Validated<T> {
  value: T;
  failures: FieldFailure[];
}

const anchored = new Map<string, RegExp>();
function wholeMatch(pattern: string): RegExp {
  let re = anchored.get(pattern);
  if (!re) anchored.set(pattern, (re = new RegExp(`^(?:${pattern})$`)));
  return re;
}

/** Length as Smithy counts it: Unicode code points. */
function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * Whether counting code points could break the bounds. A string has between length/2 and
 * length code points, so most strings are settled without counting (ingest checks millions).
 */
function lengthInDoubt(s: string, min: number | undefined, max: number | undefined): boolean {
  return (max !== undefined && s.length > max) || (min !== undefined && s.length / 2 < min);
}

/** ES2024's String.prototype.isWellFormed (Node 20 has it; the TypeScript lib here is ES2023). */
const isWellFormed = (s: string) => (s as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * Where `s` holds half of a surrogate pair alone, or -1. UTF-8 cannot carry one (invalid
 * bytes are refused before parsing), but a JSON escape can: `"\ud800"` parses to a string
 * no storage keeps as it is (DuckDB writes U+FFFD), so it is refused, not changed.
 */
function loneSurrogateAt(s: string): number {
  if (isWellFormed(s)) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = s.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
    else return i;
  }
  return -1;
}

function describe(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function lengthRule(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return min === max ? `Member must have length ${min}` : `Member must have length between ${min} and ${max}, inclusive`;
  return min !== undefined ? `Member must have length greater than or equal to ${min}` : `Member must have length less than or equal to ${max}`;
}

class Walker {
  readonly failures: FieldFailure[] = [];

  /** `strict`: extension members are not looked at (--strict: exactly the model's members). */
  constructor(private readonly strict = false) {}

  fail(path: string, message: string): undefined {
    this.failures.push({ name: path, message });
    return undefined;
  }

  constraint(path: string, value: unknown, rule: string, showValue = true): undefined {
    const shown = showValue ? `Value '${describe(value)}' at '${path}'` : `Value at '${path}'`;
    return this.fail(path, `${shown} failed to satisfy constraint: ${rule}`);
  }

  walk(shape: Shape, value: unknown, path: string): unknown {
    switch (shape.type) {
      case 'string':
        return this.string(shape, value, path);
      case 'integer':
      case 'float':
        return this.number(shape, value, path);
      case 'boolean':
        return typeof value === 'boolean' ? value : this.fail(path, `Value at '${path}' must be a boolean`);
      case 'timestamp': {
        const ms = typeof value === 'string' ? parseIsoTimestamp(value) : undefined;
        if (ms === undefined) return this.fail(path, `Value '${describe(value)}' at '${path}' must be an ISO 8601 date-time such as 2025-01-01T00:00:00Z`);
        return new Date(ms);
      }
      case 'list':
        return this.list(shape, value, path);
      case 'map':
        return this.map(shape, value, path);
      case 'structure':
      case 'union':
        return this.members(shape.members, value, path, shape.type === 'union');
      case 'stream':
        // The wire hands the body over as it is; what it holds is the operation's to read.
        return value;
    }
  }

  string(shape: StringShape, value: unknown, path: string): string | undefined {
    if (typeof value !== 'string') return this.fail(path, `Value at '${path}' must be a string`);
    const lone = loneSurrogateAt(value);
    if (lone !== -1) {
      const escape = `\\u${value.charCodeAt(lone).toString(16)}`;
      const character = codePoints(value.slice(0, lone)) + 1;
      return this.constraint(path, value, `Member must be well-formed Unicode text, but character ${character} is a lone surrogate (${escape}), half of a pair that encodes no character; send text as UTF-8, or escape a character past U+FFFF as both halves of its pair`, false);
    }
    if (shape.enum && !shape.enum.includes(value)) return this.constraint(path, value, `Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
    let ok = true;
    if (lengthInDoubt(value, shape.min, shape.max)) {
      const n = codePoints(value);
      if ((shape.min !== undefined && n < shape.min) || (shape.max !== undefined && n > shape.max)) {
        this.constraint(path, value, lengthRule(shape.min, shape.max), n <= 200);
        ok = false;
      }
    }
    if (ok && shape.pattern !== undefined && !wholeMatch(shape.pattern).test(value)) {
      this.constraint(path, value, `Member must satisfy regular expression pattern: ${shape.pattern}`);
      ok = false;
    }
    return ok ? value : undefined;
  }

  number(shape: NumberShape, value: unknown, path: string): number | undefined {
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.fail(path, `Value at '${path}' must be a number`);
    if (shape.type === 'integer' && !Number.isInteger(value)) return this.fail(path, `Value '${value}' at '${path}' must be an integer`);
    if (shape.min !== undefined && value < shape.min) return this.constraint(path, value, `Member must have value greater than or equal to ${shape.min}`);
    if (shape.max !== undefined && value > shape.max) return this.constraint(path, value, `Member must have value less than or equal to ${shape.max}`);
    return value;
  }

  list(shape: ListShape, value: unknown, path: string): unknown[] | undefined {
    if (!Array.isArray(value)) return this.fail(path, `Value at '${path}' must be a list`);
    const before = this.failures.length;
    if ((shape.min !== undefined && value.length < shape.min) || (shape.max !== undefined && value.length > shape.max)) {
      this.constraint(path, value, lengthRule(shape.min, shape.max), false);
    }
    const out = value.map((item, i) => this.walk(shape.member, item, `${path}.${i + 1}`));
    if (shape.unique && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) {
      this.constraint(path, value, 'Member must have unique items', false);
    }
    return this.failures.length === before ? out : undefined;
  }

  map(shape: MapShape, value: unknown, path: string): Record<string, unknown> | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.fail(path, `Value at '${path}' must be an object`);
    const entries = Object.entries(value);
    if ((shape.min !== undefined && entries.length < shape.min) || (shape.max !== undefined && entries.length > shape.max)) {
      this.constraint(path, value, lengthRule(shape.min, shape.max), false);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      this.string(shape.key, k, `${path}.${k}(key)`);
      out[k] = this.walk(shape.value, v, `${path}.${k}`);
    }
    return out;
  }

  members(members: Members, value: unknown, path: string, isUnion: boolean): Record<string, unknown> | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return this.fail(path || 'body', `Value at '${path || 'body'}' must be an object`);
    const source = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    const set: string[] = [];
    const known = Object.entries(members).filter(([, member]) => !(this.strict && member.extension));
    for (const [name, member] of known) {
      const memberPath = path ? `${path}.${name}` : name;
      const v = source[name];
      // JSON null is how some clients say "absent"; the service treats it so.
      if (v === undefined || v === null) {
        if (member.required) this.fail(memberPath, `Value null at '${memberPath}' failed to satisfy constraint: Member must not be null`);
        continue;
      }
      set.push(name);
      out[name] = this.walk(member.shape, v, memberPath);
    }
    if (isUnion && set.length !== 1) this.failures.push(unionFailure(path, known.map(([name]) => name), set));
    return out;
  }
}

/** A union with `set` of its `names` set, not exactly one: the failure the validator reports. */
export function unionFailure(path: string, names: readonly string[], set: readonly string[]): FieldFailure {
  return {
    name: path,
    message: `Value at '${path}' failed to satisfy constraint: exactly one of [${names.join(', ')}] must be set, ${set.length === 0 ? 'none was' : `got ${set.join(' and ')}`}`,
  };
}

/** Validates against any shape; the value's type is left to the caller. `strict`: extension members are unknown. */
export function validateAny(shape: Shape, value: unknown, path = '', strict = false): Validated<unknown> {
  const walker = new Walker(strict);
  return { value: walker.walk(shape, value, path), failures: walker.failures };
}

/** Validates against a declared shape; the value's type is inferred from the declaration. */
export function validate<S extends Shape>(shape: S, value: unknown, path = ''): Validated<Infer<S>> {
  return validateAny(shape, value, path) as Validated<Infer<S>>;
}
