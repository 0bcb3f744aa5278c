// Group commit on the cluster (store/cluster/session-ingest.ts): small batches of a farm that
// wait together are committed as one turn, each keeping its own counts and batch ID. Seeded
// waves of batches (re-sends, closes, reopens, sessions moved between jobs, repeats within a
// batch and across the batches of a wave) are sent at once to the cluster store and to the
// embedded one, whose group commit group-commit.test.ts holds to one-at-a-time merges. Every
// batch's answer, and afterwards every session, job and queue status (its sessions decide it) must
// be equal, and each batch's ID must select the sessions the same batch last wrote on DuckDB.
// A batch naming a queue the farm does not have is refused alone; past the records allowed to
// wait, a batch is refused at once and writes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newId, type Session } from '../src/domain/resources.js';
import { migrateCluster, openClusterStore } from '../src/store/cluster/index.js';
import { openDuckDbStore } from '../src/store/duckdb/index.js';
import { MissingParentsError, type Store, WriterBusyError } from '../src/store/store.js';
import { clusterForTests, scratchCluster, type ScratchCluster } from './support/cluster.js';
import { sessionChurn } from './support/session-churn.js';
import { countsOf, farm, fleet, parents, queue, record } from './store-contract/fixtures.js';

const { urls, skip } = await clusterForTests();

/** A batch's answer, comparable across engines: its counts, or the error refusing it. */
async function answerOf(written: Promise<Awaited<ReturnType<Store['writeSessions']>>>): Promise<{ counts: ReturnType<typeof countsOf>; batchId: string } | string> {
  try {
    const w = await written;
    return { counts: countsOf(w), batchId: w.batchId };
  } catch (err) {
    if (err instanceof MissingParentsError) return `missing parents: ${err.message}`;
    throw err;
  }
}

async function allPages<T>(read: (after?: string) => Promise<{ items: T[]; nextAfter?: string }>): Promise<T[]> {
  const items: T[] = [];
  let after: string | undefined;
  do {
    const page = await read(after);
    items.push(...page.items);
    after = page.nextAfter;
  } while (after);
  return items;
}

/** What both engines must hold alike: sessions, jobs per queue, and each queue's status (which its sessions decide). */
async function contents(store: Store, farmId: string, queueIds: readonly string[]) {
  const sessions = (await allPages((after) => store.exportSessions(farmId, { limit: 1000, after }))).sort((a: Session, b: Session) => a.sessionId.localeCompare(b.sessionId));
  const jobs = [];
  for (const queueId of queueIds) jobs.push(...(await allPages((after) => store.listJobs(farmId, queueId, { limit: 1000, after }))));
  const queues = await Promise.all(queueIds.map(async (id) => ({ id, status: (await store.getQueue(farmId, id))?.status })));
  return { sessions, jobs: jobs.sort((a, b) => a.jobId.localeCompare(b.jobId)), queues };
}

