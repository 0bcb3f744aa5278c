// Result rows for paging, read from the engine in chunks and kept in memory, up to
// CACHED_RESULT_ROWS for all aggregations together, least recently used out first. A client
// reads a result page after page; one query per chunk instead of one per page made paging
// markedly faster (BENCHMARKS.md, What was tried).
import type { AggregationRow } from '../aggregation-store.js';

export const RESULT_CHUNK_ROWS = 2_000;
export const CACHED_RESULT_ROWS = 100_000;

/** Reads rows [from, to) of an aggregation's result, in order. */
export type ReadRows = (aggregationId: string, from: number, to: number) => Promise<AggregationRow[]>;

export class ResultChunks {
  /** Chunks by `${aggregationId}:${chunk}`, least recently used first (a Map keeps insertion order). */
  private readonly chunks = new Map<string, AggregationRow[]>();
  private cachedRows = 0;
  /** Moves on with each clear: chunks read before one are not kept. */
  private generation = 0;

  constructor(private readonly read: ReadRows) {}

  async rows(id: string, offset: number, limit: number): Promise<AggregationRow[]> {
    const rows: AggregationRow[] = [];
    for (let at = offset; at < offset + limit; ) {
      const chunk = Math.floor(at / RESULT_CHUNK_ROWS);
      const part = (await this.chunk(id, chunk)).slice(at - chunk * RESULT_CHUNK_ROWS, offset + limit - chunk * RESULT_CHUNK_ROWS);
      if (part.length === 0) break;
      rows.push(...part);
      at += part.length;
    }
    return rows;
  }

  /** Drops every chunk held (the stored rows changed under them). */
  clear(): void {
    this.generation++;
    this.chunks.clear();
    this.cachedRows = 0;
  }

  forget(id: string): void {
    for (const [key, rows] of this.chunks) {
      if (!key.startsWith(`${id}:`)) continue;
      this.cachedRows -= rows.length;
      this.chunks.delete(key);
    }
  }

  private async chunk(id: string, chunk: number): Promise<AggregationRow[]> {
    const key = `${id}:${chunk}`;
    const hit = this.chunks.get(key);
    if (hit) {
      this.chunks.delete(key);
      this.chunks.set(key, hit);
      return hit;
    }
    const from = chunk * RESULT_CHUNK_ROWS;
    const generation = this.generation;
    const rows = await this.read(id, from, from + RESULT_CHUNK_ROWS);
    // Cleared meanwhile (the stored rows changed): what was read may be from before.
    if (generation !== this.generation) return this.chunk(id, chunk);
    const meanwhile = this.chunks.get(key); // another page request read it meanwhile
    if (meanwhile) return meanwhile;
    for (const [oldest, old] of this.chunks) {
      if (this.cachedRows + rows.length <= CACHED_RESULT_ROWS) break;
      this.cachedRows -= old.length;
      this.chunks.delete(oldest);
    }
    this.chunks.set(key, rows);
    this.cachedRows += rows.length;
    return rows;
  }
}
