// Under the chart: how much of the runtime shown comes from sessions still running, which
// the statistics count up to the moment they were asked for (so a long session that has not
// ended yet can fill a recent range). The statistics' rows cannot tell; the running sessions
// listed by farmtally's extension can (domain/running-usage.ts). Cost needs the server's
// rates, so with the cost measure the note still speaks of runtime. Compared with the range
// before, a session still running that started before that range ended has some of its
// runtime too: a second line says how much (the change column marks those groups).
import { formatCount, formatHours, formatShare } from '../format.js';
import type { Shown } from './shown.js';

export function RunningNote({ shown }: { shown: Shown }) {
  const running = shown.running;
  if (!running) return null;
  if ('problem' in running) {
    return <p class="running-note">Which part of this runtime is from sessions still running could not be read: {running.problem}</p>;
  }
  const { runtime, sessions } = running.usage.total;
  const whole = shown.results.totals.runtime;
  const atLeast = running.truncated ? 'at least ' : '';
  const shareOf = (part: number, of: number) => formatShare(Math.min(100, (part / of) * 100));
  const sessionsText = (n: number) => `${atLeast}${formatCount(n)} ${n === 1 ? 'session' : 'sessions'} still running`;
  const asked = new Date(running.asOf).toISOString();
  const now = sessions > 0 && whole > 0;
  const before = running.previous?.total;
  const comparison = shown.comparison;
  const then = before && comparison && before.sessions > 0 && comparison.previous.totals.runtime > 0;
  if (!now && !then) return null;
  const who = `${sessionsText(sessions)}, counted up to when the statistics were asked for`;
  return (
    <div class="running-note" title={`Running sessions counted up to ${asked}`}>
      {now && (
        <p data-runtime={runtime} data-sessions={sessions}>
          <span class="running-mark" aria-hidden="true">running</span>{' '}
          {shown.query.measure === 'cost'
            ? `Of the runtime behind this cost, ${atLeast}${shareOf(runtime, whole)} (${formatHours(runtime)}) is from ${who}; their cost is not split out, as it takes the server's rates.`
            : `${atLeast ? 'At least ' : ''}${shareOf(runtime, whole)} of this runtime (${formatHours(runtime)}) is from ${who}.`}
          {running.truncated && ' The server lists at most 10,000 of them.'}
        </p>
      )}
      {then && (
        <p class="running-before" data-runtime={before.runtime} data-sessions={before.sessions}>
          <span class="running-mark" aria-hidden="true">running</span>{' '}
          {`In the range before, ${comparison.start} to ${comparison.end}, ${atLeast}${shareOf(before.runtime, comparison.previous.totals.runtime)} of its runtime `
            + `(${formatHours(before.runtime)}) is from ${sessionsText(before.sessions)} that had started by its end; the change column marks the groups that have some.`}
        </p>
      )}
    </div>
  );
}
