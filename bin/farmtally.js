#!/usr/bin/env node
// The `farmtally` command. The TypeScript sources are compiled to dist/ by `npm ci`
// (the package's `prepare` script); run `npm run build` after changing them.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('farmtally: dist/ is missing. Run `npm ci` (or `npm run build`) in the farmtally folder first.');
  process.exit(1);
}
await import(entry.href);
