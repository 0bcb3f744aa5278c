// A view of many small groups (a year of a queue's jobs) as a ranked bar: the top groups'
// totals, largest first, then "Others (K groups)" with its value stated, in place of a time
// stack that would be mostly the grey of "others" (the rule: othersDominate in results.ts).
// Plain HTML rather than a canvas: every label and value is text, read and selected as the
// table's are. A group keeps its colour from the time stack; the groups that are part of
// "others" there (from the 11th) are grey here too, so the two views agree.
import { useEffect } from 'preact/hooks';
import { OTHERS_COLOR } from './chart.js';
import { formatShare, formatValue, valueTitle } from './format.js';
import type { Measure, Show } from './query.js';
import { FIELD_TITLE, OTHERS_KEY, rankedBars, type Group, type Results } from './results.js';

interface Props {
  results: Results;
  measure: Measure;
  /** Shares: each bar's value is written as its share of the grand total. */
  show: Show;
  /** The time stack's colours, by series key (seriesColors). */
  colors: ReadonlyMap<string, string>;
  onDrill(group: Group): void;
  /** Called once drawn (the page marks "drawn", as after the time stack's first draw). */
  onDrawn(): void;
}

export function RankedBars({ results, measure, show, colors, onDrill, onDrawn }: Props) {
  const bars = rankedBars(results, measure);
  useEffect(() => onDrawn(), [results, measure, show]);
  // The scale is the largest group's: "Others" is by this rule more than half the total,
  // and scaled with it the groups' bars would be slivers. A longer "Others" is cut at the
  // track's end and marked so (its value is written beside it).
  const scale = Math.max(0, ...bars.filter((b) => b.group).map((b) => b.value));
  const whole = results.totals.measure(measure) / (measure === 'cost' ? 1 : 3600);
  const valueText = (value: number) => (show === 'shares' ? formatShare(whole > 0 ? (value / whole) * 100 : 0) : formatValue(value, measure, show));
  const scope = `${valueTitle(measure, show)} by ${results.groupBy.map((g) => FIELD_TITLE[g]?.toLowerCase() ?? g).join(' and ')}`;
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
              <span class="ranked-value">{valueText(b.value)}</span>
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
