// The usage explorer's files (built by `npm run build` into dist/web, see scripts/build-web.mjs)
// and its settings route. Each file is read once at start and kept in memory with its ETag
// (and its gzip form, made when first asked for: most servers never serve the page), and served at its own fixed route: nothing here reads a path a client chose.
// All of these routes are public (the page must load before it can ask for keys); the page
// itself calls the API like any other client, signed in sigv4 mode.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { validationError } from '../operations/errors.js';

/** What the page must know before its first API call: whether to ask for keys, and which inputs the server takes. */
export interface ExplorerSettings {
  auth: 'open' | 'sigv4';
  strict: boolean;
}

export const EXPLORER_SETTINGS_ROUTE = '/explorer/settings.json';

/** Route → built file and its content type. */
const FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/explorer/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/explorer/app.css': ['app.css', 'text/css; charset=utf-8'],
  '/explorer/icon.svg': ['icon.svg', 'image/svg+xml'],
};

/** Every route of the page, as 'METHOD /path' for the access hooks' public list (HEAD too: Fastify answers it for each GET). */
export const WEB_PUBLIC_ROUTES = [...Object.keys(FILES), EXPLORER_SETTINGS_ROUTE].flatMap((path) => [`GET ${path}`, `HEAD ${path}`]);

/** The page talks to this origin only; nothing is fetched from elsewhere, nothing runs inline. */
const PAGE_POLICY = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "connect-src 'self'",
  "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'",
].join('; ');

/** The built files live in dist/web of the package, whether this module runs from src/ (tsx) or dist/. */
const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

interface Asset {
  type: string;
  body: Buffer;
  gzipped?: Buffer;
  etag: string;
}

function loadAssets(dir: string): Map<string, Asset> | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const assets = new Map<string, Asset>();
  for (const [route, [file, type]] of Object.entries(FILES)) {
    const body = readFileSync(join(dir, file));
    assets.set(route, { type, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return assets;
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset): FastifyReply {
  reply
    .header('content-type', asset.type)
    .header('cache-control', 'no-cache') // revalidated each load: a rebuilt page shows at once
    .header('etag', asset.etag)
    .header('vary', 'accept-encoding')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
  if (asset.type.startsWith('text/html')) reply.header('content-security-policy', PAGE_POLICY);
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send((asset.gzipped ??= gzipSync(asset.body, { level: 9 })));
  return reply.send(asset.body);
}

export function webRoute(settings: ExplorerSettings, webDir = DEFAULT_WEB_DIR): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    const assets = loadAssets(webDir);
    app.get(EXPLORER_SETTINGS_ROUTE, async (_request, reply) => {
      reply.header('content-type', 'application/json').header('cache-control', 'no-store');
      return JSON.stringify(settings);
    });
    for (const route of Object.keys(FILES)) {
      app.get(route, async (request, reply) => {
        const asset = assets?.get(route);
        if (asset) return send(request, reply, asset);
        throw validationError(`The usage explorer is not built (no ${join(webDir, 'index.html')}). Run \`npm run build\` in the farmtally folder, then restart the server.`, [], 'UNKNOWN_OPERATION');
      });
    }
  };
}
