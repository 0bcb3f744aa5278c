// One batch's request to the ingest route: its body written piece by piece as the records are
// read or made, its answer parsed whatever the server sends (JSON counts, an error shape, or
// text). A server may answer before the body is whole (a rejection): then writes stop.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { IngestCounts } from '../domain/ingest-protocol.js';

/** What a batch's request came back with. */
export interface Answer {
  status: number;
  errorType?: string;
  body: { message?: string; fieldList?: { name: string; message: string }[] } & Partial<IngestCounts>;
}

/** A keep-alive agent for `url`'s protocol: the batches of one upload share a connection. */
export function keepAliveAgent(url: URL): HttpAgent {
  return url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
}

export class IngestRequest {
  private readonly request: ClientRequest;
  readonly answer: Promise<Answer>;
  private answered = false;

  constructor(url: URL, headers: Record<string, string>, agent: HttpAgent) {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    this.request = send(url, { method: 'POST', agent, headers });
    this.answer = new Promise<Answer>((resolve, reject) => {
      this.request.on('response', (res: IncomingMessage) => {
        this.answered = true;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let body: Answer['body'] = {};
          try {
            body = JSON.parse(text);
          } catch {
            body = { message: text.slice(0, 500) || `HTTP ${res.statusCode}` };
          }
          const errorType = res.headers['x-amzn-errortype'];
          resolve({ status: res.statusCode ?? 0, errorType: typeof errorType === 'string' ? errorType : undefined, body });
        });
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
}
