// fast-check arbitraries read from the operations' own input declarations
// (src/operations/validation/shapes.ts): values that satisfy a shape, values that break it in
// one place (another JSON type, a bound passed by one, a pattern missed by a character), and
// IDs taken from what the server holds, so valid requests reach the handlers and invalid
// ones reach every check.
import fc from 'fast-check';
import type { Members, Shape, StringShape } from '../../src/operations/validation/shapes.js';

/** IDs the server holds, by the prefix of their pattern (`farm`, `queue`...; `aggregation` for the bare hex ID). */
export type IdPool = Partial<Record<string, readonly string[]>>;

const ID_PATTERN = /^(?:([a-z]+)-)?\[0-9a-f\]\{32\}$/;
const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);

/** The resource kind a pattern describes (`queue-[0-9a-f]{32}` is `queue`), if it is an ID. */
export function idKind(shape: StringShape): string | undefined {
  const m = shape.pattern === undefined ? undefined : ID_PATTERN.exec(shape.pattern);
  return m ? (m[1] ?? 'aggregation') : undefined;
}

/** A member that names the time zone of an aggregation: the extensions' forms besides the model's. */
const ZONES = ['UTC', 'UTC+05:30', 'UTC-03:30', 'UTC+00:00', 'Asia/Singapore', 'Europe/Berlin', 'America/Los_Angeles', 'GMT', 'UTC+14:00', 'UTC-12:00'];

/** Instants in 2024-2026, written as the SDK writes them, or with an offset and fraction digits. */
export const isoInstant = fc
  .tuple(fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2026, 11, 31) }), fc.constantFrom('Z', '+00:00', '+05:30', '-08:00'), fc.constantFrom(0, 3, 6, 9))
  .map(([ms, zone, digits]) => {
    const offsetMin = zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
    const local = new Date(ms + offsetMin * 60_000).toISOString();
    const fraction = digits === 0 ? '' : `.${(local.slice(20, 23) + '123456').slice(0, digits)}`;
    return `${local.slice(0, 19)}${fraction}${zone}`;
  });

/** Text that is not an instant the API takes, though some of it looks close. */
export const notAnInstant = fc.constantFrom(
  '', 'now', '2025-13-01T00:00:00Z', '2025-02-29T00:00:00Z', '2025-01-01T24:00:00Z', '2025-01-01', '2025-01-01T10:00:00', '0999-12-31T23:59:59Z',
  '2025-01-01T10:00:00+25:00', '1740000000', '２０２５-01-01T10:00:00Z', '2025-01-01T10:00:00.Z', '+275760-09-13T00:00:00Z',
);

function validString(shape: StringShape, ids: IdPool): fc.Arbitrary<string> {
  if (shape.enum) return fc.constantFrom(...shape.enum);
  const kind = idKind(shape);
  if (kind) {
    const fresh = hex32.map((h) => (kind === 'aggregation' ? h : `${kind}-${h}`));
    const held = ids[kind] ?? [];
    return held.length ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...held) }, { weight: 1, arbitrary: fresh }) : fresh;
  }
  if (shape.pattern !== undefined) {
    const re = new RegExp(`^(?:${shape.pattern})$`);
    return fc.stringMatching(re).filter((s) => [...s].length >= (shape.min ?? 0) && [...s].length <= (shape.max ?? Infinity));
  }
  const min = shape.min ?? 0;
  const max = Math.min(shape.max ?? 40, Math.max(min, 40));
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ minLength: Math.max(min, 1), maxLength: max }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, 20) }).filter((s) => [...s].length >= min && [...s].length <= (shape.max ?? Infinity)) },
    { weight: 1, arbitrary: fc.constant('x'.repeat(Math.max(min, Math.min(shape.max ?? 64, 1000)))) },
  );
}

function validMembers(members: Members, ids: IdPool, union: boolean, location: 'body' | 'any'): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(members).filter(([, m]) => location === 'any' || m.location === 'body');
  if (union) {
    if (!entries.length) return fc.constant({});
    return fc.oneof(...entries.map(([name, m]) => validValue(m.shape, ids, name).map((v) => ({ [name]: v }))));
  }
  const model = Object.fromEntries(entries.map(([name, m]) => [name, validValue(m.shape, ids, name)]));
  const requiredKeys = entries.filter(([, m]) => m.required).map(([name]) => name);
  return fc.record(model, { requiredKeys });
}

