// Completed results ready to serve: each row's JSON in the API's shape (statistics-output),
// made once per aggregation into one buffer with each row's place in it, so a Get's page is
// a slice of that buffer, which the wire writes as it is (JsonText), neither serialized nor
// copied again. A result is made ready when its run completes, from the
// rows the store hands back, or on its first page after a restart, from the store. Up to
// READY_ROWS rows of all results are held, least recently used out first; a larger result
// is served page by page from the store.
import type { Statistic } from '../../domain/aggregation-rules.js';
import type { AggregationRecord, AggregationRow } from '../../store/aggregation-store.js';
import { JsonText } from '../json-text.js';
import { isoTimes, statisticsJson } from './statistics-output.js';

/** Rows held ready, all results together (about 200 to 400 bytes each). */
export const READY_ROWS = 200_000;

/** Reads rows [offset, offset + limit) of a completed result from the store. */
export type ReadResultRows = (aggregationId: string, offset: number, limit: number) => Promise<AggregationRow[]>;

interface Ready {
  /** The rows' JSON, separated by commas. */
  json: Buffer;
  /** Where each row starts in `json`, and (last) where a row after the last would: one more than its length. */
  starts: Uint32Array;
  rows: number;
  expiresAt: number;
}

export class ResultPages {
  /** By aggregation ID, least recently used first (a Map keeps insertion order). */
  private readonly ready = new Map<string, Ready>();
  private held = 0;

  constructor(private readonly read: ReadResultRows) {}

  /** Makes a completed result ready from its rows, when it fits. */
  add(record: AggregationRecord, rows: AggregationRow[]): void {
    if (rows.length > READY_ROWS) return;
    const iso = isoTimes();
    const texts = rows.map((r) => statisticsJson(r, record.statistics, iso));
    const starts = new Uint32Array(texts.length + 1);
    for (let i = 0; i < texts.length; i++) starts[i + 1] = starts[i]! + Buffer.byteLength(texts[i]!) + 1;
    this.keep(record.aggregationId, { json: Buffer.from(texts.join(',')), starts, rows: texts.length, expiresAt: record.expiresAt });
  }

  /** Rows [offset, offset + limit) of a completed result, as the `statistics` member, and how many. */
  async page(record: AggregationRecord, offset: number, limit: number): Promise<{ statistics: JsonText; count: number }> {
    const id = record.aggregationId;
    let ready = this.ready.get(id);
    if (ready) {
      this.ready.delete(id);
      this.ready.set(id, ready);
    } else if (record.rowCount <= READY_ROWS) {
      this.add(record, await this.read(id, 0, record.rowCount));
      ready = this.ready.get(id);
    }
    if (!ready) {
      const rows = rowsJson(await this.read(id, offset, limit), record.statistics);
      return { statistics: new JsonText([`[${rows.join(',')}]`]), count: rows.length };
    }
    const [from, to] = [Math.min(offset, ready.rows), Math.min(offset + limit, ready.rows)];
    if (from === to) return { statistics: new JsonText(['[]']), count: 0 };
    return { statistics: new JsonText(['[', ready.json.subarray(ready.starts[from], ready.starts[to]! - 1), ']']), count: to - from };
  }

  private keep(id: string, ready: Ready): void {
    this.forget(id);
    const now = Date.now();
    for (const [oldId, old] of this.ready) {
      if (old.expiresAt > now && this.held + ready.rows <= READY_ROWS) break;
      this.forget(oldId);
    }
    this.ready.set(id, ready);
    this.held += ready.rows;
  }

  private forget(id: string): void {
    const gone = this.ready.get(id);
    if (!gone) return;
    this.held -= gone.rows;
    this.ready.delete(id);
  }
}

function rowsJson(rows: AggregationRow[], statistics: Statistic[]): string[] {
  const iso = isoTimes();
  return rows.map((r) => statisticsJson(r, statistics, iso));
}
