// restJson1 request binding: gathers an operation's input from the URI, the query string,
// headers and the JSON body, as its shape's member locations say, then validates it.
import { fieldValidationError, validationError } from '../operations/errors.js';
import type { AnyOperation } from '../operations/operation.js';
import type { ByteStream, Shape } from '../operations/validation/shapes.js';
import { validateAny } from '../operations/validation/validate.js';

/** A URI template of the model (`/farms/{farmId}`) as a Fastify route path (`/farms/:farmId`). */
export function toPath(template: string): string {
  return template.replace(/\{(\w+)\}/g, ':$1');
}

export interface RawRequest {
  params: Record<string, string>;
  query: Record<string, string | string[] | undefined>;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | undefined;
  /** A streaming payload's value, when the operation has such a member (its body is then not parsed). */
  payload?: ByteStream;
}

/** Query and header values arrive as text; numbers and booleans (`true`, `false`) are read as the shape asks. */
function fromText(shape: Shape, text: string): unknown {
  if ((shape.type === 'integer' || shape.type === 'float') && /^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (shape.type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

/** Deeper than any input shape of the model goes; deeper bodies are refused before parsing, so nothing recurses over them. */
export const MAX_JSON_DEPTH = 32;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const [QUOTE, BACKSLASH, OPEN_BRACE, OPEN_BRACKET, CLOSE_BRACE, CLOSE_BRACKET] = [0x22, 0x5c, 0x7b, 0x5b, 0x7d, 0x5d];

/** Whether the JSON text nests objects and arrays deeper than `max` (brackets inside strings do not count). */
function nestsDeeperThan(body: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
  }
  return false;
}

function parseBody(body: Buffer | undefined): Record<string, unknown> {
  if (!body || body.length === 0) return {};
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw validationError('The request body is not valid UTF-8. Send JSON text encoded as UTF-8.', [], 'CANNOT_PARSE');
  }
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
    throw validationError(`The request body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels, more than any input of this API. Send the operation's input members.`, [], 'CANNOT_PARSE');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : 'invalid JSON';
    throw validationError(`The request body is not valid JSON (${why}). Send a JSON object.`, [], 'CANNOT_PARSE');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw validationError('The request body must be a JSON object.', [], 'CANNOT_PARSE');
  }
  return parsed as Record<string, unknown>;
}

export function bindInput(op: AnyOperation, raw: RawRequest, strict = false): unknown {
  const body = op.method === 'GET' || op.method === 'DELETE' || raw.payload ? {} : parseBody(raw.body);
  const gathered: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(op.input.members)) {
    let value: unknown;
    switch (member.location) {
      case 'body':
        value = body[name];
        break;
      case 'uri':
        value = raw.params[name];
        break;
      case 'query': {
        const q = raw.query[member.wireName ?? name];
        value = Array.isArray(q) ? q : q === undefined ? undefined : fromText(member.shape, q);
        break;
      }
      case 'header': {
        const h = raw.headers[(member.wireName ?? name).toLowerCase()];
        value = Array.isArray(h) ? h.join(',') : h;
        break;
      }
      case 'payload':
        value = raw.payload;
        break;
    }
    if (value !== undefined) gathered[name] = value;
  }
  const { value, failures } = validateAny(op.input, gathered, '', strict);
  if (failures.length) throw fieldValidationError(failures);
  return value;
}
