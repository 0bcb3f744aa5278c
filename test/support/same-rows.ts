// Server rows against reference rows, field by field.
import assert from 'node:assert/strict';
import type { RefRow } from '../reference/aggregate-reference.js';

export function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Field-by-field equality; numbers to 1e-9 relative (sums run in another order). */
export function assertSameRows(actual: RefRow[], expected: RefRow[], what: string): void {
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
    const [a, e] = [actual[i], expected[i]];
    const show = () => `${what}: row ${i} of ${expected.length} (server has ${actual.length})\n  server:    ${JSON.stringify(a)}\n  reference: ${JSON.stringify(e)}`;
    assert.ok(a && e, show());
    assert.deepEqual(Object.keys(a).sort(), Object.keys(e).sort(), show());
    for (const k of Object.keys(e) as (keyof RefRow)[]) {
      const x: unknown = a[k];
      const y: unknown = e[k];
      if (typeof y === 'object' && y !== null) {
        const [xs, ys] = [x as Record<string, number>, y as Record<string, number>];
        assert.deepEqual(Object.keys(xs).sort(), Object.keys(ys).sort(), show());
        for (const s of Object.keys(ys)) assert.ok(close(xs[s]!, ys[s]!), `${show()}\n  field ${k}.${s}`);
      } else assert.equal(x, y, `${show()}\n  field ${k}`);
    }
  }
}

