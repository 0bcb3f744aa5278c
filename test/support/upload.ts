// An ingest upload whose body the test sends piece by piece (node:http, not fetch), so a
// test can stop part way, trickle bytes like a slow client, or finish, and kill or stop the
// server at a chosen moment. The answer is whatever came back: a response, or the error
// that ended the connection.
import { request, type ClientRequest } from 'node:http';

export type UploadAnswer =
  | { status: number; headers: Record<string, string | string[] | undefined>; text: string; body: any }
  | { status: undefined; error: string };

const CHUNK = 256 * 1024;

export class Upload {
  /** Bytes handed to the socket so far. */
  sent = 0;
  /** The whole body was written and flushed to the socket. */
  finished = false;
  /** Resolves when the server answered or the connection ended; never rejects. */
  readonly answer: Promise<UploadAnswer>;
  private answered = false;
  private readonly request: ClientRequest;
  private readonly closed: Promise<void>;
  private trickler?: NodeJS.Timeout;

  constructor(url: string, path: string, readonly body: Buffer, contentType: string) {
    this.request = request(url + path, { method: 'POST', headers: { 'content-type': contentType, 'content-length': String(body.length) } });
    this.answer = new Promise<UploadAnswer>((resolve) => {
      this.request.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode!, headers: res.headers, text, body: parsed });
        });
        res.on('error', (err) => resolve({ status: undefined, error: err.message }));
      });
      this.request.on('error', (err) => resolve({ status: undefined, error: err.message }));
      this.request.on('close', () => resolve({ status: undefined, error: 'connection closed without an answer' }));
    }).finally(() => {
      this.answered = true;
      this.stopTrickling();
    });
    this.closed = this.event('close');
    this.request.flushHeaders();
  }

  /** Whether the server has answered (or the connection ended) yet. */
  get done(): boolean {
    return this.answered;
  }

  /** Sends the body up to byte `end`, waiting while the socket is full; stops early if the connection ends. */
  async sendUntil(byte: number): Promise<void> {
    const end = Math.min(Math.floor(byte), this.body.length);
    while (this.sent < end && !this.request.destroyed) {
      const piece = this.body.subarray(this.sent, Math.min(this.sent + CHUNK, end));
      this.sent += piece.length;
      if (!this.request.write(piece)) await Promise.race([this.event('drain'), this.closed]);
    }
  }

  /** Sends the rest of the body and ends it; resolves once it is flushed (or the connection ended). */
  async finish(): Promise<void> {
    await this.sendUntil(this.body.length);
    if (this.request.destroyed) return;
    this.request.end();
    await Promise.race([this.event('finish'), this.closed]);
    this.finished = this.request.writableFinished;
  }

  /** From now on, one more byte of the body every `everyMs`, like a client on a very slow link. */
  trickle(everyMs: number): void {
    this.trickler = setInterval(() => {
      if (this.request.destroyed || this.sent >= this.body.length - 1) return this.stopTrickling();
      this.request.write(this.body.subarray(this.sent, this.sent + 1));
      this.sent += 1;
    }, everyMs);
  }

  stopTrickling(): void {
    clearInterval(this.trickler);
  }

  /** Resolves on the request's next `name` event. (events.once would reject on an 'error', which the answer already reports.) */
  private event(name: 'close' | 'drain' | 'finish'): Promise<void> {
    return new Promise((resolve) => this.request.once(name, () => resolve()));
  }

  /** Gives up on the upload (test clean-up). */
  abort(): void {
    this.stopTrickling();
    this.request.destroy();
  }
}

export const ingestPath = (farmId: string) => `/ingest/v1/farms/${farmId}/sessions`;