/** Arbitraries built once per ID pool, shape and member name: nested shapes refer to each other many times over. */
const built = new WeakMap<IdPool, Map<Shape, Map<string, fc.Arbitrary<unknown>>>>();
function memo(kind: 'valid' | 'wrong', shape: Shape, ids: IdPool, name: string, build: () => fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  let byShape = built.get(ids);
  if (!byShape) built.set(ids, (byShape = new Map()));
  let byName = byShape.get(shape);
  if (!byName) byShape.set(shape, (byName = new Map()));
  const key = `${kind}:${name}`;
  let arbitrary = byName.get(key);
  if (!arbitrary) byName.set(key, (arbitrary = build()));
  return arbitrary;
}

/** A value the shape accepts (its constraints as declared; rules across members may still refuse it). */
export function validValue(shape: Shape, ids: IdPool, name = ''): fc.Arbitrary<unknown> {
  return memo('valid', shape, ids, name === 'timezone' ? name : '', () => buildValid(shape, ids, name));
}

function buildValid(shape: Shape, ids: IdPool, name: string): fc.Arbitrary<unknown> {
  switch (shape.type) {
    case 'string':
      if (name === 'timezone') return fc.constantFrom(...ZONES);
      return validString(shape, ids);
    case 'integer':
      return fc.integer({ min: shape.min ?? -1000, max: Math.min(shape.max ?? 1000, 2 ** 31 - 1) });
    case 'float':
      return fc.double({ min: shape.min ?? -1e6, max: shape.max ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'timestamp':
      return isoInstant;
    case 'list': {
      const item = validValue(shape.member, ids);
      const constraints = { minLength: shape.min ?? 0, maxLength: Math.min(shape.max ?? 4, 4) };
      return shape.unique ? fc.uniqueArray(item, { ...constraints, selector: (v) => JSON.stringify(v) }) : fc.array(item, constraints);
    }
    case 'map':
      return fc.dictionary(validString(shape.key, ids), validValue(shape.value, ids), { minKeys: shape.min ?? 0, maxKeys: Math.min(shape.max ?? 3, 3) });
    case 'structure':
    case 'union':
      return validMembers(shape.members, ids, shape.type === 'union', 'any');
    case 'stream':
      // A streamed body is no JSON member; its fuzz sends bodies of its own (fuzz-ingest).
      return fc.constant(undefined);
  }
}

/** The body members of an operation's input, each valid (members bound elsewhere are left out). */
export function validBody(members: Members, ids: IdPool): fc.Arbitrary<Record<string, unknown>> {
  return validMembers(members, ids, false, 'body');
}

/** JSON values of every type, a few of them big or deep. */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 1.5, -0, 1e308, -1e308, 2 ** 53 + 1, '', 'x', ' ', [], {}, [null], { '': null }, '\u0000', '\u2028', '😀') },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth))) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 200_000 }).map((n) => 'y'.repeat(n)) },
);

/** One step outside the shape: another JSON type, or the declared bounds and patterns missed by a little. */
export function wrongValue(shape: Shape, ids: IdPool): fc.Arbitrary<unknown> {
  return memo('wrong', shape, ids, '', () => buildWrong(shape, ids));
}

