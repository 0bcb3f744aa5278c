// Splits a streamed body into numbered lines, a body chunk at a time, holding at most one
// partial line (capped) in memory whatever the body's size. `\n` ends a line and a `\r`
// before it is dropped; a line longer than the cap, or not UTF-8, is reported, not kept
// (decoding would quietly turn broken bytes into replacement characters and store them).
import { isUtf8 } from 'node:buffer';

export type Line =
  | { number: number; text: string }
  /** Longer than the cap (its bytes were dropped as they came), or not valid UTF-8. */
  | { number: number; problem: 'too-long' | 'not-utf8' };

function decoded(number: number, bytes: Buffer, start: number, end: number): Line {
  const line = bytes.subarray(start, end);
  return isUtf8(line) ? { number, text: line.toString('utf8') } : { number, problem: 'not-utf8' };
}

export async function* readLines(body: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, maxLineBytes: number): AsyncGenerator<Line[]> {
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let overflowing = false;
  let number = 0;

  const finish = (lines: Line[], tail: Buffer | undefined) => {
    number++;
    if (overflowing) {
      lines.push({ number, problem: 'too-long' });
    } else {
      const bytes = carry.length ? Buffer.concat(tail ? [...carry, tail] : carry) : tail ?? Buffer.alloc(0);
      if (bytes.length > maxLineBytes) {
        lines.push({ number, problem: 'too-long' });
      } else {
        const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
        lines.push(decoded(number, bytes, 0, end));
      }
    }
    carry = [];
    carryBytes = 0;
    overflowing = false;
  };

  for await (const piece of body) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    const lines: Line[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      if (carryBytes === 0 && !overflowing) {
        // The common case: a whole line inside this chunk, decoded straight from it.
        number++;
        const end = nl > start && chunk[nl - 1] === 0x0d ? nl - 1 : nl;
        lines.push(end - start > maxLineBytes ? { number, problem: 'too-long' } : decoded(number, chunk, start, end));
      } else {
        finish(lines, chunk.subarray(start, nl));
      }
      start = nl + 1;
    }
    if (start < chunk.length && !overflowing) {
      const rest = chunk.subarray(start);
      carryBytes += rest.length;
      if (carryBytes > maxLineBytes) {
        overflowing = true;
        carry = [];
      } else {
        // A copy: the chunk's memory may be reused once we hand control back.
        carry.push(Buffer.from(rest));
      }
    }
    if (lines.length) yield lines;
  }
  if (carryBytes > 0 || overflowing) {
    const lines: Line[] = [];
    finish(lines, undefined);
    yield lines;
  }
}
