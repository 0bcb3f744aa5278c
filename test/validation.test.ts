// The generic validator on its own: many tiny cases, one rule each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enumOf, integer, list, optional, required, string, structure, union } from '../src/operations/validation/shapes.js';
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
