// Under Run and Cancel: how the run goes (announced to screen readers), and what stopped it.
import type { RunState } from '../hooks/use-run.js';
import { formatCount } from '../format.js';

function progressText(run: RunState): string {
  switch (run.state) {
    case 'idle':
      return '';
    case 'running': {
      const p = run.progress;
      if (p.phase === 'starting') return 'Starting the aggregation…';
      if (p.phase === 'settling') return 'Waiting for the cancelled aggregation to end on the server (a farm runs one at a time)…';
      if (p.phase === 'waiting') return `The farm is busy with another aggregation; trying again in ${p.seconds} s…`;
      if (p.phase === 'running') return 'Aggregating…';
      return `Reading rows: ${formatCount(p.rows)}…`;
    }
    case 'done':
      return `${formatCount(run.rows)} rows in ${(run.ms / 1000).toFixed(2)} s.`;
    case 'cancelled':
      return 'Cancelled.';
    case 'failed':
      return 'The query did not run: see the message beside the control at fault.';
  }
}

export function RunStatus({ run }: { run: RunState }) {
  return (
    <div class="run-status" role="status" aria-live="polite" data-run-state={run.state}>
      {run.state === 'running' && <progress aria-label="Query running" />}
      <span>{progressText(run)}</span>
    </div>
  );
}