describe('group commit on the cluster', { skip }, () => {
  let scratch: ScratchCluster;
  let duck: Store;
  let cluster: Store;
  const groups: number[] = [];
  before(async () => {
    scratch = await scratchCluster(urls!);
    await migrateCluster(scratch);
    duck = await openDuckDbStore({ dataDir: ':memory:' });
    cluster = await openClusterStore({
      ...scratch,
      traceGroupCommits: (line) => groups.push(Number(/group commit of (\d+) batch/.exec(line)?.[1] ?? 0)),
    });
  });
  after(async () => {
    await Promise.all([duck?.close(), cluster?.close()]);
    await scratch?.drop();
  });

  for (const seed of [11, 12]) {
    test(`seed ${seed}: batches sent at once answer and store on the cluster what they do on DuckDB`, async () => {
      const f = farm();
      const queues = [queue(f.farmId), queue(f.farmId), queue(f.farmId)];
      const fleets = [fleet(f.farmId), fleet(f.farmId, 'serviceManagedEc2')];
      for (const store of [duck, cluster]) {
        await store.createFarm(f);
        for (const q of queues) await store.createQueue(q);
        for (const fl of fleets) await store.createFleet(fl);
      }
      // The third queue is named by no record: its status stays that of a queue without sessions on both.
      const churn = sessionChurn(seed, { queueIds: queues.slice(0, 2).map((q) => q.queueId), fleetIds: fleets.map((fl) => fl.fleetId) });
      const groupsBefore = groups.length;
      const written: { duck: string; cluster: string }[] = [];
      for (let wave = 0; wave < 16; wave++) {
        const batches = churn.wave(8);
        // Now and then a batch whose new session names a queue the farm does not have: refused alone.
        if (wave % 3 === 1) batches.splice(churn.random.int(batches.length), 0, [{ ...churn.next(), sessionId: newId('session'), queueId: newId('queue') }]);
        const nowMs = churn.t0 + wave * 1000;
        const send = (store: Store) => Promise.all(batches.map((batch) => answerOf(store.writeSessions(f.farmId, batch, nowMs))));
        const [d, c] = await Promise.all([send(duck), send(cluster)]);
        const withoutIds = (answers: typeof d) => answers.map((a) => (typeof a === 'string' ? a.replace(/queue-[0-9a-f]+/g, 'queue-?') : a.counts));
        assert.deepEqual(withoutIds(c), withoutIds(d), `wave ${wave}: each batch's answer`);
        const ids = c.flatMap((a) => (typeof a === 'string' ? [] : [a.batchId]));
        assert.equal(new Set(ids).size, ids.length, `wave ${wave}: a batch ID each`);
        d.forEach((a, i) => typeof a !== 'string' && written.push({ duck: a.batchId, cluster: (c[i] as { batchId: string }).batchId }));
      }
      const queueIds = queues.map((q) => q.queueId);
      const [want, have] = [await contents(duck, f.farmId, queueIds), await contents(cluster, f.farmId, queueIds)];
      assert.ok(want.sessions.length > 20 && want.jobs.length > 3, 'the feed stored something');
      assert.deepEqual(have, want);
      // Each batch's ID selects the sessions it last wrote, the same ones on both engines.
      for (const ids of written) {
        const [n, m] = [await duck.countSessions(f.farmId, { batchId: ids.duck }), await cluster.countSessions(f.farmId, { batchId: ids.cluster })];
        assert.equal(m, n, `sessions last written by batch ${ids.cluster} (${ids.duck} on DuckDB)`);
      }
      // Without groups of several batches this test would say nothing about grouping.
      const sizes = groups.slice(groupsBefore);
      assert.ok(sizes.some((n) => n > 1), `groups of several batches were committed (sizes ${sizes.join(', ')})`);
      assert.ok(sizes.length < written.length, `fewer turns (${sizes.length}) than batches (${written.length})`);
    });
  }

  test('a job named by several batches of a group spans all their sessions, as on DuckDB', async () => {
    const H = 3_600_000;
    const t0 = Date.UTC(2025, 5, 1);
    const [pd, pc] = [await parents(duck), await parents(cluster)];
    const [running, ended] = [newId('job'), newId('job')];
    // New sessions only (no update, so no job is worked out again from its sessions): each batch extends the spans.
    const wave = (p: typeof pd) => [
      [record(p, { jobId: running, startedAt: t0 + 10 * H, endedAt: t0 + 12 * H }), record(p, { jobId: ended, startedAt: t0 + 3 * H, endedAt: t0 + 4 * H })],
      [record(p, { jobId: running, startedAt: t0 + 5 * H, endedAt: t0 + 6 * H, jobName: 'first name' })],
      [record(p, { jobId: running, startedAt: t0 + 20 * H, endedAt: undefined, jobName: 'renamed' }), record(p, { jobId: ended, startedAt: t0 + H, endedAt: t0 + 30 * H })],
      [record(p, { jobId: ended, startedAt: t0 + 2 * H, endedAt: t0 + 9 * H, userId: 'ben' })],
    ];
    const jobsAfter = async (store: Store, p: typeof pd) => {
      const groupsBefore = groups.length;
      await Promise.all(wave(p).map((batch) => store.writeSessions(p.farmId, batch, t0 + 40 * H)));
      if (store === cluster) assert.deepEqual(groups.slice(groupsBefore), [4], 'one group of the four batches');
      const jobs = await allPages((after) => store.listJobs(p.farmId, p.queueId, { limit: 100, after }));
      return jobs.map(({ farmId: _f, queueId: _q, ...job }) => job).sort((a, b) => (a.jobId === running ? -1 : 1) - (b.jobId === running ? -1 : 1));
    };
    const [d, c] = [await jobsAfter(duck, pd), await jobsAfter(cluster, pc)];
    assert.deepEqual(c, d);
    assert.deepEqual(
      c.map((j) => [j.name, j.userId, j.startedAt - t0, j.endedAt === undefined ? 'running' : j.endedAt - t0]),
      [['renamed', 'ana', 5 * H, 'running'], ['shot_010', 'ben', H, 30 * H]],
    );
  });

  test('past the records allowed to wait, a batch is refused at once and writes nothing; the others land', async () => {
    const busy = await openClusterStore({ ...scratch, maxWaitingRecords: 100 });
    try {
      const p = await parents(busy);
      const batches = [0, 1, 2, 3].map(() => Array.from({ length: 40 }, () => record(p)));
      const answers = await Promise.allSettled(batches.map((batch) => busy.writeSessions(p.farmId, batch, Date.now())));
      assert.deepEqual(answers.map((a) => a.status), ['fulfilled', 'fulfilled', 'rejected', 'rejected']);
      const refused = answers[2]!;
      assert.ok(refused.status === 'rejected' && refused.reason instanceof WriterBusyError);
      assert.deepEqual(countsOf(await busy.writeSessions(p.farmId, [...batches[0]!, ...batches[1]!], Date.now())), { created: 0, updated: 0, unchanged: 80 });
      assert.deepEqual(countsOf(await busy.writeSessions(p.farmId, batches[2]!, Date.now())), { created: 40, updated: 0, unchanged: 0 }, 'the refused batch wrote nothing');
    } finally {
      await busy.close();
    }
  });
});
