// `--rate-limit N`: a token bucket per principal, holding at most N tokens (the burst) and
// refilled at N tokens per second. A request takes one token; with none left it is refused
// with how long until the next one, which the answer carries as Retry-After.
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes a token for `principal`: 0 when there was one, else the seconds until there is. */
  take(principal: string): number {
    const now = this.now();
    const bucket = this.buckets.get(principal) ?? { tokens: this.perSecond, at: now };
    bucket.tokens = Math.min(this.perSecond, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.buckets.set(principal, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.perSecond;
  }
}
