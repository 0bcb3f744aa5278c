// Token buckets: `--rate-limit N` per principal, `--public-rate-limit N` per client address
// on the routes anyone may call unsigned. A bucket holds at most N tokens (the burst) and is
// refilled at N tokens per second. A request takes one token; with none left it is refused
// with how long until the next one, which the answer carries as Retry-After. Work a refused
// request made the server do is charged on top (`charge`).
import { isIPv6 } from 'node:net';

/** How often buckets that have filled up again are dropped. */
const SWEEP_EVERY_MS = 1000;

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private sweptAt = 0;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a token for `key` (a principal, an address): 0 when there was one, else the seconds until there is. */
  take(key: string): number {
    const now = this.now();
    if (now - this.sweptAt >= SWEEP_EVERY_MS) this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.perSecond, at: now };
    bucket.tokens = this.refilled(bucket, now);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.perSecond;
  }

  /**
   * Takes `tokens` more from `key`'s bucket for work already done (a refused request's
   * reading): the bucket may go below empty, so the key's next requests wait it out. At
   * most a minute's worth is owed.
   */
  charge(key: string, tokens: number): void {
    if (tokens <= 0) return;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.perSecond, at: now };
    bucket.tokens = Math.max(-60 * this.perSecond, this.refilled(bucket, now) - tokens);
    bucket.at = now;
    this.buckets.set(key, bucket);
  }

  private refilled(bucket: { tokens: number; at: number }, now: number): number {
    return Math.min(this.perSecond, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
  }

  /**
   * A full bucket is as good as none, so it is forgotten: the map holds only the keys seen in
   * the last second or two (a bucket refills within a second), however many addresses come
   * and go.
   */
  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [key, bucket] of this.buckets) if (this.refilled(bucket, now) >= this.perSecond) this.buckets.delete(key);
  }
}

/**
 * The key a client address is limited by: an IPv4 address itself (an IPv4-mapped IPv6 one
 * too), an IPv6 address by its /64, the block one host or link is usually given (keyed by
 * the whole address, one host could take a fresh bucket per request).
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  const bare = address.split('%')[0]!; // a zone (fe80::1%eth0) names the link, not the host
  if (!isIPv6(bare)) return address;
  // An embedded IPv4 tail is two groups, in the low 64 bits that are dropped anyway.
  const groups = (part: string) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const [head, tail] = bare.split('::') as [string, string | undefined];
  const first = groups(head);
  const last = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? first : [...first, ...Array<string>(8 - first.length - last.length).fill('0'), ...last];
  return `${all.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
