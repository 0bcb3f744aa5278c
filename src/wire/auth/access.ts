// Who may do what, for every route alike (API operations and the ingest route): the one
// seam between HTTP and the operations for authentication, rate limits and authorization.
//
// - Authentication runs as hooks on every request: in sigv4 mode the claim (key, scope,
//   time) is read as soon as the headers arrive, so a stranger's body is never read; the
//   signature is checked once an API body is in memory (it must cover it), or at once on a
//   streaming route (whose body is checked against its signed hash as it streams, see
//   `payload`; UNSIGNED-PAYLOAD only over TLS). In open mode every caller is `farmtally`.
// - The rate limit takes one token per request per principal, after authentication; the
//   public routes (no credentials) take one per request per client address instead, so a
//   flood of them from one place cannot crowd out everyone else.
// - Authorization happens where the route knows the action and the farm: `authorize`.
import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { FarmGrant } from '../../operations/context.js';
import { accessDenied, throttling, type ServiceError } from '../../operations/errors.js';
import { allFarms, type Principal } from './credentials.js';
import { WatchedCredentials, type Log } from './credentials-watch.js';
import { invalidSignature, unrecognizedClient } from './errors.js';
import { addressKey, RateLimiter } from './rate-limit.js';
import { checkSigningTime, declaredPayloadHash, isHexSha256, readClaim, sha256Hex, UNSIGNED_PAYLOAD, verifySignature, type SignatureClaim } from './sigv4.js';

export type AuthMode = 'open' | 'sigv4';

export interface AccessOptions {
  mode: AuthMode;
  /** sigv4: the credentials file (read now, and again whenever it changes). */
  credentialsFile?: string;
  /** Every action an allow entry may name (`deadline:<OperationName>`). */
  knownActions: readonly string[];
  /** Requests per second per principal (burst the same); off when undefined. */
  rateLimit?: number;
  /** Routes whose body streams to the handler ('METHOD /path' as registered). */
  streamingRoutes: readonly string[];
  /** Routes anyone may call unsigned ('METHOD /path' as registered), e.g. a health check. */
  publicRoutes: readonly string[];
  /** Requests per second per client address on the public routes (burst the same); off when 0 or undefined. */
  publicRateLimit?: number;
  log: Log;
  now?: () => number;
}

/** A streaming request's body, as the authorization seam gives it. */
export interface SignedPayload {
  /** The body as received (the request itself, or a stream that checks it as it passes). */
  body: Readable;
  /** Throws when the bytes read differ from what the client signed; before the commit. */
  checkBody(): Promise<void>;
}

/** Who is calling, once allowed: the name written into createdBy/updatedBy and the farms it may see. */
export interface Caller {
  name: string;
  farms: FarmGrant;
}

/** What one request is known to be, for the checks after it and for its log line. */
interface RequestState {
  claim?: SignatureClaim;
  principal?: Pick<Principal, 'name' | 'farms' | 'allow' | 'secretAccessKey'>;
  /** Whether the principal is proven (its signature checked), not just claimed. */
  verified?: boolean;
  /** The body's signed SHA-256 (streaming routes), checked against the bytes as they arrive. */
  streamedHash?: string;
  action?: string;
  farmId?: string;
}

/** open mode's one principal: everything on every farm. */
const OPEN_PRINCIPAL = { name: 'farmtally', farms: ['*'], allow: ['*'], secretAccessKey: '' };

const routeKey = (request: FastifyRequest) => `${request.method} ${request.routeOptions.url ?? ''}`;

/** Whether the request came over the server's own TLS (not what a header claims). */
const overTls = (request: FastifyRequest): boolean => (request.raw.socket as TLSSocket | null)?.encrypted === true;

/** Passes bytes through unchanged, hashing them; `hex` is set once they have all passed. */
class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  hex: string | undefined;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.hex = this.hash.digest('hex');
    done();
  }
}

export class Access {
  private readonly credentials: WatchedCredentials | undefined;
  private readonly limiter: RateLimiter | undefined;
  private readonly publicLimiter: RateLimiter | undefined;
  private readonly state = new WeakMap<FastifyRequest, RequestState>();
  private readonly now: () => number;

