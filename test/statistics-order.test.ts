// Rule 12 at the edges the engine gets wrong by itself: strings compare by UTF-16 code unit
// (DuckDB compares UTF-8 bytes, which puts U+FF01 before U+1F600), and an absent value sorts
// before any present one, field by field in the order the request lists them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { farmWithParents, sessionRecord, type FarmParents } from './support/session-records.js';
import { startFarmtally, type Farmtally } from './support/server.js';
import { postSessions, runAggregation } from './support/statistics-farm.js';

let ft: Farmtally;
let farm: FarmParents;
// Users whose order differs between code points and code units, and instance types with one absent.
const USERS = ['u\uFF01', 'u\u{1F600}', 'uA', 'u', 'U', 'u\uE000x', 'u\u{10000}'];
before(async () => {
  ft = await startFarmtally();
  farm = await farmWithParents(ft.client, 'order');
  await postSessions(ft.url, farm.farmId, USERS.flatMap((userId, i) => [
    sessionRecord(farm, { userId, instanceType: i % 2 ? 'zz' : undefined }),
    sessionRecord(farm, { userId, instanceType: 'Zz' }),
  ]));
});
after(async () => ft.stop());

const codeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0); // JS compares UTF-16 code units

test('group values sort by UTF-16 code unit, absent first, in the request order of fields', async () => {
  const base = {
    farmId: farm.farmId, resourceIds: { queueIds: [farm.queueId] }, startTime: new Date('2025-03-01T00:00:00Z'),
    endTime: new Date('2025-03-02T00:00:00Z'), statistics: ['SUM' as const],
  };
  const byUser = await runAggregation(ft.client, { ...base, groupBy: ['USER_ID'] });
  assert.deepEqual(byUser.rows.map((r) => r.userId), [...USERS].sort(codeUnits));
  assert.notDeepEqual([...USERS].sort(codeUnits), [...USERS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))), 'the case must tell the two orders apart');

  const byTypeThenUser = await runAggregation(ft.client, { ...base, groupBy: ['INSTANCE_TYPE', 'USER_ID'] });
  const keys = byTypeThenUser.rows.map((r) => [r.instanceType ?? null, r.userId!] as const);
  const expected = [...keys].sort(([t1, u1], [t2, u2]) => (t1 === t2 ? codeUnits(u1, u2) : t1 === null ? -1 : t2 === null ? 1 : codeUnits(t1, t2)));
  assert.deepEqual(keys, expected);
  assert.equal(keys[0]![0], null, 'absent instance type first');
  assert.deepEqual([...new Set(keys.map(([t]) => t))], [null, 'Zz', 'zz']);
});
