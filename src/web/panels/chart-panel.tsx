// The chart of a run: the time stack with its legend (series hidden by a click), or, when
// "others" would hold most of it, the top groups ranked; a button switches between them.
import { useMemo, useRef, useState } from 'preact/hooks';
import { Legend, seriesColors, StackedChart } from '../chart.js';
import { RankedBars } from '../ranked-bars.js';
import { chartSeries, OTHERS_KEY, othersDominate, shareSeries, type Group } from '../results.js';
import type { TimeZone } from '../../domain/timezone.js';
import type { Shown } from './shown.js';

const NONE: ReadonlySet<string> = new Set();

interface Props {
  shown: Shown;
  zone: TimeZone;
  onDrill(group: Group): void;
}

/** Marks the page when a run's chart is first drawn (the tests and the timing wait for it). */
function useDrawnMark(shown: Shown): () => void {
  const drawnFor = useRef<Shown | null>(null);
  return () => {
    if (drawnFor.current === shown) return;
    drawnFor.current = shown;
    performance.mark('farmtally:drawn');
    document.documentElement.dataset.drawn = String(Number(document.documentElement.dataset.drawn ?? 0) + 1);
  };
}

export function ChartPanel({ shown, zone, onDrill }: Props) {
  const { results, query } = shown;
  const series = useMemo(() => chartSeries(results, query.measure), [results, query.measure]);
  const colors = useMemo(() => seriesColors(results, series), [results, series]);
  const drawnSeries = useMemo(() => (query.show === 'shares' ? shareSeries(series) : series), [series, query.show]);
  /** The series hidden in this run (each run shows them all at first). */
  const [hiddenIn, setHiddenIn] = useState<{ run: number; keys: ReadonlySet<string> }>({ run: shown.run, keys: NONE });
  const hidden = hiddenIn.run === shown.run ? hiddenIn.keys : NONE;
  /** The chart the user picked for a run (its number): the ranked bar or the time stack; each run starts with the one its groups call for. */
  const [viewPicked, setViewPicked] = useState<{ run: number; ranked: boolean } | null>(null);
  const drawn = useDrawnMark(shown);

  const hasOthers = series.some((s) => s.key === OTHERS_KEY);
  const ranked = viewPicked?.run === shown.run ? viewPicked.ranked : othersDominate(series);
  const toggle = (key: string) => setHiddenIn((h) => {
    const next = new Set(h.run === shown.run ? h.keys : []);
    if (!next.delete(key)) next.add(key);
    return { run: shown.run, keys: next };
  });

  return (
    <>
      {hasOthers && (
        <button type="button" class="view-toggle" onClick={() => setViewPicked({ run: shown.run, ranked: !ranked })}>
          {ranked ? 'Show over time (stacked)' : `Show the top groups ranked`}
        </button>
      )}
      {ranked ? (
        <RankedBars results={results} measure={query.measure} show={query.show} colors={colors} onDrill={onDrill} onDrawn={drawn} />
      ) : (
        <>
          <Legend series={drawnSeries} colors={colors} hidden={hidden} measure={query.measure} show={query.show} onToggle={toggle} />
          <StackedChart
            key={shown.run}
            results={results} series={drawnSeries} colors={colors} measure={query.measure} show={query.show} zone={zone} period={query.period}
            hidden={hidden} onToggle={toggle} onDrill={onDrill} onDrawn={drawn}
          />
        </>
      )}
    </>
  );
}
