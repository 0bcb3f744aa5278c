// Where a session might be stored, without reading the sessions table: one Bloom filter of
// session keys per block of seq values (a block is one DuckDB row group's worth). A key no
// block's filter holds is certainly new, so a batch of new sessions is written without any
// lookup; for one that a filter may hold, the writer reads only that block's rows (DuckDB's
// zone maps on seq skip the rest). Kept in memory by the writer, rebuilt from the table when
// the store opens; a deleted session only leaves a false "maybe" behind.
//
// Sizing: 3 * 2^20 bits (384 KiB) per block of 122 880 sessions, about 25.6 bits a key, and
// 17 probes: a new key falls on a false "maybe" in a given block about 5 times in a million,
// so at 10 M sessions (83 blocks, 31 MiB) about one new key in 2 600 costs one block's read.
// Measured at 10 M: with 2^21 bits and 12 probes (3 in 10 000 a block; one new key in 45 read
// a block), a group commit of 1 250 new sessions read 6 to 7.6 M rows of the table.
import { createHash } from 'node:crypto';

/** Seq values per block: one DuckDB row group (DuckDB's default row group size). */
export const KEY_BLOCK = 122_880;
const BLOCK_BITS = 3 * 2 ** 20;
const PROBES = 17;

/** A probe's bit: the 32-bit hash mapped onto the block's bits by a multiply (Lemire's fast range; exact in a double, as BLOCK_BITS < 2^22). */
const bitOf = (hash: number) => Math.floor(hash * (BLOCK_BITS / 2 ** 32));

/** A session's key (sessionKey in value-codes.ts, DuckDB's md5_number_lower) and its two 32-bit halves, which the filters probe with. */
export interface SessionKey {
  key: bigint;
  hi: number;
  lo: number;
}

/** The key DuckDB computes as md5_number_lower(session_id): the MD5's last 8 bytes, little-endian. */
export function sessionKeyOf(sessionId: string): SessionKey {
  const digest = createHash('md5').update(sessionId, 'utf8').digest();
  const lo = digest.readUInt32LE(8);
  const hi = digest.readUInt32LE(12);
  return { key: (BigInt(hi) << 32n) | BigInt(lo), hi, lo };
}

class BlockFilter {
  private readonly words = new Uint32Array(BLOCK_BITS / 32);

  add(hi: number, lo: number): void {
    // Double hashing (Kirsch and Mitzenmacher): probe i at lo + i * hi, the step made odd.
    const step = hi | 1;
    for (let i = 0, at = lo; i < PROBES; i++, at = (at + step) >>> 0) {
      const bit = bitOf(at);
      this.words[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  mayHold(hi: number, lo: number): boolean {
    const step = hi | 1;
    for (let i = 0, at = lo; i < PROBES; i++, at = (at + step) >>> 0) {
      const bit = bitOf(at);
      if ((this.words[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

export class SessionKeyIndex {
  private readonly blocks: (BlockFilter | undefined)[] = [];

  /** Notes a stored session: its seq and key halves. */
  add(seq: number, hi: number, lo: number): void {
    const block = Math.floor(seq / KEY_BLOCK);
    (this.blocks[block] ??= new BlockFilter()).add(hi, lo);
  }

  /** The blocks that may hold the key, as seq ranges [from, to] (both included); none: certainly not stored. */
  candidates(key: SessionKey): { from: number; to: number }[] {
    // A plain loop that allocates only on a hit: it runs for every block for every new key
    // (83 blocks at 10 M), on the writer's path.
    let found: { from: number; to: number }[] | undefined;
    for (let block = 0; block < this.blocks.length; block++) {
      if (this.blocks[block]?.mayHold(key.hi, key.lo)) (found ??= []).push({ from: block * KEY_BLOCK, to: (block + 1) * KEY_BLOCK - 1 });
    }
    return found ?? [];
  }

  /** Memory the filters take, in bytes (BENCHMARKS.md quotes it). */
  get bytes(): number {
    return this.blocks.filter(Boolean).length * (BLOCK_BITS / 8);
  }
}
