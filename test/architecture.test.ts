// The direction of imports (docs/ARCHITECTURE.md): each folder of src/ may import only from
// the folders below it, and no import circle may form. Read from the sources as text.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const SRC = resolve(import.meta.dirname, '..', 'src');

/** What each part of src/ may import besides itself. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  domain: [],
  store: ['domain'],
  operations: ['domain', 'store'],
  wire: ['domain', 'operations'],
  'server.ts': ['domain', 'store', 'operations', 'wire'],
  client: ['domain'],
  demo: ['domain', 'client'],
  web: ['domain', 'client'],
  cli: ['domain', 'store', 'operations', 'wire', 'server.ts', 'client', 'demo'],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : []));
}

const partOf = (file: string) => relative(SRC, file).split('/')[0]!;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/g)].map((m) => sourceOf(resolve(dirname(file), m[1]!)));
}

/** The source file an ES module specifier names (`./x.js` is x.ts or x.tsx; CSS and the like as they are). */
function sourceOf(target: string): string {
  const stem = target.replace(/\.js$/, '');
  return ['.ts', '.tsx'].map((ext) => stem + ext).find(existsSync) ?? target;
}

const files = sources(SRC);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

test('every import runs downward: a part of src/ imports only from the parts below it', () => {
  const upward: string[] = [];
  for (const [file, imports] of graph) {
    const from = partOf(file);
    for (const target of imports) {
      const to = partOf(target);
      if (to !== from && !MAY_IMPORT[from]?.includes(to)) upward.push(`${relative(SRC, file)} imports ${relative(SRC, target)}`);
    }
  }
  assert.deepEqual(upward, []);
});

test('no import circle between files', () => {
  const circles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') circles.push(path.slice(path.indexOf(next)).concat(next).map((f) => relative(SRC, f)).join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  assert.deepEqual(circles, []);
});

test('the check reads imports at all', () => {
  assert.ok(files.length > 50);
  assert.ok([...graph.values()].flat().length > 100);
});

test('IngestSessions is an operation like the others: in the registry, its body a streaming member, and the wire names no operation', async () => {
  const { OPERATIONS } = await import('../src/operations/registry.js');
  const { streamingMemberOf } = await import('../src/operations/validation/shapes.js');
  const { streamingRoutesOf } = await import('../src/wire/app.js');
  const ingest = OPERATIONS.find((op) => op.name === 'IngestSessions');
  assert.ok(ingest, 'IngestSessions is in the registry');
  assert.equal(streamingMemberOf(ingest.input), 'body');
  assert.deepEqual(streamingRoutesOf(OPERATIONS), ['POST /ingest/v1/farms/:farmId/sessions']);
  // The wire serves operations from the registry; none is imported by name (operations/<resource>/).
  const named = files.filter((f) => partOf(f) === 'wire').flatMap((f) => graph.get(f)!.filter((t) => /src\/operations\/(?!validation\/)[^/]+\//.test(t)).map((t) => `${relative(SRC, f)} imports ${relative(SRC, t)}`));
  assert.deepEqual(named, []);
});

// The store's interface is the files directly in src/store/; each engine is a folder beside
// them. The cluster engine puts two of them together.
const ENGINE_PACKAGES: Record<string, RegExp> = {
  duckdb: /^@duckdb\//,
  clickhouse: /^(@clickhouse\/|chdb$)/,
  postgres: /^pg$/,
};
const ENGINE_USES: Record<string, readonly string[]> = { cluster: ['clickhouse', 'postgres'] };
const engineOf = (file: string): string | undefined => {
  const [top, engine, rest] = relative(SRC, file).split('/');
  return top === 'store' && rest !== undefined ? engine : undefined;
};
const packagesOf = (file: string) => [...readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^.'][^']*)'/g)].map((m) => m[1]!);

test('only server.ts and an engine\'s own folder import an engine (store/<engine>/, its client packages): the rest sees the Store interface', () => {
  const found = files.filter((f) => f !== join(SRC, 'server.ts')).flatMap((f) => {
    const own = engineOf(f);
    const mayUse = own ? [own, ...(ENGINE_USES[own] ?? [])] : [];
    const packages = packagesOf(f).filter((p) => Object.entries(ENGINE_PACKAGES).some(([engine, pattern]) => pattern.test(p) && !mayUse.includes(engine)));
    const internal = graph.get(f)!.filter((t) => engineOf(t) !== undefined && !mayUse.includes(engineOf(t)!)).map((t) => relative(SRC, t));
    return [...packages, ...internal].map((t) => `${relative(SRC, f)} imports ${t}`);
  });
  assert.deepEqual(found, []);
  assert.ok(graph.get(join(SRC, 'server.ts'))!.some((t) => engineOf(t) === 'duckdb'), 'the check sees server.ts open the engine');
  assert.ok(packagesOf(join(SRC, 'store', 'duckdb', 'database.ts')).some((p) => ENGINE_PACKAGES.duckdb!.test(p)), 'the check sees the engine\'s package');
});
