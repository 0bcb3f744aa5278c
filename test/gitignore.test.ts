// `git add .` in a clone after the README's first hour commits no secrets, session records
// or rate cards: the files the CLI and the README's recipes write there are ignored, and the
// sources are not.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const root = new URL('..', import.meta.url).pathname;
const git = (args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' });
const inGit = git(['rev-parse', '--is-inside-work-tree']).stdout.trim() === 'true';

test('the files a first hour writes in the clone are ignored, the sources are not', { skip: !inGit && 'not a git checkout' }, () => {
  const written = [
    'farmtally-credentials.json', // farmtally credentials add's default file
    'key.pem', // the README's TLS recipe
    'cert.pem',
    'demo.ndjson', // farmtally demo --out demo.ndjson
    'demo.pricing.json', // ... and its rate card
    'demo-pricing.json', // farmtally demo's rate card
    'sessions.ndjson.gz',
    'sessions.jsonl',
    'data/farmtally.duckdb',
  ];
  const ignored = git(['check-ignore', '--no-index', ...written]).stdout.trim().split('\n');
  assert.deepEqual(ignored.sort(), [...written].sort());
  for (const source of ['package.json', 'src/cli/import.ts', 'README.md', 'test/gitignore.test.ts']) {
    assert.equal(git(['check-ignore', '--no-index', '-q', source]).status, 1, `${source} is ignored`);
  }
  // A rate card a demo run rewrites is no tracked file either (it would show as changed).
  assert.equal(git(['ls-files', '--error-unmatch', 'demo-pricing.json']).status, 1, 'demo-pricing.json is tracked');
});
