// Completed results ready to serve: each row's JSON in the API's shape (statistics-output),
// made once per aggregation into buffers of CHUNK_ROWS rows with each row's place in them, so
// a Get's page is slices of those buffers, which the wire writes as they are (JsonText),
// neither serialized nor copied again. A completed run hands its rows over at once; the
// chunks are made in the background, a chunk at a time between requests, and a page whose
// chunk is not made yet makes it first: COMPLETED is answered without waiting for the rest.
// After a restart a result is read from the store on its first page. Up to READY_ROWS rows
// of all results are held, least recently used out first; a larger result is served page by
// page from the store.
import type { Statistic } from '../../domain/aggregation-rules.js';
import type { AggregationRecord, AggregationRow } from '../../store/aggregation-store.js';
import { JsonText } from '../json-text.js';
import { isoTimes, statisticsJson } from './statistics-output.js';

/** Rows held ready, all results together (about 200 to 400 bytes each). */
export const READY_ROWS = 200_000;
/** Rows made into one buffer at a time: small enough that a page waiting for its chunk waits little. */
export const CHUNK_ROWS = 250;

/** Reads rows [offset, offset + limit) of a completed result from the store. */
export type ReadResultRows = (aggregationId: string, offset: number, limit: number) => Promise<AggregationRow[]>;

interface Chunk {
  /** The rows' JSON, separated by commas. */
  json: Buffer;
  /** Where each row starts in `json`, and (last) where a row after the last would: one more than its length. */
  starts: Uint32Array;
}

interface Ready {
  statistics: Statistic[];
  /** The rows, until every chunk is made. */
  source?: AggregationRow[];
  chunks: (Chunk | undefined)[];
  rows: number;
  expiresAt: number;
  iso: (ms: number) => string;
  farmId: string;
}

export class ResultPages {
  /** By aggregation ID, least recently used first (a Map keeps insertion order). */
  private readonly ready = new Map<string, Ready>();
  private held = 0;
  /** Moves on when results are dropped (forgetFarm): rows read before are not kept. */
  private generation = 0;

  constructor(private readonly read: ReadResultRows) {}

  /** Drops the farm's results held ready: their stored rows changed (a user given a pseudonym); pages read them again. */
  forgetFarm(farmId: string): void {
    this.generation++;
    for (const [id, ready] of this.ready) if (ready.farmId === farmId) this.forget(id);
  }

  /** Takes a completed result's rows, when they fit, and makes them ready in the background. */
  add(record: AggregationRecord, rows: AggregationRow[]): void {
    if (rows.length > READY_ROWS) return;
    const ready: Ready = {
      statistics: record.statistics, source: rows, chunks: new Array(Math.ceil(rows.length / CHUNK_ROWS)).fill(undefined),
      rows: rows.length, expiresAt: record.expiresAt, iso: isoTimes(), farmId: record.farmId,
    };
    this.keep(record.aggregationId, ready);
    const next = (c: number) => {
      if (c >= ready.chunks.length || this.ready.get(record.aggregationId) !== ready) return;
      chunkOf(ready, c);
      setImmediate(next, c + 1);
    };
    setImmediate(next, 0);
  }

  /** Rows [offset, offset + limit) of a completed result, as the `statistics` member, and how many. */
  async page(record: AggregationRecord, offset: number, limit: number): Promise<{ statistics: JsonText; count: number }> {
    const id = record.aggregationId;
    let ready = this.ready.get(id);
    if (ready) {
      this.ready.delete(id);
      this.ready.set(id, ready);
    } else if (record.rowCount <= READY_ROWS) {
      // Rows read while results were dropped may be from before: read again.
      for (let generation = -1; generation !== this.generation; ) {
        generation = this.generation;
        const rows = await this.read(id, 0, record.rowCount);
        if (generation === this.generation) this.add(record, rows);
      }
      ready = this.ready.get(id);
    }
    if (!ready) {
      const iso = isoTimes();
      const rows = (await this.read(id, offset, limit)).map((r) => statisticsJson(r, record.statistics, iso));
      return { statistics: new JsonText([`[${rows.join(',')}]`]), count: rows.length };
    }
    const [from, to] = [Math.min(offset, ready.rows), Math.min(offset + limit, ready.rows)];
    const parts: (string | Uint8Array)[] = ['['];
    for (let at = from; at < to; ) {
      const c = Math.floor(at / CHUNK_ROWS);
      const chunk = chunkOf(ready, c);
      const [first, end] = [at - c * CHUNK_ROWS, Math.min(to - c * CHUNK_ROWS, CHUNK_ROWS)];
      if (at > from) parts.push(',');
      parts.push(chunk.json.subarray(chunk.starts[first], chunk.starts[end]! - 1));
      at = c * CHUNK_ROWS + end;
    }
    parts.push(']');
    return { statistics: new JsonText(parts), count: to - from };
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

/** Chunk `c` of a result, made now if it is not yet; the rows are let go once every chunk is made. */
function chunkOf(ready: Ready, c: number): Chunk {
  const made = ready.chunks[c];
  if (made) return made;
  const rows = ready.source!.slice(c * CHUNK_ROWS, (c + 1) * CHUNK_ROWS);
  const texts = rows.map((r) => statisticsJson(r, ready.statistics, ready.iso));
  const starts = new Uint32Array(texts.length + 1);
  for (let i = 0; i < texts.length; i++) starts[i + 1] = starts[i]! + Buffer.byteLength(texts[i]!) + 1;
  const chunk = { json: Buffer.from(texts.join(',')), starts };
  ready.chunks[c] = chunk;
  if (ready.chunks.every((x) => x !== undefined)) ready.source = undefined;
  return chunk;
}
