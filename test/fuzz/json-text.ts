// A JSON body as bytes, written the usual way or broken the ways clients and attackers break
// it: truncated, random bytes, invalid UTF-8 inside a string, lone surrogate escapes, numbers
// past any float, repeated keys, a byte-order mark, text after the value, another top-level
// type, nesting thousands deep, gzip the server was or was not told about.
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';

export interface BodyBytes {
  body: Buffer;
  /** Headers this way of writing needs (content-encoding for gzip). */
  headers: [string, string][];
  note: string;
}

/** Byte sequences that are not UTF-8: a lone continuation byte, an overlong slash, a surrogate, a cut sequence, 0xFF. */
export const INVALID_UTF8: readonly number[][] = [[0xff], [0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80]];

/**
 * JSON escapes of lone surrogates, as they stand in JSON text: a high or low half alone, a pair
 * the wrong way round, two high halves. Valid JSON, but no Unicode text: the server must refuse
 * them, not store U+FFFD.
 */
export const LONE_SURROGATE_ESCAPES: readonly string[] = ['\\ud800', '\\udbff', '\\udc00', '\\udfff', '\\udc00\\ud800', '\\ud800\\ud800', '\\ud83dx'];

const MARK = '\u0001fuzz-mark\u0001';

/** The object with one of its string members (or `field`) holding `inner` between two letters, as bytes. */
export function withBytesInString(value: Record<string, unknown>, field: string, inner: Buffer): Buffer {
  const text = JSON.stringify({ ...value, [field]: `ab${MARK}cd` });
  const marked = JSON.stringify(MARK).slice(1, -1);
  const at = text.indexOf(marked);
  return Buffer.concat([Buffer.from(text.slice(0, at)), inner, Buffer.from(text.slice(at + marked.length))]);
}

function stringMembers(value: Record<string, unknown>, fallback: string): string[] {
  const names = Object.entries(value).filter(([, v]) => typeof v === 'string').map(([k]) => k);
  return names.length ? names : [fallback];
}

/** Ways of writing `value` as a request body; `fallbackField` is a string member to break when it has none. */
export function jsonBody(value: Record<string, unknown>, fallbackField: string): fc.Arbitrary<BodyBytes> {
  const text = JSON.stringify(value);
  const plain = (body: Buffer | string, note: string, headers: [string, string][] = []): BodyBytes => ({ body: Buffer.from(body), headers, note });
  return fc.oneof(
    { weight: 20, arbitrary: fc.constant(plain(text, 'JSON')) },
    { weight: 2, arbitrary: fc.constant(plain(JSON.stringify(value, null, 2), 'indented JSON')) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: Math.max(0, text.length - 1) }).map((n) => plain(text.slice(0, n), `JSON cut after ${n} characters`)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes) => plain(Buffer.from(bytes), 'random bytes')) },
    {
      weight: 3,
      arbitrary: fc.tuple(fc.constantFrom(...stringMembers(value, fallbackField)), fc.constantFrom(...INVALID_UTF8)).map(([field, bytes]) =>
        plain(withBytesInString(value, field, Buffer.from(bytes)), `invalid UTF-8 (${bytes.map((b) => b.toString(16)).join(' ')}) in '${field}'`),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(...stringMembers(value, fallbackField)), fc.constantFrom(...LONE_SURROGATE_ESCAPES, '\\u0000')).map(([field, escape]) =>
        plain(withBytesInString(value, field, Buffer.from(escape)), `the escape ${escape} in '${field}'`),
      ),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '1e-400', '-0', '0.' + '1'.repeat(400), '9'.repeat(5000)).chain((number) =>
        fc.constantFrom(...Object.keys(value), 'unknownNumber').map((field) => plain(text.replace(/^\{/, `{${JSON.stringify(field)}:${number},`).replace(/,}$/, '}'), `${field}: ${number.slice(0, 20)}`)),
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom(...Object.keys(value), 'x').map((field) => plain(text.replace(/^\{/, `{${JSON.stringify(field)}:null,`).replace(/,}$/, '}'), `'${field}' twice, null first`)) },
    { weight: 1, arbitrary: fc.constant(plain(`\ufeff${text}`, 'a byte-order mark before the JSON')) },
    { weight: 1, arbitrary: fc.constantFrom('x', '}', ' {}', '\u0000', '\n{"a":1}').map((tail) => plain(text + tail, `${JSON.stringify(tail)} after the JSON`)) },
    { weight: 1, arbitrary: fc.constantFrom('null', '[]', '[{}]', '"text"', '0', 'true', '').map((top) => plain(top, `the body ${JSON.stringify(top)}`)) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 100, max: 200_000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => {
        const close = open === '[' ? ']' : '}';
        const deep = `${open.repeat(depth)}${open === '[' ? '' : '1'}${close.repeat(depth)}`;
        return plain(text.replace(/^\{/, `{"deep":${deep},`).replace(/,}$/, '}'), `a member nested ${depth} deep`);
      }),
    },
    { weight: 1, arbitrary: fc.constant(plain(gzipSync(text), 'gzip JSON, with content-encoding: gzip', [['content-encoding', 'gzip']])) },
    { weight: 1, arbitrary: fc.constant(plain(gzipSync(text), 'gzip JSON, with no content-encoding')) },
  );
}
