// The service's error shapes (see the API model), as values any operation can throw.
// Each carries the status the model gives it; the wire layer turns a ServiceError into the
// status, x-amzn-errortype and a JSON body, and anything else that escapes into
// InternalServerErrorException.
import { StorageFault } from '../store/store.js';

export interface FieldFailure {
  name: string;
  message: string;
}

export type ValidationReason = 'UNKNOWN_OPERATION' | 'CANNOT_PARSE' | 'FIELD_VALIDATION_FAILED' | 'OTHER';

export class ServiceError extends Error {
  constructor(
    readonly shape: string,
    readonly status: number,
    message: string,
    /** Extra members of the error shape, serialized beside `message`. */
    readonly members: Record<string, unknown> = {},
    /** Seconds for the Retry-After header (Throttling, InternalServerError). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = shape;
  }

  body(): Record<string, unknown> {
    const body: Record<string, unknown> = { message: this.message, ...this.members };
    if (this.retryAfterSeconds !== undefined) body.retryAfterSeconds = this.retryAfterSeconds;
    return body;
  }
}

export function validationError(
  message: string,
  fieldList: FieldFailure[] = [],
  reason: ValidationReason = 'FIELD_VALIDATION_FAILED',
): ServiceError {
  return new ServiceError('ValidationException', 400, message, fieldList.length ? { reason, fieldList } : { reason });
}

/** A request larger than the server takes (413): what to send instead goes in the message. */
export function tooLarge(message: string): ServiceError {
  return new ServiceError('ValidationException', 413, message, { reason: 'OTHER' });
}

/** One ValidationException for a list of failures, in the AWS "N validation errors detected" style. */
export function fieldValidationError(failures: FieldFailure[]): ServiceError {
  const n = failures.length;
  const head = `${n} validation error${n === 1 ? '' : 's'} detected: `;
  return validationError(head + failures.map((f) => f.message).join('; '), failures);
}

export function notFound(resourceType: string, resourceId: string, message?: string): ServiceError {
  return new ServiceError('ResourceNotFoundException', 404, message ?? `Resource of type ${resourceType} with id ${resourceId} does not exist.`, {
    resourceId,
    resourceType,
  });
}

export function conflict(reason: string, resourceType: string, resourceId: string, message: string): ServiceError {
  return new ServiceError('ConflictException', 409, message, { reason, resourceId, resourceType });
}

export function throttling(message: string, retryAfterSeconds: number, quotaCode?: string): ServiceError {
  return new ServiceError('ThrottlingException', 429, message, { serviceCode: 'deadline', ...(quotaCode ? { quotaCode } : {}) }, retryAfterSeconds);
}

/** `context` (the model's member) names who was refused what, for scripts. */
export function accessDenied(message: string, context?: Record<string, string>): ServiceError {
  return new ServiceError('AccessDeniedException', 403, message, context ? { context } : {});
}

export function internalError(message = 'An internal error occurred. Retry the request; if it keeps failing, check the server log.'): ServiceError {
  return new ServiceError('InternalServerErrorException', 500, message, {}, 1);
}

/**
 * A fault of the storage, not of the request, as InternalServerErrorException: a full disk
 * is 507 and not worth retrying until someone frees space (no Retry-After); an engine that
 * is reopening is 503, worth a retry in a few seconds.
 */
export function storageFaultError(err: unknown): ServiceError | undefined {
  if (!(err instanceof StorageFault)) return undefined;
  if (err.kind === 'no-space') return new ServiceError('InternalServerErrorException', 507, err.message);
  return new ServiceError('InternalServerErrorException', 503, err.message, {}, 5);
}

/** A full disk met outside the engine (spooling a body): the same answer as the engine's. */
export function noSpaceError(cause: string): ServiceError {
  return storageFaultError(StorageFault.noSpace(cause))!;
}
