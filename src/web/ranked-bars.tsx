// A view of many small groups (a year of a queue's jobs) as a ranked bar: the top groups'
// totals, largest first, then "Others (K groups)" with its value stated, in place of a time
// stack that would be mostly the grey of "others" (the rule: othersDominate in results.ts).
// Plain HTML rather than a canvas: every label and value is text, read and selected as the
// table's are. A group keeps its colour from the time stack; the groups that are part of
// "others" there (from the 11th) are grey here too, so the two views agree.
import { useEffect } from 'preact/hooks';
import { OTHERS_COLOR } from './chart.js';
import { formatMeasure, MEASURE_TITLE } from './format.js';
import type { Measure } from './query.js';
import { FIELD_TITLE, OTHERS_KEY, rankedBars, type Group, type Results } from './results.js';

interface Props {
  results: Results;
  measure: Measure;
  /** The time stack's colours, by series key (seriesColors). */
  colors: ReadonlyMap<string, string>;
  onDrill(group: Group): void;
  /** Called once drawn (the page marks "drawn", as after the time stack's first draw). */
  onDrawn(): void;
}

export function RankedBars({ results, measure, colors, onDrill, onDrawn }: Props) {
  const bars = rankedBars(results, measure);
  useEffect(() => onDrawn(), [results, measure]);
  // The scale is the largest group's: "Others" is by this rule more than half the total,
  // and scaled with it the groups' bars would be slivers. A longer "Others" is cut at the
  // track's end and marked so (its value is written beside it).
  const scale = Math.max(0, ...bars.filter((b) => b.group).map((b) => b.value));
  const scope = `${MEASURE_TITLE[measure]} by ${results.groupBy.map((g) => FIELD_TITLE[g]?.toLowerCase() ?? g).join(' and ')}`;
  return (
    <figure class="ranked-bars">
      <figcaption class="visually-hidden">{scope}: the top {bars.filter((b) => b.group).length} groups by their totals, then the others together.</figcaption>
      <ol>
        {bars.map((b) => {
          const share = scale > 0 ? b.value / scale : 0;
          const cut = share > 1;
          return (
            <li class="ranked-row" key={b.key} data-key={b.key} data-value={b.value}>
              <span class="ranked-label" title={b.label}>
                {b.group?.drill ? <button type="button" class="drill" onClick={() => onDrill(b.group!)} title={`Drill into ${b.group.drill.name}`}>{b.label}</button> : b.label}
              </span>
              <span class="ranked-track" aria-hidden="true">
                <span
                  class={cut ? 'ranked-bar cut' : 'ranked-bar'}
                  style={{ width: `${Math.min(1, share) * 100}%`, background: colors.get(b.key) ?? OTHERS_COLOR }}
                  title={cut ? 'Longer than shown: the bars are scaled to the largest group' : undefined}
                />
              </span>
              <span class="ranked-value">{formatMeasure(b.value, measure)}</span>
            </li>
          );
        })}
      </ol>
      <p class="chart-hint">
        Grey: the groups that are in "others" on the time chart.{bars.some((b) => b.key === OTHERS_KEY && b.value > scale) ? ' "Others" is longer than its bar: the bars are scaled to the largest group.' : ''}
      </p>
    </figure>
  );
}
