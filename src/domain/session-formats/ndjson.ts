// NDJSON bodies: one JSON object per line. Blank lines are skipped; a line that is not a
// JSON object is a bad record of its own (the batch is rejected naming its line), not a
// failure of the whole request, so the sender learns which line to fix.
import type { Line } from './lines.js';

/** Where a reader puts what it read, in body order. */
export interface RecordSink {
  /** A record's fields as read from body line `line`, not yet validated. */
  record(line: number, value: unknown): void;
  /** A record that could not be read at all (bad JSON, a malformed CSV row, too long). */
  unreadable(line: number, why: string): void;
  /** A failure of the body as a whole rather than of one record (a CSV header). */
  problem(name: string, message: string): void;
}

/** Why a line the reader could not keep is no record. */
export function unreadableLine(problem: 'too-long' | 'not-utf8', maxBytes: number): string {
  return problem === 'too-long'
    ? `longer than ${maxBytes} bytes, the most one record may take; split or shorten it`
    : 'not valid UTF-8; send the records as UTF-8 text';
}

function isBlank(text: string): boolean {
  return text.length === 0 || (text.charCodeAt(0) <= 0x20 && text.trim().length === 0);
}

export function readNdjson(lines: readonly Line[], sink: RecordSink, maxLineBytes: number): void {
  for (const line of lines) {
    if ('problem' in line) {
      sink.unreadable(line.number, unreadableLine(line.problem, maxLineBytes));
      continue;
    }
    // A byte order mark some editors put first is not part of the JSON.
    const text = line.number === 1 && line.text.charCodeAt(0) === 0xfeff ? line.text.slice(1) : line.text;
    if (isBlank(text)) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      sink.unreadable(line.number, `not valid JSON (${err instanceof Error ? err.message : String(err)}); each line must be one JSON object`);
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      sink.unreadable(line.number, 'not a JSON object; each line must be one session record as a JSON object');
      continue;
    }
    sink.record(line.number, value);
  }
}
