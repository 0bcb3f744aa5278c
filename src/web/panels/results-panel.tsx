// The results side of the page: what to do when there is nothing to show yet, else the last
// run's head, chart and table.
import { useState } from 'preact/hooks';
import type { Named } from '../api.js';
import type { Query } from '../query.js';
import type { Group } from '../results.js';
import { GroupTable } from '../table.js';
import type { TimeZone } from '../../domain/timezone.js';
import { ChartPanel } from './chart-panel.js';
import { ResultsHead } from './results-head.js';
import { RunningNote } from './running-note.js';
import type { Shown } from './shown.js';

interface Props {
  farms: Named[] | null;
  shown: Shown | null;
  zone: TimeZone | undefined;
  /** A group clicked: shown alone, grouped by `field`. */
  onDrill(group: Group, field: string): void;
  onGo(q: Query): void;
}

export function ResultsPanel({ farms, shown, zone, onDrill, onGo }: Props) {
  const [drillBy, setDrillBy] = useState('JOB_ID');
  const drill = (group: Group) => onDrill(group, drillBy);
  const usage = shown?.running && 'usage' in shown.running ? shown.running : undefined;
  return (
    <>
      {farms && farms.length === 0 && (
        <p class="empty">
          This server has no farms yet. Fill one with a year of demo sessions: <code>npx farmtally demo --endpoint {location.origin}</code>, then reload.
        </p>
      )}
      {!shown && farms && farms.length > 0 && <p class="empty">Pick a farm, its queues or fleets and a range, then press Run.</p>}
      {shown && zone && (
        <>
          <ResultsHead shown={shown} zone={zone} drillBy={drillBy} onDrillBy={setDrillBy} onGo={onGo} />
          {shown.results.rows.length === 0 ? (
            <p class="empty">No usage in this range: no session records overlap it.</p>
          ) : (
            <>
              <ChartPanel shown={shown} zone={zone} onDrill={drill} />
              <RunningNote shown={shown} />
              <GroupTable
                key={shown.run} results={shown.results} stats={shown.query.stats} measure={shown.query.measure} show={shown.query.show} zone={zone} period={shown.query.period}
                comparison={shown.comparison} running={usage?.usage} runningBefore={usage?.previous} onDrill={drill}
              />
            </>
          )}
        </>
      )}
    </>
  );
}
