#!/usr/bin/env node
// The `farmtally` command. The TypeScript sources are compiled to dist/ by `npm ci`
// (the package's `prepare` script); run `npm run build` after changing them.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The AWS SDK warns on every start that its releases after early 2027 need Node 22. The
// versions in package-lock.json work on Node 20 (see README); keep stderr for what the user
// must act on. Set the variable to "false" to see the warning.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('farmtally: dist/ is missing. Run `npm ci` (or `npm run build`) in the farmtally folder first.');
  process.exit(1);
}
await import(entry.href);