function buildWrong(shape: Shape, ids: IdPool): fc.Arbitrary<unknown> {
  const near: fc.Arbitrary<unknown>[] = [];
  switch (shape.type) {
    case 'string': {
      if (shape.enum) near.push(fc.constantFrom(...shape.enum).map((e) => e.toLowerCase()), fc.constantFrom(...shape.enum).map((e) => `${e} `));
      const kind = idKind(shape);
      if (kind) {
        near.push(
          hex32.map((h) => `${kind}-${h.slice(1)}`),
          hex32.map((h) => `${kind}-${h.toUpperCase()}`),
          hex32.map((h) => `${kind === 'farm' ? 'queue' : 'farm'}-${h}`),
          hex32.map((h) => `${kind}-${h}\u0000`),
          hex32.map((h) => ` ${kind}-${h}`),
        );
      } else if (shape.pattern !== undefined) {
        near.push(validString(shape, ids).map((s) => `${s}\u0000`), validString(shape, ids).map((s) => s.slice(1)));
      }
      if (shape.max !== undefined) near.push(fc.constant('x'.repeat(shape.max + 1)), fc.constant('😀'.repeat(shape.max + 1)));
      if (shape.min !== undefined && shape.min > 0) near.push(fc.constant(''), fc.constant('x'.repeat(shape.min - 1)));
      break;
    }
    case 'integer':
    case 'float':
      if (shape.min !== undefined) near.push(fc.constant(shape.min - 1), fc.constant(shape.min - 0.5));
      if (shape.max !== undefined) near.push(fc.constant(shape.max + 1));
      near.push(fc.constantFrom(1.5, 1e21, -1e21, 2 ** 63, '5', '1e3'));
      break;
    case 'timestamp':
      near.push(notAnInstant, fc.integer({ min: 0, max: 2 ** 41 }), isoInstant.map((s) => `${s} `));
      break;
    case 'list':
      if (shape.max !== undefined) near.push(fc.array(validValue(shape.member, ids), { minLength: shape.max + 1, maxLength: shape.max + 3 }));
      if (shape.min !== undefined && shape.min > 0) near.push(fc.constant([]));
      if (shape.unique) near.push(validValue(shape.member, ids).map((v) => [v, v]));
      near.push(fc.array(wrongValue(shape.member, ids), { minLength: 1, maxLength: 3 }));
      break;
    case 'map':
      near.push(fc.dictionary(fc.string(), wrongValue(shape.value, ids), { minKeys: 1, maxKeys: 3 }));
      break;
    case 'structure':
    case 'union': {
      const names = Object.keys(shape.members);
      if (names.length) {
        // One member wrong, or a required one missing, or (a union) two set at once.
        near.push(
          fc.tuple(validValue(shape, ids), fc.constantFrom(...names)).chain(([value, name]) =>
            wrongValue(shape.members[name]!.shape, ids).map((wrong) => ({ ...(value as object), [name]: wrong })),
          ),
          fc.tuple(validValue(shape, ids), fc.constantFrom(...names)).map(([value, name]) => {
            const copy = { ...(value as Record<string, unknown>) };
            delete copy[name];
            return copy;
          }),
        );
        if (shape.type === 'union' && names.length > 1) near.push(fc.tuple(validValue(shape, ids), validValue(shape, ids)).map(([a, b]) => ({ ...(a as object), ...(b as object) })));
      }
      break;
    }
    default:
      break;
  }
  return near.length ? fc.oneof({ weight: 1, arbitrary: anyJson }, { weight: 2, arbitrary: fc.oneof(...near) }) : anyJson;
}

/** Mostly valid, now and then one step wrong: what a fuzz request puts in each member. */
export function validishValue(shape: Shape, ids: IdPool, name = ''): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 5, arbitrary: validValue(shape, ids, name) }, { weight: 1, arbitrary: wrongValue(shape, ids) });
}

/** A body: the operation's members, mostly valid, now and then wrong or missing, and members nobody declared. */
export function validishBody(members: Members, ids: IdPool): fc.Arbitrary<Record<string, unknown>> {
  const bodyMembers = Object.entries(members).filter(([, m]) => m.location === 'body');
  const model = Object.fromEntries(bodyMembers.map(([name, m]) => [name, validishValue(m.shape, ids, name)]));
  const requiredKeys = bodyMembers.filter(([, m]) => m.required).map(([name]) => name);
  const declared = fc.oneof({ weight: 6, arbitrary: fc.record(model, { requiredKeys }) }, { weight: 1, arbitrary: fc.record(model) });
  const unknown = fc.oneof(
    { weight: 4, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 12 }), anyJson, { maxKeys: 4 }) },
    { weight: 1, arbitrary: fc.constantFrom<Record<string, unknown>>(JSON.parse('{"__proto__": {"polluted": 1}}'), { constructor: { prototype: 1 } }, { toString: 5 }, { hasOwnProperty: null }) },
  );
  return fc.tuple(declared, unknown).map(([d, u]) => Object.assign(u, d));
}
