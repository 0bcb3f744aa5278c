// Takes a backup from a running server (its CreateBackup extension, POST /backup/v1) into a
// folder: the copy streams into `<file>.partial`, is checked against the length the server
// announced, and only then gets its name, so a folder never holds half a data file under
// the name a server would open.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { authHint } from './advice.js';
import type { IngestSigner } from './credentials.js';
import { readAnswer } from './ingest-request.js';

/** The route of the server's CreateBackup (operations/backup/create-backup.ts). */
const BACKUP_PATH = '/backup/v1';
const EMPTY_SHA256 = createHash('sha256').digest('hex');

export interface DownloadedBackup {
  file: string;
  bytes: number;
  /** Sessions in the copy, as the server counted them in it. */
  sessions: number;
}

/** The server's refusal (an error shape) in words, with what to do. */
async function refusal(res: IncomingMessage): Promise<Error> {
  const answer = await readAnswer<{ message?: string; reason?: string }>(res);
  const errorType = answer.errorType?.split(':')[0];
  // A farmtally from before backups answers its unknown-route error.
  const noRoute = answer.status === 404 || answer.body.reason === 'UNKNOWN_OPERATION';
  const hint = authHint(errorType) ?? (noRoute ? 'This server has no backup route: it is a farmtally from before backups. Upgrade it, or stop it and back up its folder with --data DIR.' : undefined);
  return new Error(`the server refused the backup: ${errorType ?? `HTTP ${answer.status}`}: ${answer.body.message ?? ''}${hint ? `\n${hint}` : ''}`);
}

export async function downloadBackup(endpoint: string, signer: IngestSigner, toDir: string, onBytes: (received: number, total: number) => void): Promise<DownloadedBackup> {
  const url = new URL(BACKUP_PATH, `${endpoint}/`);
  const headers = await signer.sign(url, { 'content-length': '0' }, EMPTY_SHA256);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = send(url, { method: 'POST', headers });
    req.on('response', resolve);
    req.on('error', reject);
    req.end();
  });
  if (res.statusCode !== 200) throw await refusal(res);
  const total = Number(res.headers['content-length']);
  const fileName = String(res.headers['x-farmtally-file-name'] ?? '');
  const sessions = Number(res.headers['x-farmtally-sessions']);
  if (!/^[\w.-]+$/.test(fileName) || !Number.isSafeInteger(total) || !Number.isSafeInteger(sessions)) {
    res.destroy();
    throw new Error('the server answered without the backup headers (x-farmtally-file-name, x-farmtally-sessions, content-length): is that a farmtally server?');
  }
  mkdirSync(toDir, { recursive: true });
  const file = join(toDir, fileName);
  if (existsSync(file)) {
    res.destroy();
    throw new Error(`${file} exists already; a backup never overwrites one. Give --to an empty folder, or move that file away.`);
  }
  const partial = `${file}.partial`;
  let received = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length;
      onBytes(received, total);
      done(null, chunk);
    },
  });
  try {
    await pipeline(res, counted, createWriteStream(partial, { flags: 'w', mode: 0o600 }));
    if (received !== total) throw new Error(`the copy stopped after ${received} of ${total} bytes (the server or the connection went away); run the backup again`);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
  renameSync(partial, file);
  return { file, bytes: total, sessions };
}
