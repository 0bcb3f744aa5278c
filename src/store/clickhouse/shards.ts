// The ClickHouse shards as the cluster store uses them: reads through the Distributed
// tables (any shard can start them; each shard reads its own part), writes straight into
// one shard's local tables, synchronously (the Distributed insert is asynchronous: rows
// appear seconds later, and with a shard down it answers OK and delivers much later), and
// every failure turned into a StorageFault that names the shard.
import { createHash } from 'node:crypto';
import { ClickHouseError, httpQuery, type HttpQueryOptions } from './http-query.js';
import { mapInSlices } from '../event-loop.js';
import { StorageFault } from '../store.js';

/** Why a shard's failure is the storage's, in words for the caller, and what to do. */
function shardFault(shard: number, url: string, err: unknown): StorageFault {
  const why = err instanceof Error ? err.message : String(err);
  // Code 32 (read after EOF) "while receiving packet from" is another shard dying mid-query
  // (killed -9, seen on 18.16): not this shard's failure, so its log is not the place to look.
  const anotherShardGone = err instanceof ClickHouseError && (err.code === 279 || err.code === 210 || (err.code === 32 && /while receiving packet from/.test(why)));
  if (anotherShardGone) {
    // Asked through this shard, another one did not answer: ClickHouse's message names its address.
    return new StorageFault('unavailable', `A ClickHouse shard is unreachable (asked through shard ${shard + 1}, ${url}): ${why.slice(0, 400)}. Nothing was written or counted; start the shard again, then retry in a few seconds.`);
  }
  const unreachable = !(err instanceof ClickHouseError);
  return new StorageFault(
    'unavailable',
    unreachable
      ? `ClickHouse shard ${shard + 1} (${url}) unreachable (${why.slice(0, 300)}); nothing was written. Start the shard again, then retry in a few seconds.`
      : `ClickHouse shard ${shard + 1} (${url}) failed: ${why.slice(0, 500)}. Nothing was written; retry in a few seconds, and look at the shard's log if it persists.`,
  );
}

export class Shards {
  private next = 0;

  constructor(
    readonly urls: readonly string[],
    readonly database: string,
  ) {
    if (urls.length === 0) throw new Error('the cluster engine needs at least one ClickHouse shard URL');
  }

  get count(): number {
    return this.urls.length;
  }

  /**
   * The shard a session's versions and their superseded marks live on. Rows are written to
   * the shards' local tables by this, never through the Distributed table, so the placement
   * is ours to choose; it only has to keep a session on one shard (the aggregation filters
   * versions by marks on the same shard).
   */
  shardOf(farmId: string, sessionId: string): number {
    return createHash('sha1').update(farmId).update('\0').update(sessionId).digest().readUInt32BE(0) % this.urls.length;
  }

  /**
   * A statement on one shard (default: each in turn), answered as text. A failure is a
   * StorageFault naming the shard, or with `faults: false` ClickHouse's own error (for a
   * caller that tells some codes apart; `fault` turns it into the StorageFault afterwards).
   */
  async query(sql: string, options: HttpQueryOptions & { shard?: number; faults?: boolean } = {}): Promise<string> {
    const shard = options.shard ?? this.next++ % this.urls.length;
    try {
      return await httpQuery(this.urls[shard]!, sql, { database: this.database, ...options });
    } catch (err) {
      if (options.faults === false) throw Object.assign(err as object, { shard });
      throw shardFault(shard, this.urls[shard]!, err);
    }
  }

  /** A failure of `query(..., { faults: false })` as the StorageFault it would have thrown. */
  fault(err: unknown): unknown {
    const shard = (err as { shard?: number }).shard;
    return shard === undefined ? err : shardFault(shard, this.urls[shard]!, err);
  }

  /** JSONEachRow rows of a SELECT (64-bit integers may arrive as strings on 18.16: read them with Number). */
  async rows(sql: string, options: HttpQueryOptions & { shard?: number } = {}): Promise<Record<string, unknown>[]> {
    const text = await this.query(`${sql} FORMAT JSONEachRow`, options);
    return text
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Inserts rows into a table on one shard and answers once the shard has them. */
  async insert(shard: number, table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    if (rows.length === 0) return;
    const lines = await mapInSlices(rows, (r) => JSON.stringify(r));
    const body = `INSERT INTO ${table} FORMAT JSONEachRow\n${lines.join('\n')}`;
    await this.query(body, { shard });
  }

  /** The same statement on every shard (DDL, and deletions of local rows). */
  async onEach(sql: string, options: HttpQueryOptions = {}): Promise<void> {
    await Promise.all(this.urls.map((_, shard) => this.query(sql, { ...options, shard })));
  }
}
