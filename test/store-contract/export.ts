// The contract's export (exportSessions, what `farmtally copy` reads): every session of a
// farm once, as getSession answers it, in pages whose keys stay put while the farm is written.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Session } from '../../src/domain/resources.js';
import type { Store } from '../../src/store/store.js';
import { ingest, parents, record } from './fixtures.js';

/** Every page of the farm's export: the sessions in the order given, and the pages' sizes. */
async function exportAll(store: Store, farmId: string, limit: number): Promise<{ sessions: Session[]; pages: number[] }> {
  const sessions: Session[] = [];
  const pages: number[] = [];
  let after: string | undefined;
  do {
    const page = await store.exportSessions(farmId, { limit, after });
    sessions.push(...page.items);
    pages.push(page.items.length);
    after = page.nextAfter;
  } while (after !== undefined);
  return { sessions, pages };
}

export function exportContract(store: () => Store): void {
  describe('export', () => {
    test('every session of the farm once, in pages, as getSession answers it; none of another farm', async () => {
      const p = await parents(store());
      const other = await parents(store());
      const records = [
        ...Array.from({ length: 5 }, () => record(p)),
        record(p, { endedAt: undefined, instanceType: undefined }),
        record(p, { licenseProducts: ['maya', 'nuke'] }),
      ];
      await ingest(store(), p.farmId, records);
      await ingest(store(), other.farmId, [record(other)]);
      const { sessions, pages } = await exportAll(store(), p.farmId, 3);
      assert.deepEqual(pages, [3, 3, 1]);
      const byId = (a: Session, b: Session) => (a.sessionId < b.sessionId ? -1 : 1);
      const expected = await Promise.all(records.map((r) => store().getSession(p.farmId, r.queueId, r.jobId, r.sessionId)));
      assert.deepEqual([...sessions].sort(byId), (expected as Session[]).sort(byId));
      // A page exactly full and nothing after it says so (no key to ask again with).
      assert.deepEqual((await exportAll(store(), p.farmId, 7)).pages, [7]);
      const empty = await store().exportSessions((await parents(store())).farmId, { limit: 10 });
      assert.deepEqual([empty.items, empty.nextAfter], [[], undefined]);
    });

    test('a session changed between two pages keeps its place: none skipped, none twice', async () => {
      const p = await parents(store());
      const records = Array.from({ length: 6 }, () => record(p));
      await ingest(store(), p.farmId, records);
      const first = await store().exportSessions(p.farmId, { limit: 3 });
      const seen = new Set(first.items.map((s) => s.sessionId));
      // Every session changed (the ones read and the ones to come), and one added.
      await ingest(store(), p.farmId, [...records.map((r) => ({ ...r, jobName: 'changed' })), record(p)]);
      const later: Session[] = [];
      let after = first.nextAfter;
      while (after !== undefined) {
        const page = await store().exportSessions(p.farmId, { limit: 3, after });
        later.push(...page.items);
        after = page.nextAfter;
      }
      assert.deepEqual(later.filter((s) => seen.has(s.sessionId)), [], 'nothing read before comes again');
      for (const r of records) assert.ok(seen.has(r.sessionId) || later.some((s) => s.sessionId === r.sessionId), `${r.sessionId} is read once`);
      assert.ok(later.filter((s) => records.some((r) => r.sessionId === s.sessionId)).every((s) => s.jobName === 'changed'), 'those read after the change have it');
      assert.equal((await exportAll(store(), p.farmId, 3)).sessions.length, 7);
    });
  });
}
