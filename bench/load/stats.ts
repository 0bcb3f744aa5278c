// What the load clients saw, per operation: calls, latencies of the answered ones, how many
// were throttled (expected: one running aggregation per farm) and every other error by kind
// (not expected at all). Percentiles are nearest-rank over every call of the run.

export interface OperationSummary {
  operation: string;
  calls: number;
  ok: number;
  throttled: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
}

interface Tally {
  ms: number[];
  ok: number;
  throttled: number;
  errors: Map<string, number>;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export class LoadStats {
  private readonly tallies = new Map<string, Tally>();

  private tally(operation: string): Tally {
    let t = this.tallies.get(operation);
    if (!t) this.tallies.set(operation, (t = { ms: [], ok: 0, throttled: 0, errors: new Map() }));
    return t;
  }

  ok(operation: string, ms: number): void {
    const t = this.tally(operation);
    t.ok++;
    t.ms.push(ms);
  }

  throttled(operation: string, ms: number): void {
    const t = this.tally(operation);
    t.throttled++;
    t.ms.push(ms);
  }

  error(operation: string, kind: string, ms: number): void {
    const t = this.tally(operation);
    t.errors.set(kind, (t.errors.get(kind) ?? 0) + 1);
    t.ms.push(ms);
  }

  summaries(): OperationSummary[] {
    return [...this.tallies.entries()].map(([operation, t]) => {
      const sorted = [...t.ms].sort((a, b) => a - b);
      const errors = [...t.errors.values()].reduce((n, c) => n + c, 0);
      return { operation, calls: t.ok + t.throttled + errors, ok: t.ok, throttled: t.throttled, errors, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
    });
  }

  /** Every error but throttling: operation, kind (status and error type, or what failed) and how often. */
  unexpected(): { operation: string; kind: string; count: number }[] {
    return [...this.tallies.entries()].flatMap(([operation, t]) => [...t.errors.entries()].map(([kind, count]) => ({ operation, kind, count })));
  }
}

const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 1 : 0) : '');

/** The per-operation table as Markdown: latencies over every call (answered, throttled or failed). */
export function statsTable(summaries: readonly OperationSummary[], seconds: number): string {
  const rows = summaries.map((s) => `| ${s.operation} | ${s.calls} | ${s.ok} | ${s.throttled} | ${s.errors} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} | ${(s.calls / seconds).toFixed(1)} |`);
  return ['| operation | calls | ok | throttled | errors | p50 ms | p99 ms | max ms | calls/s |', '|---|---|---|---|---|---|---|---|---|', ...rows].join('\n');
}

const ratio = (after: number, before: number) => (Number.isFinite(after / before) ? `${(after / before).toFixed(1)}×` : '');

/**
 * The same operations under two conditions (without attackers, then with) as Markdown: p50
 * and p99 of each, the p99 ratio, the calls refused (throttled or failed) and the calls/s.
 */
export function compareTable(before: readonly OperationSummary[], after: readonly OperationSummary[], beforeSeconds: number, afterSeconds: number): string {
  const operations = [...new Set([...before, ...after].map((s) => s.operation))];
  const rows = operations.map((operation) => {
    const b = before.find((s) => s.operation === operation);
    const a = after.find((s) => s.operation === operation);
    const refused = (s: OperationSummary | undefined) => (s ? `${s.throttled + s.errors} of ${s.calls}` : '');
    const rate = (s: OperationSummary | undefined, seconds: number) => (s ? (s.calls / seconds).toFixed(1) : '');
    return `| ${operation} | ${ms(b?.p50 ?? NaN)} | ${ms(a?.p50 ?? NaN)} | ${ms(b?.p99 ?? NaN)} | ${ms(a?.p99 ?? NaN)} | ${ratio(a?.p99 ?? NaN, b?.p99 ?? NaN)} | ${refused(b)} | ${refused(a)} | ${rate(b, beforeSeconds)} | ${rate(a, afterSeconds)} |`;
  });
  return [
    '| operation | p50 ms without | p50 ms with | p99 ms without | p99 ms with | p99 with/without | refused without | refused with | calls/s without | calls/s with |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The p99 ratio (with over without) per operation, a column per attacked condition. */
export function ratioTable(before: readonly OperationSummary[], conditions: readonly { name: string; summaries: readonly OperationSummary[] }[]): string {
  const rows = before.map((b) => `| ${b.operation} | ${ms(b.p99)} | ${conditions.map((c) => ratio(c.summaries.find((s) => s.operation === b.operation)?.p99 ?? NaN, b.p99)).join(' | ')} |`);
  return [`| operation | p99 ms without | ${conditions.map((c) => c.name).join(' | ')} |`, `|---|---|${conditions.map(() => '---').join('|')}|`, ...rows].join('\n');
}
