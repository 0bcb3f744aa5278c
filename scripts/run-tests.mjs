#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's own test runner (TypeScript through tsx), but the
// kill -9 suites in test/crash/ (`npm run test:crash`, which CI runs too): they take minutes of
// large batches each, past npm test's ten-minute budget (docs/DECISIONS.md, "npm test and the
// crash suites"). A folder given is every test file in it.
// Node 20's runner does not expand globs itself, hence this small finder.
// Extra arguments are passed on: `npm test -- --test-name-pattern=paging`.
// The tests and the servers they start put their data folders and files in a temporary
// folder of this run's own (TMPDIR), removed when the run ends however it went: some tests
// keep a folder on purpose (a restart, an upgrade, a copy), and a failed test keeps all.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The folders a bare `npm test` leaves out: they have scripts of their own. */
const OWN_SCRIPT = [join('test', 'crash')];

function find(dir, skip = []) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return skip.includes(path) ? [] : find(path, skip);
    return e.name.endsWith('.test.ts') ? [path] : [];
  });
}

const args = process.argv.slice(2);
const picked = args.filter((a) => !a.startsWith('-')).flatMap((a) => (statSync(a, { throwIfNoEntry: false })?.isDirectory() ? find(a).sort() : [a]));
const files = picked.length ? picked : find('test', OWN_SCRIPT).sort();
const flags = args.filter((a) => a.startsWith('-'));
const runTmp = mkdtempSync(join(tmpdir(), 'farmtally-tests-'));
// Others may pass through it (not list it): tests start ClickHouse and PostgreSQL as their own
// users (clickhouse, postgres) with data in a folder of their own under it.
chmodSync(runTmp, 0o711);
let result;
try {
  result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...files], {
    stdio: 'inherit',
    env: { ...process.env, TMPDIR: runTmp },
  });
} finally {
  rmSync(runTmp, { recursive: true, force: true });
}
process.exit(result.status ?? 1);
