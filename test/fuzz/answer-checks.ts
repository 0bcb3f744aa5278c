// The promises every answer keeps, whatever was sent (SPEC sections 1 and 6): never a 5xx;
// a request ID on every response; an error in the model's shape (x-amzn-errortype naming a
// shape, a JSON body with a string message, a reason for ValidationException); a success
// with a JSON body, or, from an operation whose output is a blob (CreateBackup), the
// declared bytes in full. Returns the broken promises as sentences, none when all hold.
import type { RawHttpResponse } from './raw-http.js';

/**
 * Error shapes a client may see: the model's, the authentication errors of sigv4 mode, and
 * AWS's common RequestTimeoutException for a body that stopped arriving (the SDKs retry it).
 */
export const ERROR_SHAPES: ReadonlySet<string> = new Set([
  'ValidationException', 'AccessDeniedException', 'ResourceNotFoundException', 'ConflictException', 'ThrottlingException',
  'ServiceQuotaExceededException', 'InternalServerErrorException',
  'UnrecognizedClientException', 'InvalidSignatureException', 'MissingAuthenticationTokenException', 'IncompleteSignatureException',
  'RequestTimeoutException',
]);
export const VALIDATION_REASONS: ReadonlySet<string> = new Set(['UNKNOWN_OPERATION', 'CANNOT_PARSE', 'FIELD_VALIDATION_FAILED', 'OTHER']);

export function answerProblems(method: string, res: RawHttpResponse): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`answered ${res.status} (a 5xx): a client's input must never be a server error`);
  if (!res.headers['x-amzn-requestid']) problems.push('no x-amzn-requestid header');
  const body = res.json as Record<string, unknown> | undefined;
  if (res.status >= 400) {
    const shape = res.headers['x-amzn-errortype'];
    if (!shape) problems.push(`error ${res.status} without an x-amzn-errortype header`);
    else if (!ERROR_SHAPES.has(shape.split(':')[0]!)) problems.push(`x-amzn-errortype '${shape}' is not an error shape of the model`);
    if (method !== 'HEAD') {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) problems.push(`error body is not a JSON object: ${JSON.stringify(res.text.slice(0, 200))}`);
      else {
        if (typeof body.message !== 'string' || !body.message) problems.push('error body has no string message');
        if (shape === 'ValidationException' && !VALIDATION_REASONS.has(body.reason as string)) problems.push(`ValidationException with reason ${JSON.stringify(body.reason)}`);
      }
    }
  } else if (res.status >= 200 && res.status < 300 && method !== 'HEAD') {
    if (res.headers['content-type'] === 'application/octet-stream') {
      const declared = Number(res.headers['content-length']);
      if (!(declared > 0) || declared !== res.body.length) problems.push(`blob success of ${res.body.length} bytes, declared ${res.headers['content-length']}`);
    } else if (typeof body !== 'object' || body === null) problems.push(`success body is not a JSON object: ${JSON.stringify(res.text.slice(0, 200))}`);
  } else if (res.status < 200 || res.status >= 300) {
    problems.push(`unexpected status ${res.status}`);
  }
  return problems;
}
