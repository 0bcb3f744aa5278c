// The route-ingest measurement's client: posts an NDJSON file as it is read from disk, one
// request per `batchSize` records, one request at a time (as `farmtally import` does), with
// as little work per byte as a client can do: a newline count per chunk and a socket write.
// No generator and no JSON in this process, so the server has the 2 cores to itself.
import { createReadStream } from 'node:fs';
import { Agent, request, type ClientRequest } from 'node:http';

export interface Posted {
  received: number;
  created: number;
  /** Time spent waiting for answers after each batch's last byte: the server's part after the upload. */
  commitWaitMs: number;
  requests: number;
}

/** An open request and its answer. */
function open(url: URL, agent: Agent): { req: ClientRequest; answer: Promise<{ status: number; text: string }> } {
  const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-ndjson' } });
  const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
  });
  answer.catch(() => undefined);
  return { req, answer };
}

function write(req: ClientRequest, bytes: Buffer): Promise<void> | undefined {
  if (bytes.length === 0 || req.write(bytes)) return undefined;
  return new Promise((resolve) => req.once('drain', resolve));
}

export async function postFile(endpoint: string, farmId: string, file: string, batchSize: number, onBatch?: (records: number) => void): Promise<Posted> {
  const url = new URL(`${endpoint.replace(/\/+$/, '')}/ingest/v1/farms/${encodeURIComponent(farmId)}/sessions`);
  const agent = new Agent({ keepAlive: true });
  const totals: Posted = { received: 0, created: 0, commitWaitMs: 0, requests: 0 };
  let current: ReturnType<typeof open> | undefined;
  let inBatch = 0;
  const finish = async () => {
    if (!current) return;
    const { req, answer } = current;
    current = undefined;
    const started = performance.now();
    req.end();
    const { status, text } = await answer;
    totals.commitWaitMs += performance.now() - started;
    if (status !== 200) throw new Error(`batch ${totals.requests + 1} answered ${status}: ${text.slice(0, 500)}`);
    const counts = JSON.parse(text) as { received: number; created: number };
    totals.received += counts.received;
    totals.created += counts.created;
    totals.requests++;
    onBatch?.(totals.received);
  };
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, nl + 1)) {
        if (++inBatch < batchSize) continue;
        current ??= open(url, agent);
        await write(current.req, chunk.subarray(from, nl + 1));
        from = nl + 1;
        inBatch = 0;
        await finish();
      }
      if (from < chunk.length) {
        current ??= open(url, agent);
        await write(current.req, chunk.subarray(from));
      }
    }
    await finish();
  } finally {
    agent.destroy();
  }
  return totals;
}
