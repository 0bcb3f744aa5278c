// The store contract on DuckDB, on a data file of its own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDuckDbStore } from '../../src/store/duckdb/index.js';
import { storeContract } from './contract.js';

const dir = mkdtempSync(join(tmpdir(), 'farmtally-contract-'));

storeContract({
  name: 'DuckDB',
  open: () => openDuckDbStore({ dataDir: join(dir, 'data') }),
  cleanUp: () => rmSync(dir, { recursive: true, force: true }),
});
