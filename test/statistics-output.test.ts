// Rows made ready for the wire once (statisticsJson, result-pages) must be the JSON the API
// wrote before, byte for byte: the same members, order, numbers and escapes as
// JSON.stringify(toStatistics(...)); and the wire writes such text as it is.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Statistic } from '../src/domain/aggregation-rules.js';
import { JsonText } from '../src/operations/json-text.js';
import { ResultPages } from '../src/operations/statistics/result-pages.js';
import { statisticsJson, toStatistics } from '../src/operations/statistics/statistics-output.js';
import type { AggregationRecord, AggregationRow } from '../src/store/aggregation-store.js';
import { outputJson } from '../src/wire/output-json.js';

/** A body or member in parts, as the text a client receives. */
const whole = (parts: readonly (string | Uint8Array)[]) => parts.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString())).join('');

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const TEXTS = [undefined, 'queue-0123456789abcdef0123456789abcdef', 'a "quoted" \\ name', 'line\nbreak\ttab\u0001', 'Ünïcödé 🎬 \u2028', ''];
const NUMBERS = [0, 1, 0.1 + 0.2, 1e21, 123456.789, 5e-324, -0, NaN, Infinity];

function row(rnd: () => number): AggregationRow {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const start = Date.UTC(2025, 0, 1) + Math.floor(rnd() * 1000) * 3_600_000;
  return {
    bucketStart: start, bucketEnd: start + 3_600_000,
    queueId: pick(TEXTS), fleetId: pick(TEXTS), jobId: pick(TEXTS), jobName: pick(TEXTS), userId: pick(TEXTS),
    usageType: pick([undefined, 'COMPUTE', 'LICENSE']), instanceType: pick(TEXTS), licenseProduct: pick(TEXTS),
    count: pick([0, 1, 17, 123456]),
    runtimeSeconds: { sum: pick(NUMBERS), min: pick(NUMBERS), max: pick(NUMBERS) },
    costUsd: { sum: pick(NUMBERS), min: pick(NUMBERS), max: pick(NUMBERS) },
  };
}

const STATISTIC_LISTS: Statistic[][] = [['SUM'], ['AVG', 'MIN'], ['SUM', 'MIN', 'MAX', 'AVG'], ['MAX', 'AVG', 'SUM']];

test('statisticsJson writes exactly what JSON.stringify(toStatistics(...)) writes', () => {
  const rnd = seeded(7);
  for (let i = 0; i < 5000; i++) {
    const r = row(rnd);
    const statistics = STATISTIC_LISTS[i % STATISTIC_LISTS.length]!;
    assert.equal(statisticsJson(r, statistics), JSON.stringify(toStatistics(r, statistics)), JSON.stringify(r));
  }
});

test('outputJson writes JsonText members as they are and the rest as JSON.stringify does', () => {
  const rows = Buffer.from('{"a":1},{"b":"é"}');
  const output = { status: 'COMPLETED', statusMessage: undefined, statistics: new JsonText(['[', rows, ']']), nextToken: 'tok"en', at: new Date(0) };
  const parts = outputJson(output);
  assert.ok(parts.includes(rows), 'the rows are written from their buffer, not copied');
  assert.equal(whole(parts), '{"status":"COMPLETED","statistics":[{"a":1},{"b":"é"}],"nextToken":"tok\\"en","at":"1970-01-01T00:00:00.000Z"}');
  assert.equal(whole(outputJson({ statistics: new JsonText(['[]']), more: 1 })), '{"statistics":[],"more":1}');
  const plain = { a: 1, b: [1, { c: undefined }], d: undefined, e: null, f: 'é' };
  assert.deepEqual(outputJson(plain), [JSON.stringify(plain)]);
  assert.deepEqual(outputJson(undefined), ['{}']);
});

test('result pages: a slice of the rows made ready, or read from the store once when not held', async () => {
  const rnd = seeded(11);
  const rows = Array.from({ length: 2345 }, () => row(rnd));
  const statistics: Statistic[] = ['SUM', 'AVG'];
  const record = (id: string, rowCount: number): AggregationRecord => ({
    aggregationId: id, farmId: 'farm-x', status: 'COMPLETED', groupBy: ['QUEUE_ID'], statistics, createdAt: 0, expiresAt: Date.now() + 60_000, rowCount,
  });
  const reads: [string, number, number][] = [];
  const pages = new ResultPages(async (id, offset, limit) => {
    reads.push([id, offset, limit]);
    return rows.slice(offset, offset + limit);
  });
  const expect = (from: number, to: number) => `[${rows.slice(from, to).map((r) => JSON.stringify(toStatistics(r, statistics))).join(',')}]`;

  pages.add(record('made', rows.length), rows);
  for (const [offset, limit] of [[0, 1000], [1000, 1000], [2000, 1000], [2300, 100], [2345, 10], [17, 7]] as const) {
    const page = await pages.page(record('made', rows.length), offset, limit);
    assert.equal(whole(page.statistics.parts), expect(offset, offset + limit));
    assert.equal(page.count, Math.max(0, Math.min(limit, rows.length - offset)));
  }
  assert.deepEqual(reads, [], 'a result made ready is never read from the store');

  // After a restart: the first page reads the whole result once, the next ones none.
  assert.equal(whole((await pages.page(record('stored', rows.length), 100, 100)).statistics.parts), expect(100, 200));
  assert.equal(whole((await pages.page(record('stored', rows.length), 200, 1000)).statistics.parts), expect(200, 1200));
  assert.deepEqual(reads, [['stored', 0, rows.length]]);
});
