// The generic validator on its own: many tiny cases, one rule each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enumOf, integer, list, map, optional, required, string, structure, union } from '../src/operations/validation/shapes.js';
import type { Shape } from '../src/operations/validation/shapes.js';
import { validate, validateAny } from '../src/operations/validation/validate.js';

const names = (shape: Shape, value: unknown) => validateAny(shape, value).failures.map((f) => f.name);

test('string length counts code points, as Smithy does', () => {
  const name = structure({ n: required(string({ min: 1, max: 3 })) });
  const cases: [string, string[]][] = [
    ['abc', []], ['😀😀😀', []], ['😀😀😀😀', ['n']], ['', ['n']], ['a😀', []], ['abcd', ['n']],
  ];
  for (const [n, want] of cases) assert.deepEqual(names(name, { n }), want, JSON.stringify(n));
  const two = structure({ n: required(string({ min: 2 })) });
  assert.deepEqual(names(two, { n: '😀' }), ['n']);
  assert.deepEqual(names(two, { n: '😀😀' }), []);
});

test('patterns are matched whole', () => {
  const id = structure({ id: required(string({ pattern: 'farm-[0-9a-f]{2}' })) });
  for (const [v, ok] of [['farm-0a', true], ['farm-0ax', false], ['xfarm-0a', false], ['farm-0A', false]] as const) {
    assert.deepEqual(names(id, { id: v }), ok ? [] : ['id'], v);
  }
});

test('numbers: type, integer-ness and range', () => {
  const s = structure({ n: optional(integer({ min: 1, max: 100 })) });
  const cases: [unknown, boolean][] = [[1, true], [100, true], [0, false], [101, false], [1.5, false], ['5', false], [Number.NaN, false], [undefined, true], [null, true]];
  for (const [n, ok] of cases) assert.deepEqual(names(s, { n }), ok ? [] : ['n'], String(n));
});

test('lists: length, unique items, member paths are 1-based', () => {
  const s = structure({ l: required(list(enumOf(['A', 'B', 'C']), { min: 1, max: 2, unique: true })) });
  assert.deepEqual(names(s, { l: ['A'] }), []);
  assert.deepEqual(names(s, { l: [] }), ['l']);
  assert.deepEqual(names(s, { l: ['A', 'A'] }), ['l']);
  assert.deepEqual(names(s, { l: ['A', 'D'] }), ['l.2']);
  assert.deepEqual(names(s, { l: ['A', 'B', 'C'] }), ['l']);
  assert.deepEqual(names(s, { l: 'A' }), ['l']);
});

test('unions: exactly one member', () => {
  const s = structure({ u: required(union({ a: optional(string()), b: optional(string()) })) });
  assert.deepEqual(names(s, { u: { a: 'x' } }), []);
  assert.deepEqual(names(s, { u: {} }), ['u']);
  assert.deepEqual(names(s, { u: { a: 'x', b: 'y' } }), ['u']);
  assert.deepEqual(names(s, { u: { a: 'x', c: 'ignored' } }), []);
});

test('every failure is reported, required members first seen as null', () => {
  const s = structure({ a: required(string()), b: required(integer()), c: optional(string({ max: 1 })) });
  const { failures } = validate(s, { c: 'long' });
  assert.deepEqual(failures.map((f) => f.name), ['a', 'b', 'c']);
  assert.match(failures[0]!.message, /Value null at 'a' failed to satisfy constraint: Member must not be null/);
});

test('a lone surrogate (a JSON escape such as \\ud800 can say one) is refused, naming the member; pairs are text', () => {
  const s = structure({ n: optional(string({ max: 10 })), l: optional(list(string())), m: optional(map(string())) });
  const lone: [string, number, string][] = [
    ['a\ud800b', 2, 'd800'], ['\udc00', 1, 'dc00'], ['ab\ud800', 3, 'd800'], ['\udc00\ud800', 1, 'dc00'], ['\ud800\ud800\udc00', 1, 'd800'], ['😀x\udfff', 3, 'dfff'],
  ];
  for (const [n, at, unit] of lone) {
    const { failures } = validate(s, { n });
    assert.deepEqual(failures.map((f) => f.name), ['n'], JSON.stringify(n));
    assert.match(failures[0]!.message, new RegExp(`^Value at 'n' failed to satisfy constraint: Member must be well-formed Unicode text, but character ${at} is a lone surrogate \\(\\\\u${unit}\\)`), JSON.stringify(n));
  }
  for (const n of ['😀', 'a\ud83d\ude00b', '\uffff', '']) assert.deepEqual(names(s, { n }), [], JSON.stringify(n));
  assert.deepEqual(names(s, { l: ['ok', 'x\ud800'] }), ['l.2']);
  assert.deepEqual(names(s, { m: { 'k\udc00': 'v' } }), ['m.k\udc00(key)']);
  assert.deepEqual(names(s, { m: { k: 'v\udc00' } }), ['m.k']);
});
