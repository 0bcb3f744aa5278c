// What `farmtally copy` does between two open stores, through the Store interface alone (so
// any engine to any engine): farms, queues, fleets and budgets with their IDs and every field, then
// each farm's sessions in batches, as ingest takes them (jobs follow from the sessions). Safe
// to run again: what the target has already is kept or found unchanged. Then the session
// counts of every farm are compared, source against target.
import type { Farm } from '../domain/resources.js';
import { sessionRecordOf } from '../domain/session-record.js';
import type { IngestCounts, Page, PageRequest, Store } from '../store/store.js';
import { Progress } from './progress.js';

/** Sessions per batch written to the target: a batch is all or nothing, and held in memory whole. */
export const COPY_BATCH = 20_000;

/** Every session there is (a time range wider than any a record may hold). */
const EVERY_SESSION = { startedFrom: -8.64e15, startedBefore: 8.64e15 + 1 };

export interface FarmCopied {
  farm: Farm;
  counts: Omit<IngestCounts, 'received'>;
  sessions: number;
}

async function* everyItem<T>(list: (page: PageRequest) => Promise<Page<T>>, limit = 1000): AsyncGenerator<T> {
  let after: string | undefined;
  do {
    const page = await list({ limit, after });
    yield* page.items;
    after = page.nextAfter;
  } while (after !== undefined);
}

/** Every farm's ID in the store. */
export async function farmIdsOf(store: Store): Promise<string[]> {
  const ids: string[] = [];
  for await (const farm of everyItem((p) => store.listFarms(p))) ids.push(farm.farmId);
  return ids;
}

const label = (kind: string, id: string, name: string) => `${kind} ${id} (${name})`;

/** Creates what the target lacks; one that exists with the same ID is kept as it is. */
async function ensure(kind: string, id: string, name: string, exists: () => Promise<unknown>, create: () => Promise<void>): Promise<void> {
  const kept = (await exists()) !== undefined;
  if (!kept) await create();
  console.error(`${label(kind, id, name)}: ${kept ? 'exists, kept' : 'created'}`);
}

async function copyFarm(from: Store, to: Store, farm: Farm, batch: number): Promise<FarmCopied> {
  const { farmId } = farm;
  await ensure('farm', farmId, farm.displayName, () => to.getFarm(farmId), () => to.createFarm(farm));
  for await (const { status: _s, ...queue } of everyItem((p) => from.listQueues(farmId, p))) {
    await ensure('  queue', queue.queueId, queue.displayName, () => to.getQueue(farmId, queue.queueId), () => to.createQueue(queue));
  }
  for await (const { status: _s, ...fleet } of everyItem((p) => from.listFleets(farmId, p))) {
    await ensure('  fleet', fleet.fleetId, fleet.displayName, () => to.getFleet(farmId, fleet.fleetId), () => to.createFleet(fleet));
  }
  // After the queues: a budget names one. Its usage is computed when read, so nothing else goes with it.
  for await (const budget of everyItem((p) => from.listBudgets(farmId, p, { nowMs: Date.now() }))) {
    await ensure('  budget', budget.budgetId, budget.displayName, () => to.getBudget(farmId, budget.budgetId), async () => {
      if ((await to.createBudget(budget)) === 'no-queue') throw new Error(`budget ${budget.budgetId}: its queue ${budget.queueId} is not in the target`);
    });
  }
  const total = await from.countSessions(farmId, EVERY_SESSION);
  const progress = new Progress(`  sessions of ${farmId}`);
  const counts = { created: 0, updated: 0, unchanged: 0 };
  let sessions = 0;
  progress.update(`0 of ${total}`);
  let after: string | undefined;
  do {
    const page = await from.exportSessions(farmId, { limit: batch, after });
    if (page.items.length) {
      const staged = await to.stageSessions(farmId);
      try {
        await staged.append(page.items.map(sessionRecordOf));
      } catch (err) {
        await staged.discard();
        throw err;
      }
      const written = await staged.commit(Date.now());
      for (const k of ['created', 'updated', 'unchanged'] as const) counts[k] += written[k];
      sessions += page.items.length;
      progress.update(`${sessions} of ${total}`);
    }
    after = page.nextAfter;
  } while (after !== undefined);
  progress.done(`${sessions} copied`);
  return { farm, counts, sessions };
}

/** Copies every farm of `from` into `to`; answers what each farm's sessions did there. */
export async function copyStores(from: Store, to: Store, batch = COPY_BATCH): Promise<FarmCopied[]> {
  const copied: FarmCopied[] = [];
  for await (const farm of everyItem((p) => from.listFarms(p))) copied.push(await copyFarm(from, to, farm, batch));
  return copied;
}

/** Farms whose session count differs between the stores, each said as a line. */
export async function countsDiffer(from: Store, to: Store, farmIds: readonly string[]): Promise<string[]> {
  const differ: string[] = [];
  for (const farmId of farmIds) {
    const [source, target] = await Promise.all([from.countSessions(farmId, EVERY_SESSION), to.countSessions(farmId, EVERY_SESSION)]);
    if (source !== target) differ.push(`farm ${farmId}: the source holds ${source} sessions, the target ${target}`);
  }
  return differ;
}
