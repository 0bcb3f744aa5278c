// What went wrong, said where it belongs: an API error's fieldList names the controls at
// fault, a missing farm or queue its picker, a refused signature the keys; anything else
// goes beside the Run button. Every message says what to do next.
import { AggregationEnded } from './api.js';
import { controlOfField, type FieldErrors } from './query.js';

interface SdkError {
  name?: string;
  message?: string;
  fieldList?: { name?: string; message?: string }[];
  resourceType?: string;
  resourceId?: string;
  $metadata?: { httpStatusCode?: number };
}

export interface Problem {
  fields: FieldErrors;
  /** The keys were refused (403): the page offers to enter them again. */
  auth?: boolean;
  cancelled?: boolean;
}

const AUTH_HINT: Record<string, string> = {
  UnrecognizedClientException: 'The server does not know this access key ID. Check it, or ask the server\'s operator for a key (farmtally credentials add).',
  InvalidSignatureException: 'The secret access key does not match this access key ID (the server could not verify the signature). Enter the keys again.',
  MissingAuthenticationTokenException: 'This server takes signed requests only: enter an access key ID and secret access key.',
  IncompleteSignatureException: 'The server could not read the signature. Enter the keys again.',
};

/** What to do next, for a control the server refused on a strict server (its messages name constraints, not fixes). */
const STRICT_HINTS: FieldErrors = {
  tz: 'This server runs with --strict and takes only UTC+HH:MM or UTC-HH:MM with minutes 00 or 30, as Deadline Cloud does: pick one from the list.',
  groupBy: 'This server runs with --strict and takes one or two group-by fields, as Deadline Cloud does.',
};

export function describeError(err: unknown, strict = false): Problem {
  const e = (err ?? {}) as SdkError;
  if (e.name === 'AbortError' || (err instanceof DOMException && err.name === 'AbortError')) return { fields: {}, cancelled: true };
  if (err instanceof AggregationEnded) {
    return { fields: { general: `${err.message}${err.status === 'TIMEOUT' || err.status === 'FAILED' ? ' Try a shorter range, a longer period, or fewer group-by fields.' : ''}` } };
  }
  if (e.name && AUTH_HINT[e.name]) return { fields: { general: AUTH_HINT[e.name]! }, auth: true };
  if (e.name === 'AccessDeniedException') return { fields: { general: `${e.message ?? 'Access denied.'}` }, auth: true };
  if (e.name === 'ValidationException' && e.fieldList?.length) {
    const fields: FieldErrors = {};
    for (const f of e.fieldList) {
      const control = controlOfField(f.name ?? '');
      fields[control] = fields[control] ? `${fields[control]} ${f.message ?? ''}` : f.message ?? e.message;
    }
    if (strict) for (const control of Object.keys(fields) as (keyof FieldErrors)[]) if (STRICT_HINTS[control]) fields[control] += ` ${STRICT_HINTS[control]}`;
    return { fields };
  }
  if (e.name === 'ResourceNotFoundException') {
    const control = e.resourceType === 'farm' ? 'farm' : e.resourceType === 'queue' || e.resourceType === 'fleet' ? 'resources' : 'general';
    return { fields: { [control]: e.message ?? `${e.resourceType} ${e.resourceId} does not exist.` } };
  }
  if (err instanceof TypeError && /fetch|network/i.test(err.message)) {
    return { fields: { general: `The farmtally server at ${location.origin} did not answer (${err.message}). Check that it is running, then try again.` } };
  }
  const status = e.$metadata?.httpStatusCode;
  return { fields: { general: `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message ?? String(err)}${status && status >= 500 ? ' Try again; if it persists, the server\'s log says more.' : ''}` } };
}
