#!/usr/bin/env node
// Builds the usage explorer (src/web) into dist/web: one minified ES module bundle (app.js,
// with the SDK, Preact and uPlot in it), one stylesheet (app.css), the HTML page and its icon.
// The server serves these files as they are (src/wire/web-route.ts). Prints each file's size,
// raw and gzipped, and, with --sizes, what the script's bytes are made of by package.
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src/web');
const out = join(root, 'dist/web');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: { app: join(src, 'main.tsx') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome111', 'firefox111', 'safari16.4'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: join(src, 'tsconfig.json'),
  // The shared export module (src/domain/stats-export.ts) imports the Node build of
  // csv-stringify; the page takes the library's own browser build of the same function.
  alias: { 'csv-stringify/sync': 'csv-stringify/browser/esm/sync' },
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});
copyFileSync(join(src, 'index.html'), join(out, 'index.html'));
copyFileSync(join(src, 'icon.svg'), join(out, 'icon.svg'));

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
for (const file of ['app.js', 'app.css', 'index.html']) {
  const bytes = readFileSync(join(out, file));
  console.log(`dist/web/${file}: ${kib(bytes.length)} (gzip ${kib(gzipSync(bytes, { level: 9 }).length)})`);
}

if (process.argv.includes('--sizes')) {
  const script = Object.entries(result.metafile.outputs).find(([name]) => name.endsWith('app.js'))[1];
  const byPackage = new Map();
  for (const [input, { bytesInOutput }] of Object.entries(script.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? (input.startsWith('src/web') ? 'src/web' : input.startsWith('src/') ? 'src (shared)' : input);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
  }
  for (const [pkg, bytes] of [...byPackage].sort((a, b) => b[1] - a[1])) console.log(`  ${kib(bytes).padStart(10)}  ${pkg}`);
}
