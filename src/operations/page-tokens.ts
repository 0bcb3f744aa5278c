// Opaque, tamper-proof page tokens: base64url(JSON payload) + '.' + HMAC-SHA256 over it,
// keyed by the server's persistent secret. A token is bound to a scope (the operation and
// its parent resource, or an aggregation) and expires, so one list's token cannot page
// another and a stale one is refused with a clear error instead of a wrong page.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { validationError, type ServiceError } from './errors.js';

export const TOKEN_LIFETIME_MS = 24 * 3600 * 1000;

interface Payload {
  s: string; // scope
  a: string; // position: the store's keyset or an offset
  e: number; // expiry, epoch ms
}

export class PageTokens {
  constructor(
    private readonly secret: Buffer,
    private readonly now: () => number = Date.now,
  ) {}

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }

  issue(scope: string, position: string, lifetimeMs = TOKEN_LIFETIME_MS): string {
    const body = Buffer.from(JSON.stringify({ s: scope, a: position, e: this.now() + lifetimeMs } satisfies Payload)).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  /** The position a token carries, or a ValidationException naming `nextToken`. */
  open(scope: string, token: string): string {
    const bad = (why: string): ServiceError =>
      validationError(`Invalid nextToken: ${why}. Start again from the first page (omit nextToken).`, [{ name: 'nextToken', message: `nextToken ${why}` }]);
    const dot = token.indexOf('.');
    if (dot < 0) throw bad('is not a token this server issued');
    const body = token.slice(0, dot);
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(token.slice(dot + 1));
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw bad('is not a token this server issued');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString()) as Payload;
    if (payload.s !== scope) throw bad('belongs to a different request');
    if (payload.e < this.now()) throw bad('has expired');
    return payload.a;
  }
}
