// One run at a time from the page: its aggregations (one, or two for a comparison, one
// after the other as a farm runs them), its progress, its cancel, and a run superseded by a
// newer one dropping its answer. A new run cancels the one before it.
import type { DeadlineClient } from '@aws-sdk/client-deadline';
import { useRef, useState } from 'preact/hooks';
import { pageSizeFor, runAggregation, type Aggregation, type Progress } from '../api.js';
import { describeError, type Problem } from '../errors.js';
import type { StartInput } from '../query.js';

export type RunState =
  | { state: 'idle' }
  | { state: 'running'; progress: Progress; started: number }
  | { state: 'done'; rows: number; ms: number }
  | { state: 'cancelled' }
  | { state: 'failed' };

export function useRun(strict: boolean) {
  const [run, setRun] = useState<RunState>({ state: 'idle' });
  const running = useRef<AbortController | null>(null);

  /**
   * Runs each aggregation to its last page, in turn. `onRows` gets the answers (in the
   * inputs' order) of the newest run only (before the run reads done, in the same render);
   * `onProblem` what stopped it, unless that was a cancel. `alongside`, if given, is called
   * once the first aggregation has started (the moment its running sessions are counted up
   * to) and runs meanwhile; `onRows` gets what it answered, or its error.
   */
  async function perform<T>(
    c: DeadlineClient, inputs: StartInput[], onRows: (aggs: Aggregation[], beside?: T | Error) => void, onProblem: (problem: Problem) => void, alongside?: (signal: AbortSignal) => Promise<T>,
  ): Promise<void> {
    running.current?.abort();
    const ac = new AbortController();
    running.current = ac;
    const started = performance.now();
    performance.clearMarks('farmtally:drawn');
    performance.mark('farmtally:run');
    setRun({ state: 'running', progress: { phase: 'starting' }, started });
    try {
      // The rows read so far are shown at most every 100 ms: each update renders the whole
      // form and results, and a large result is read in many pages one after the other.
      let shownAt = 0;
      let beside: Promise<T | Error> | undefined;
      const onProgress = (progress: Progress) => {
        if (progress.phase === 'running' && alongside && !beside) beside = alongside(ac.signal).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
        if (running.current !== ac) return;
        if (progress.phase === 'fetching' && performance.now() - shownAt < 100) return;
        shownAt = performance.now();
        setRun({ state: 'running', progress, started });
      };
      const aggs: Aggregation[] = [];
      for (const input of inputs) aggs.push(await runAggregation(c, input, ac.signal, onProgress, pageSizeFor(strict)));
      const besideAnswer = await beside;
      if (running.current !== ac) return;
      onRows(aggs, besideAnswer);
      setRun({ state: 'done', rows: aggs.reduce((n, agg) => n + agg.rows.length, 0), ms: performance.now() - started });
    } catch (err) {
      if (running.current !== ac) return;
      const problem = describeError(err, strict);
      if (problem.cancelled) setRun({ state: 'cancelled' });
      else {
        setRun({ state: 'failed' });
        onProblem(problem);
      }
    } finally {
      if (running.current === ac) running.current = null;
    }
  }

  function cancel(): void {
    running.current?.abort(new DOMException('Cancelled by the user', 'AbortError'));
    running.current = null;
    setRun({ state: 'cancelled' });
  }

  return { run, perform, cancel };
}
