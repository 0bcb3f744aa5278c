// Writes records to an NDJSON file a megabyte at a time, waiting for the disk (bounded memory).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

export async function writeNdjson(file: string, records: Iterable<object>, onProgress?: (records: number) => void): Promise<number> {
  const out = createWriteStream(file);
  const failed = once(out, 'error').then(([err]) => Promise.reject(err));
  failed.catch(() => undefined);
  let chunk = '';
  let count = 0;
  const flush = async () => {
    if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
    chunk = '';
    onProgress?.(count);
  };
  for (const record of records) {
    chunk += `${JSON.stringify(record)}\n`;
    count++;
    if (chunk.length >= 1 << 20) await flush();
  }
  if (chunk) await flush();
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  return count;
}