  constructor(private readonly options: AccessOptions) {
    this.now = options.now ?? Date.now;
    if (options.mode === 'sigv4') {
      if (!options.credentialsFile) throw new Error('sigv4 mode needs a credentials file (--credentials FILE); create one with `farmtally credentials add`.');
      this.credentials = new WatchedCredentials(options.credentialsFile, options.knownActions, options.log);
    }
    this.limiter = options.rateLimit ? new RateLimiter(options.rateLimit, this.now) : undefined;
    this.publicLimiter = options.publicRateLimit ? new RateLimiter(options.publicRateLimit, this.now) : undefined;
  }

  get mode(): AuthMode {
    return this.options.mode;
  }

  /** Adds the authentication and rate limit hooks; they apply to every route registered after. */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (request) => {
      if (this.options.publicRoutes.includes(routeKey(request))) return this.throttlePublic(request);
      this.state.set(request, this.credentials ? this.identify(request) : { principal: OPEN_PRINCIPAL, verified: true });
    });
    app.addHook('preHandler', async (request) => {
      const state = this.state.get(request);
      if (!state?.principal) return; // a public route
      if (state.claim) await this.verify(request, state, state.claim);
      state.verified = true;
      const wait = this.limiter?.take(state.principal.name) ?? 0;
      if (wait > 0) {
        const seconds = Math.max(1, Math.ceil(wait));
        throw throttling(`Rate exceeded: ${state.principal.name} may make ${this.options.rateLimit} requests per second (the server's --rate-limit). Retry after ${seconds} s.`, seconds);
      }
    });
  }

  /**
   * Charges the request's principal `tokens` more of its rate limit, for work its request
   * made the server do in vain (a refused body's reading): without it a few KB that take
   * seconds to refuse cost the sender one token like any request.
   */
  chargeWork(request: FastifyRequest, tokens: number): void {
    const principal = this.state.get(request)?.principal;
    if (principal) this.limiter?.charge(principal.name, tokens);
  }

  /**
   * A public route's token, taken from the caller's address as soon as the headers are in
   * (there is no principal to charge). The address is the connection's: behind a proxy every
   * client shares the proxy's, so raise --public-rate-limit there or turn it off.
   */
  private throttlePublic(request: FastifyRequest): void {
    if (!this.publicLimiter) return;
    const address = addressKey(request.ip);
    const wait = this.publicLimiter.take(address);
    if (wait > 0) {
      const seconds = Math.max(1, Math.ceil(wait));
      throw throttling(
        `Rate exceeded: ${address} may make ${this.options.publicRateLimit} requests per second to the routes that need no credentials (the server's --public-rate-limit). Retry after ${seconds} s.`,
        seconds,
      );
    }
  }

  /** sigv4, as soon as the headers are in: the claim, its key, its time. */
  private identify(request: FastifyRequest): RequestState {
    const claim = readClaim(request.headers);
    const principal = this.credentials!.current.principalOf(claim.accessKeyId);
    if (!principal) throw unrecognizedClient();
    checkSigningTime(claim, this.now());
    return { claim, principal };
  }

  private async verify(request: FastifyRequest, state: RequestState, claim: SignatureClaim): Promise<void> {
    const declared = declaredPayloadHash(claim, request.headers);
    const received = { method: request.method, url: request.raw.url ?? request.url, headers: request.headers };
    if (this.options.streamingRoutes.includes(routeKey(request))) {
      // The body has not been read: the signature covers the hash the client declared.
      if (!declared?.signed) {
        throw invalidSignature(`This route streams its body: sign the x-amz-content-sha256 header, set to the body's SHA-256 in hex (as sent, before any gunzip), or to ${UNSIGNED_PAYLOAD} over https.`);
      }
      const value = declared.value.toLowerCase();
      const unsigned = value === UNSIGNED_PAYLOAD.toLowerCase();
      if (!unsigned && !isHexSha256(value)) {
        throw invalidSignature(`x-amz-content-sha256 must be the body's SHA-256 in hex, or ${UNSIGNED_PAYLOAD} over https, on this route, not '${declared.value.slice(0, 70)}'.`);
      }
      // As S3 does: a body the signature does not cover only where no one else can see the
      // request. Over plain HTTP a captured request could be sent again, with another body,
      // for as long as its signing time is current. Refused before a byte of it is read.
      if (unsigned && !overTls(request)) {
        throw invalidSignature(
          `${UNSIGNED_PAYLOAD} is accepted only over https: over plain HTTP anyone who sees the request could send it again with another body while its signature is current (15 minutes). Sign the payload: x-amz-content-sha256 set to the body's SHA-256 in hex (as sent, before any gunzip), or use https.`,
        );
      }
      await verifySignature(claim, state.principal!.secretAccessKey, { ...received, body: undefined });
      if (isHexSha256(value)) state.streamedHash = value;
      return;
    }
    const body = Buffer.isBuffer(request.body) ? request.body : undefined;
    if (declared) {
      if (declared.value === UNSIGNED_PAYLOAD) {
        throw invalidSignature(`${UNSIGNED_PAYLOAD} is accepted only on the ingest route; API requests are signed with their body's SHA-256 (every AWS SDK does so).`);
      }
      if (declared.value.toLowerCase() !== sha256Hex(body)) throw invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    await verifySignature(claim, state.principal!.secretAccessKey, { ...received, body });
  }

  /**
   * The caller, if it may perform `action` (`deadline:<OperationName>`) on `farmId` (absent
   * for actions on no one farm); AccessDeniedException naming the three otherwise.
   */
  authorize(request: FastifyRequest, action: string, farmId: string | undefined): Caller {
    const state = this.state.get(request) ?? {};
    state.action = action;
    state.farmId = farmId;
    this.state.set(request, state);
    const principal = state.verified ? state.principal : undefined;
    if (!principal) throw accessDenied(`${action} needs a signed request.`); // a public route does not authorize
    if (!this.credentials) return { name: principal.name, farms: '*' };
    const everyFarm = allFarms(principal);
    const deny = (resource: string, because: string): ServiceError =>
      accessDenied(
        `User: ${principal.name} is not authorized to perform: ${action} on resource: ${resource} because ${because}. Ask the server's operator to grant it in the credentials file (farmtally credentials add).`,
        { principal: principal.name, action, resource },
      );
    if (!this.credentials.current.allows(principal as Principal, action)) throw deny(farmId ? `farm/${farmId}` : '*', `no allow entry of ${principal.name} matches ${action}`);
    if (action === 'deadline:CreateFarm' && !everyFarm) throw deny('farm/*', `creating a farm needs "farms": ["*"] (the new farm would be outside ${principal.name}'s farms)`);
    if (farmId !== undefined && !everyFarm && !principal.farms.includes(farmId)) throw deny(`farm/${farmId}`, `${farmId} is not among ${principal.name}'s farms`);
    return { name: principal.name, farms: everyFarm ? '*' : new Set(principal.farms) };
  }

  /**
   * A streaming route's body as received (call after `authorize`). When the client signed
   * the body's SHA-256, the bytes are hashed as they stream (before any gunzip) and
   * `checkBody` refuses the request, before anything is committed, if they differ.
   */
  payload(request: FastifyRequest): SignedPayload {
    const expected = this.state.get(request)?.streamedHash;
    if (!expected) return { body: request.raw, checkBody: async () => undefined };
    const hashing = new HashingStream();
    pipeline(request.raw, hashing, () => undefined);
    return {
      body: hashing as Readable,
      checkBody: async () => {
        if (hashing.hex !== expected) {
          throw invalidSignature("The provided 'x-amz-content-sha256' header does not match what was computed; nothing was written. Send the batch again, with the SHA-256 of the body as sent.");
        }
      },
    };
  }

  /** What the request log may say about the caller: never more than names. */
  describe(request: FastifyRequest): { principal?: string; action?: string; farmId?: string } {
    const state = this.state.get(request);
    return { principal: state?.verified ? state.principal?.name : undefined, action: state?.action, farmId: state?.farmId };
  }

  close(): void {
    this.credentials?.close();
  }
}
