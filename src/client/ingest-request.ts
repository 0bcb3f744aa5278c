// One batch's request to the ingest route: its body written piece by piece as the records are
// read or made, its answer parsed whatever the server sends (JSON counts, an error shape, or
// text). A server may answer before the body is whole (a rejection): then writes stop.
// Streamed as written (IngestRequest), or held until whole and sent with its SHA-256 signed
// (HashedIngestRequest), where a server takes no unsigned body.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { IngestAnswer } from '../domain/ingest-protocol.js';
import type { IngestSigner } from './credentials.js';
import { HeldBody } from './held-body.js';

/** What a batch's request came back with. */
export interface Answer {
  status: number;
  errorType?: string;
  body: { message?: string; fieldList?: { name: string; message: string }[] } & Partial<IngestAnswer>;
}

/**
 * A response of farmtally's own routes (ingest, its extensions) as the client reads it: the
 * JSON body (an error shape's, or the operation's output), or the text as the message when
 * it is not JSON; the error shape's name from x-amzn-errortype.
 */
export async function readAnswer<B extends { message?: string } = Answer['body']>(res: IncomingMessage): Promise<{ status: number; errorType?: string; body: B }> {
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) text += chunk;
  let body: B;
  try {
    body = JSON.parse(text);
  } catch {
    body = { message: text.slice(0, 500) || `HTTP ${res.statusCode}` } as B;
  }
  const errorType = res.headers['x-amzn-errortype'];
  return { status: res.statusCode ?? 0, errorType: typeof errorType === 'string' ? errorType : undefined, body };
}

/** A keep-alive agent for `url`'s protocol: the batches of one upload share a connection. */
export function keepAliveAgent(url: URL): HttpAgent {
  return url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
}

/** Where a batch's bytes go, and its answer. */
export interface BatchRequest {
  /** Takes bytes; false once the server has answered early and wants no more. */
  write(bytes: Buffer): Promise<boolean>;
  /** Ends the body; the server's answer. */
  end(): Promise<Answer>;
  /** Lets go of a batch that will not be ended (the upload stopped). */
  discard(): void;
}

export class IngestRequest implements BatchRequest {
  private readonly request: ClientRequest;
  readonly answer: Promise<Answer>;
  private answered = false;

  constructor(url: URL, headers: Record<string, string>, agent: HttpAgent) {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    this.request = send(url, { method: 'POST', agent, headers });
    this.answer = new Promise<Answer>((resolve, reject) => {
      this.request.on('response', (res: IncomingMessage) => {
        this.answered = true;
        readAnswer(res).then(resolve, reject);
      });
      // Once the server has answered (an early rejection), a broken upload does not matter.
      this.request.on('error', (err) => (this.answered ? undefined : reject(err)));
    });
    this.answer.catch(() => undefined);
  }

  /** Sends bytes; false once the server has answered early and wants no more. */
  async write(bytes: Buffer): Promise<boolean> {
    if (this.answered) return false;
    if (!this.request.write(bytes)) {
      // Wait for any; remove the others, or every slow write would leave listeners behind.
      // An early answer ends the wait too: the server may read what follows slowly, or not
      // at all, until it closes the connection, and the answer is all we need.
      await new Promise<void>((resolve) => {
        const events = ['drain', 'close', 'response'] as const;
        const done = () => {
          for (const e of events) this.request.off(e, done);
          resolve();
        };
        for (const e of events) this.request.on(e, done);
      });
    }
    return !this.answered;
  }

  end(): Promise<Answer> {
    this.request.end();
    return this.answer;
  }

  discard(): void {
    this.request.destroy();
  }
}

/**
 * A batch held until it is whole (held-body.ts: memory, then a temporary file), then sent
 * with its SHA-256 signed in x-amz-content-sha256 and its content-length: a server checks
 * the bytes against the hash as they arrive, so the request cannot carry another body.
 */
export class HashedIngestRequest implements BatchRequest {
  private readonly held = new HeldBody();

  constructor(
    private readonly url: URL,
    private readonly headers: Record<string, string>,
    private readonly signer: IngestSigner,
    private readonly agent: HttpAgent,
  ) {}

  async write(bytes: Buffer): Promise<boolean> {
    await this.held.write(bytes);
    return true;
  }

  async end(): Promise<Answer> {
    try {
      const headers = await this.signer.sign(this.url, { ...this.headers, 'content-length': String(this.held.size) }, this.held.sha256());
      const request = new IngestRequest(this.url, headers, this.agent);
      for await (const chunk of this.held.read()) if (!(await request.write(chunk))) break;
      return await request.end();
    } finally {
      await this.held.dispose();
    }
  }

  discard(): void {
    void this.held.dispose();
  }
}
