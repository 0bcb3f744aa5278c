// The HTTP front: one Fastify route per operation of the registry, every response with an
// x-amzn-requestid, every error in the model's shapes (x-amzn-errortype + JSON body), and
// nothing a client sends able to take the process down.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { FarmGrant, OperationContext } from '../operations/context.js';
import { fieldValidationError, internalError, ServiceError, storageFaultError, tooLarge, validationError } from '../operations/errors.js';
import { BlobOutput } from '../operations/blob-output.js';
import type { AnyOperation } from '../operations/operation.js';
import { streamingMemberOf } from '../operations/validation/shapes.js';
import type { Access } from './auth/access.js';
import { sendBlob } from './blob-reply.js';
import { BodyRefused, pacedBody, stoppingRefusal, type BodyPace } from './body-guard.js';
import { onClientError } from './client-errors.js';
import { lingerAfterEarlyAnswers } from './early-answers.js';
import { logRequests } from './request-log.js';
import { outputJson } from './output-json.js';
import { bindInput, toPath, type RawRequest } from './rest-json.js';
import { gzipped, streamingPayload, type PayloadLimits } from './streaming-payload.js';

export interface AppOptions {
  operations: readonly AnyOperation[];
  /** The per-request context, for the caller the auth step let in. */
  context: (caller: string, grantedFarms: FarmGrant, requestId: string, clientAddress: string) => OperationContext;
  /** Authentication, rate limits and authorization, for every route (wire/auth/access.ts). */
  access: Access;
  /** Fastify's logger: one line per request (request-log.ts), and the server's own messages. */
  logger: FastifyBaseLogger;
  /** Operation names of plugin routes for the request log, by 'METHOD /path' as registered. */
  routeOperations?: Record<string, string>;
  /** Serve HTTPS with this certificate and key (PEM). */
  https?: { cert: Buffer; key: Buffer };
  /** Largest accepted JSON body, in bytes. */
  bodyLimit: number;
  /** How a request body must keep arriving (JSON bodies and streaming payloads alike). */
  bodyPace: BodyPace;
  /** Bounds on a streaming payload (an operation's body that streams to it, such as IngestSessions'). */
  payloadLimits: PayloadLimits;
  /** Aborted when the server begins to stop: requests from then on are refused, bodies still arriving too. */
  stopping: AbortSignal;
  /** Extra route plugins (the web page, /health), registered in their own encapsulated scope. */
  plugins?: ((app: FastifyInstance) => Promise<void>)[];
  /** Called with each unexpected error (a bug, not bad input), for the server's log. */
  onInternalError?: (err: unknown, request: FastifyRequest) => void;
}

/** Bytes of a refused streaming body read per extra rate-limit token charged to its sender. */
export const WASTED_BYTES_PER_TOKEN = 1024 * 1024;

/** The routes whose body streams to their operation ('METHOD /path' as registered), for the auth step. */
export function streamingRoutesOf(operations: readonly AnyOperation[]): string[] {
  return operations.filter((op) => streamingMemberOf(op.input)).map((op) => `${op.method} ${toPath(op.path)}`);
}

export function sendError(reply: FastifyReply, err: ServiceError): FastifyReply {
  reply.code(err.status).header('x-amzn-errortype', err.shape).header('content-type', 'application/json');
  if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.max(0, Math.ceil(err.retryAfterSeconds))));
  return reply.send(JSON.stringify(err.body()));
}

