// CSV bodies (RFC 4180): a header row naming record fields in any order, then one record
// per row. An empty cell is an absent value; `licenseProducts` lists products separated by
// `;`. A quoted cell may hold commas, doubled quotes and line breaks, so a record may span
// lines: it is numbered by its first. A row that cannot be read is a bad record of its own.
import { LICENSE_PRODUCT_SEPARATOR, REQUIRED_SESSION_RECORD_FIELDS, SESSION_RECORD_FIELDS } from '../session-record.js';
import type { Line } from './lines.js';
import { unreadableLine, type RecordSink } from './ndjson.js';

const QUOTE = 0x22;
const COMMA = 0x2c;
const KNOWN_COLUMNS: ReadonlySet<string> = new Set(SESSION_RECORD_FIELDS);
const REQUIRED_COLUMNS: readonly string[] = REQUIRED_SESSION_RECORD_FIELDS;

function countQuotes(text: string): number {
  let n = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) n++;
  return n;
}

/** The row's cells, or why it cannot be read. */
export function splitCsvRow(text: string): string[] | string {
  if (text.indexOf('"') === -1) return text.split(',');
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === QUOTE) {
      let cell = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q === -1) return `the quoted cell ${cells.length + 1} is not closed`;
        if (text.charCodeAt(q + 1) === QUOTE) {
          cell += text.slice(from, q + 1);
          from = q + 2;
          continue;
        }
        cell += text.slice(from, q);
        i = q + 1;
        break;
      }
      cells.push(cell);
      if (i === text.length) return cells;
      if (text.charCodeAt(i) !== COMMA) return `text follows the closing quote of cell ${cells.length}; quote the whole cell`;
      i++;
    } else {
      const comma = text.indexOf(',', i);
      const cell = text.slice(i, comma === -1 ? text.length : comma);
      if (cell.includes('"')) return `cell ${cells.length + 1} holds a quote but is not quoted; quote the cell and double the quotes inside`;
      cells.push(cell);
      if (comma === -1) return cells;
      i = comma + 1;
    }
  }
}

export class CsvReader {
  private columns: string[] | undefined;
  private headerFailed = false;
  /** A record whose quoted cell is still open at the end of the lines read so far. */
  private open: { number: number; text: string } | undefined;

  constructor(
    private readonly sink: RecordSink,
    private readonly maxRecordBytes: number,
  ) {}

  read(lines: readonly Line[]): void {
    for (const line of lines) {
      if ('problem' in line) {
        this.unreadable(this.open?.number ?? line.number, unreadableLine(line.problem, this.maxRecordBytes));
        this.open = undefined;
        continue;
      }
      let number = line.number;
      let text = line.text;
      if (this.open) {
        number = this.open.number;
        text = `${this.open.text}\n${text}`;
        this.open = undefined;
      }
      if (countQuotes(text) % 2 === 1) {
        // Inside a quoted cell: the record goes on on the next line.
        if (Buffer.byteLength(text) > this.maxRecordBytes) this.unreadable(number, unreadableLine('too-long', this.maxRecordBytes));
        else this.open = { number, text };
        continue;
      }
      this.row(number, text);
    }
  }

  /** The body ended: a record still inside quotes was cut off. */
  end(): void {
    if (this.open) this.unreadable(this.open.number, 'the body ends inside a quoted cell; close its quote');
    this.open = undefined;
  }

  private unreadable(number: number, why: string): void {
    if (this.headerFailed) return;
    if (this.columns) this.sink.unreadable(number, why);
    else this.failHeader(`line ${number}: the header row is ${why}`);
  }

  private row(number: number, text: string): void {
    if (number === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim().length === 0) return;
    if (this.headerFailed) return;
    const cells = splitCsvRow(text);
    if (!this.columns) return this.header(number, cells);
    if (typeof cells === 'string') return this.sink.unreadable(number, `not a readable CSV row: ${cells}`);
    if (cells.length !== this.columns.length) {
      return this.sink.unreadable(number, `the row has ${cells.length} cells but the header has ${this.columns.length} columns`);
    }
    const value: Record<string, unknown> = {};
    for (let k = 0; k < cells.length; k++) {
      const cell = cells[k]!;
      if (cell === '') continue;
      const column = this.columns[k]!;
      value[column] = column === 'licenseProducts' ? cell.split(LICENSE_PRODUCT_SEPARATOR).map((p) => p.trim()) : cell;
    }
    this.sink.record(number, value);
  }

  private header(number: number, cells: string[] | string): void {
    if (typeof cells === 'string') return this.failHeader(`line ${number}: the header row is not readable CSV: ${cells}`);
    const columns = cells.map((c) => c.trim());
    const unknown = columns.filter((c) => !KNOWN_COLUMNS.has(c));
    const repeated = columns.filter((c, i) => columns.indexOf(c) !== i);
    const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
    const problems = [
      unknown.length ? `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `'${c}'`).join(', ')}` : '',
      repeated.length ? `repeated column${repeated.length > 1 ? 's' : ''} ${repeated.join(', ')}` : '',
      missing.length ? `missing required column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` : '',
    ].filter(Boolean);
    if (problems.length) {
      return this.failHeader(`line ${number}: the header row has ${problems.join('; ')}. Columns are record fields: ${SESSION_RECORD_FIELDS.join(', ')}`);
    }
    this.columns = columns;
  }

  private failHeader(message: string): void {
    this.headerFailed = true;
    this.sink.problem('header', message);
  }
}
