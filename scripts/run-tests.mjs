#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's own test runner (TypeScript through tsx).
// Node 20's runner does not expand globs itself, hence this small finder.
// Extra arguments are passed on: `npm test -- --test-name-pattern=paging`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? find(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

const args = process.argv.slice(2);
const picked = args.filter((a) => !a.startsWith('-'));
const files = picked.length ? picked : find('test').sort();
const flags = args.filter((a) => a.startsWith('-'));
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