/** Fastify's own errors (body too large, bad headers...) mapped to the model's shapes. */
function fromFramework(err: { code?: string; statusCode?: number; message: string }, bodyLimit: number): ServiceError | undefined {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return tooLarge(`The request body is larger than the ${bodyLimit}-byte limit. Send less per request.`);
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    return validationError(`The request could not be read: ${err.message}`, [], 'CANNOT_PARSE');
  }
  return undefined;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    // request-log.ts writes one line per request instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    // An HTTP/1.1 request without Host is let through to be answered like any other (Node's
    // own refusal is a bare 400 outside the model's shape); nothing here routes by host, and
    // in sigv4 mode a request whose host is not signed is refused anyway.
    ...(options.https ? { https: { ...options.https, requireHostHeader: false } } : { http: { requireHostHeader: false } }),
    bodyLimit: options.bodyLimit,
    genReqId: () => randomUUID(),
    // Long IDs and tokens ride in the URL; Fastify's default (100) is too short for some.
    routerOptions: { maxParamLength: 512, ignoreTrailingSlash: true },
    // Requests that arrive while stopping get the model's error shape (onRequest below), not Fastify's own 503.
    return503OnClosing: false,
    clientErrorHandler: onClientError,
    // Paths the router cannot take apart, answered in the model's shape like any bad input.
    frameworkErrors: (err, request, reply) => {
      reply.header('x-amzn-requestid', request.id);
      const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
      sendError(
        reply,
        validationError(
          tooLong ? 'A member in the request path is longer than 512 characters, more than any ID or token of this API.' : 'The request path is not valid percent-encoding. Encode reserved characters in IDs as %XX.',
          [],
          'CANNOT_PARSE',
        ),
      );
    },
  });

  // The API reads bodies itself, so malformed JSON becomes CANNOT_PARSE in the model's shape
  // (and an unknown route with any body is still UNKNOWN_OPERATION). Plugins may override.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-amzn-requestid', request.id);
    if (options.stopping.aborted) {
      reply.header('connection', 'close');
      throw stoppingRefusal();
    }
  });
  lingerAfterEarlyAnswers(app);
  options.access.install(app);
  const operationOfRoute = new Map(Object.entries(options.routeOperations ?? {}));
  for (const op of options.operations) operationOfRoute.set(`${op.method} ${toPath(op.path)}`, op.name);
  logRequests(app, (request) => {
    const { principal, action, farmId } = options.access.describe(request);
    const operation = action?.replace(/^deadline:/, '') ?? operationOfRoute.get(`${request.method} ${request.routeOptions.url ?? ''}`);
    return { principal, operation, farmId };
  });

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof ServiceError) return sendError(reply, err);
    if (err instanceof BodyRefused) return sendError(reply, err.answer);
    const fault = storageFaultError(err);
    if (fault) return sendError(reply, fault);
    const mapped = fromFramework(err as { code?: string; statusCode?: number; message: string }, options.bodyLimit);
    if (mapped) return sendError(reply, mapped);
    options.onInternalError?.(err, request);
    return sendError(reply, internalError());
  });

  const unknownOperation = (request: FastifyRequest) =>
    validationError(`No operation matches ${request.method} ${request.url.split('?')[0]}. Check the endpoint URL and the API version (/2023-10-12/).`, [], 'UNKNOWN_OPERATION');
  // Answered as soon as the headers are in (after authentication): the not-found handler
  // runs only once a body has been read whole, and a body that stalls on no route has no
  // pace to keep, so it was never answered.
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url === undefined) return sendError(reply, unknownOperation(request));
  });
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, unknownOperation(request));
  });

  /** One operation's route: authorize, bind and validate the input, run it, serialize its output. */
  const handlerOf = (op: AnyOperation, streams: boolean) => async (request: FastifyRequest, reply: FastifyReply) => {
    const raw: RawRequest = {
      params: request.params as Record<string, string>,
      query: request.query as Record<string, string>,
      headers: request.headers,
      body: streams ? undefined : (request.body as Buffer | undefined),
    };
    // Authorization comes before any look at the input: who may not call learns nothing from it.
    const caller = options.access.authorize(request, `deadline:${op.name}`, raw.params.farmId);
    let decodedBytes = () => 0;
    if (streams) {
      const gzip = gzipped(request.headers['content-encoding']);
      const signed = options.access.payload(request);
      const streaming = streamingPayload(signed.body, gzip, signed.checkBody, options.payloadLimits, options.stopping);
      raw.payload = streaming.payload;
      decodedBytes = streaming.decodedBytes;
    }
    const ctx = options.context(caller.name, caller.farms, request.id, request.ip);
    // Under --strict, members marked as extensions are as unknown as any the model lacks.
    const input = bindInput(op, raw, ctx.settings.strict);
    if (op.check) {
      const failures = op.check(input as never, ctx);
      if (failures.length) throw fieldValidationError(failures);
    }
    let output;
    try {
      output = await op.handle(input as never, ctx);
    } catch (err) {
      // A body read in vain (refused as the client's fault; not for want of room) costs its sender a token per MiB read.
      if (err instanceof ServiceError && err.status >= 400 && err.status < 500 && err.status !== 429) options.access.chargeWork(request, Math.floor(decodedBytes() / WASTED_BYTES_PER_TOKEN));
      throw err;
    }
    if (output instanceof BlobOutput) return sendBlob(reply, output);
    reply.header('content-type', 'application/json');
    const body = outputJson(output as object | undefined);
    if (body.length === 1 && typeof body[0] === 'string') return body[0];
    // Parts (a page's rows, a slice of a buffer) are written one after the other, uncopied.
    reply.header('content-length', body.reduce((n, part) => n + (typeof part === 'string' ? Buffer.byteLength(part) : part.byteLength), 0));
    return Readable.from(body);
  };

  await app.register(async (api) => {
    // A JSON body must keep arriving like any other.
    api.addHook('preParsing', async (_request, _reply, payload) => Readable.from(pacedBody(payload, options.bodyPace, options.stopping), { objectMode: false }));
    for (const op of options.operations) {
      if (!streamingMemberOf(op.input)) api.route({ method: op.method, url: toPath(op.path), handler: handlerOf(op, false) });
    }
  });
  await app.register(async (streaming) => {
    // Left unread: the operation reads the body as it arrives (streaming-payload.ts guards it).
    streaming.removeAllContentTypeParsers();
    streaming.addContentTypeParser('*', (_request, _payload, done) => done(null));
    for (const op of options.operations) {
      if (streamingMemberOf(op.input)) streaming.route({ method: op.method, url: toPath(op.path), handler: handlerOf(op, true) });
    }
  });

  for (const plugin of options.plugins ?? []) await app.register(plugin);
  return app;
}
