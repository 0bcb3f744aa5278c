// The store contract: what any engine behind src/store/store.ts must do, driven through the
// interface alone (no HTTP, no operations but the aggregation query builder). DuckDB runs it
// today (duckdb.test.ts); another engine adds a file of its own that opens its store and
// calls storeContract.
import { after, before, describe } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { aggregationContract } from './aggregations.js';
import { budgetEventContract } from './budget-events.js';
import { budgetContract, budgetUsageContract } from './budgets.js';
import { farmSlotContract } from './farm-slots.js';
import { deletionContract, writtenFromMemory, writtenStaged } from './deletions.js';
import { exportContract } from './export.js';
import { ingestContract, writeFromMemory } from './ingest.js';
import { ingest as stageAndCommit } from './fixtures.js';
import { resourceContract } from './resources.js';

export interface ContractEngine {
  name: string;
  /** A fresh, empty store. */
  open(): Promise<Store>;
  /** Removes what the store left behind once closed (its files), if anything. */
  cleanUp?(): void;
  /** Whether it reads what changed between two versions (Store.sessionChangesBetween) rather than answering undefined. */
  listsChangesBetween?: boolean;
}

export function storeContract(engine: ContractEngine): void {
  describe(`store contract: ${engine.name}`, () => {
    let store: Store | undefined;
    before(async () => {
      store = await engine.open();
    });
    after(async () => {
      await store?.close();
      engine.cleanUp?.();
    });
    const current = () => store!;
    resourceContract(current);
    budgetContract(current);
    budgetEventContract(current);
    ingestContract(current, stageAndCommit, 'staged');
    ingestContract(current, writeFromMemory, 'in memory');
    exportContract(current);
    aggregationContract(current);
    farmSlotContract(current);
    budgetUsageContract(current, engine.listsChangesBetween ?? false);
    deletionContract(current, writtenStaged, 'staged');
    deletionContract(current, writtenFromMemory, 'in memory');
  });
}
