// What the streaming clients saw, one tally shared by all of them: every request's latency
// and answer, the batches and records acknowledged, and each answer's counts against what
// its batch was expected to get. Latencies are over every request, whatever its answer
// (a throttled one waited too); percentiles are nearest-rank, as the load run's.
import type { IngestCounts } from '../../src/domain/ingest-protocol.js';
import { percentile } from '../load/stats.js';
import type { FeedBatch, RecordKind } from './feed.js';

/** An answer's status as the report files it: the HTTP status, or `no answer` (a broken connection). */
export type AnswerStatus = number | 'no answer';

export interface Latencies {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface TallySummary {
  /** Requests sent, retries of throttled batches included. */
  requests: number;
  /** Batches the server committed (a 200), and their records. */
  batches: number;
  records: number;
  latency: Latencies;
  /** Requests by answer status, most frequent first. */
  statuses: [AnswerStatus, number][];
  /** Records of the acknowledged batches, by what they did. */
  kinds: Record<RecordKind, number>;
  /** The acknowledged batches' counts: as answered, and as expected from what was sent. */
  answered: IngestCounts;
  expected: IngestCounts;
  /** Acknowledged batches whose answer's counts differ from the expected ones; the first few, told. */
  mismatches: number;
  mismatchExamples: string[];
}

const zeroCounts = (): IngestCounts => ({ received: 0, created: 0, updated: 0, unchanged: 0 });
const COUNTS = ['received', 'created', 'updated', 'unchanged'] as const;

export function latencies(ms: readonly number[]): Latencies {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
}

export class StreamTally {
  private readonly ms: number[] = [];
  private readonly statuses = new Map<AnswerStatus, number>();
  private batches = 0;
  private records = 0;
  private readonly kinds: Record<RecordKind, number> = { newRunning: 0, newFinished: 0, close: 0, resend: 0 };
  private readonly answered = zeroCounts();
  private readonly expected = zeroCounts();
  private mismatches = 0;
  private readonly mismatchExamples: string[] = [];

  /** A request ended after `ms`, with this answer. */
  request(ms: number, status: AnswerStatus): void {
    this.ms.push(ms);
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }

  /** The server committed `batch` and answered these counts. */
  acknowledged(batch: FeedBatch, answer: Partial<IngestCounts>): void {
    this.batches++;
    this.records += batch.records;
    for (const kind of Object.keys(this.kinds) as RecordKind[]) this.kinds[kind] += batch.kinds[kind];
    for (const k of COUNTS) {
      this.answered[k] += answer[k] ?? 0;
      this.expected[k] += batch.expected[k];
    }
    if (COUNTS.every((k) => answer[k] === batch.expected[k])) return;
    this.mismatches++;
    if (this.mismatchExamples.length < 5) {
      const say = (c: Partial<IngestCounts>) => COUNTS.map((k) => `${k} ${c[k] ?? '-'}`).join(', ');
      this.mismatchExamples.push(`answered ${say(answer)}; expected ${say(batch.expected)}`);
    }
  }

  /** Requests so far with a 5xx or no answer: the server failed (throttling and other 4xx apart). */
  get failures(): number {
    return [...this.statuses].filter(([s]) => s === 'no answer' || s >= 500).reduce((n, [, c]) => n + c, 0);
  }

  summary(): TallySummary {
    return {
      requests: this.ms.length,
      batches: this.batches,
      records: this.records,
      latency: latencies(this.ms),
      statuses: [...this.statuses].sort((a, b) => b[1] - a[1]),
      kinds: { ...this.kinds },
      answered: { ...this.answered },
      expected: { ...this.expected },
      mismatches: this.mismatches,
      mismatchExamples: [...this.mismatchExamples],
    };
  }
}
