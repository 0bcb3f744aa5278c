// Under the chart: how much of the runtime shown comes from sessions still running, which
// the statistics count up to the moment they were asked for (so a long session that has not
// ended yet can fill a recent range). The statistics' rows cannot tell; the running sessions
// listed by farmtally's extension can (domain/running-usage.ts). Cost needs the server's
// rates, so with the cost measure the note still speaks of runtime.
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
  if (sessions === 0 || whole <= 0) return null;
  const atLeast = running.truncated ? 'at least ' : '';
  const share = formatShare(Math.min(100, (runtime / whole) * 100));
  const who = `${atLeast}${formatCount(sessions)} ${sessions === 1 ? 'session' : 'sessions'} still running, counted up to when the statistics were asked for`;
  const asked = new Date(running.asOf).toISOString();
  return (
    <p class="running-note" data-runtime={runtime} data-sessions={sessions} title={`Running sessions counted up to ${asked}`}>
      <span class="running-mark" aria-hidden="true">running</span>{' '}
      {shown.query.measure === 'cost'
        ? `Of the runtime behind this cost, ${atLeast}${share} (${formatHours(runtime)}) is from ${who}; their cost is not split out, as it takes the server's rates.`
        : `${atLeast ? 'At least ' : ''}${share} of this runtime (${formatHours(runtime)}) is from ${who}.`}
      {running.truncated && ' The server lists at most 10,000 of them.'}
    </p>
  );
}
