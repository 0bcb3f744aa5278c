// The stacked chart over time (uPlot): one bar per bucket, stacked by series, the largest
// series at the bottom; a legend of toggle buttons; a tooltip with the bucket's exact
// values, following the pointer or the arrow keys; a click on a bar's segment drills into
// that group when it is a queue or a fleet.
//
// uPlot does not stack: each series is drawn as bar segments from the running total of the
// series below it to its own (bucketBars), so every pixel is painted once.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { lastIndexAtOrBefore, type Period } from '../domain/buckets.js';
import type { TimeZone } from '../domain/timezone.js';
import { bucketLabel, formatTick, formatValue, valueTitle, wallClock } from './format.js';
import type { Measure, Show } from './query.js';
import { FIELD_TITLE, OTHERS_KEY, type ChartSeries, type Group, type Results } from './results.js';

/** Tableau 10, its tenth colour (a light grey, too near the grey of "others") replaced by a violet: one colour for each of the TOP_GROUPS groups. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#5e4fa2'];
export const OTHERS_COLOR = '#9d9d9d';

/**
 * Each series' colour, by its key. A group keeps its colour whichever the measure (which
 * re-ranks the series) and whichever series are hidden, so colours follow an order of the
 * groups that depends on neither: by cost, then runtime, then label. The first groups in that
 * order get the palette's colours in turn; a group past them that is shown on its own (the
 * measure ranks it higher) takes a colour no series shown has. "Others" is grey.
 */
export function seriesColors(results: Results, series: readonly ChartSeries[]): ReadonlyMap<string, string> {
  const byCost = [...results.groups].sort((a, b) => b.totals.cost - a.totals.cost || b.totals.runtime - a.totals.runtime || compare(a.label, b.label) || compare(a.key, b.key));
  const own = new Map(byCost.slice(0, PALETTE.length).map((g, i) => [g.key, PALETTE[i]!]));
  const colors = new Map<string, string>();
  for (const s of series) {
    const color = s.key === OTHERS_KEY ? OTHERS_COLOR : own.get(s.key);
    if (color) colors.set(s.key, color);
  }
  // At most TOP_GROUPS (the palette's length) series besides "others": a colour is always left.
  const left = PALETTE.filter((c) => ![...colors.values()].includes(c));
  for (const s of series) if (!colors.has(s.key)) colors.set(s.key, left.shift()!);
  return colors;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface Props {
  results: Results;
  series: ChartSeries[];
  /** Each series' colour (seriesColors). */
  colors: ReadonlyMap<string, string>;
  measure: Measure;
  /** Amounts, or shares: then `series` hold percents (shareSeries) and the scale is 0 to 100. */
  show: Show;
  zone: TimeZone;
  period: Period | '';
  hidden: ReadonlySet<string>;
  onToggle(key: string): void;
  onDrill(group: Group): void;
  /** Called after each draw of new data (the page marks "drawn" for the speed measurements). */
  onDrawn(): void;
}

export function Legend({ series, colors, hidden, measure, show, onToggle }: Pick<Props, 'series' | 'colors' | 'hidden' | 'measure' | 'show' | 'onToggle'>) {
  return (
    <ul class="legend" aria-label="Series (press to show or hide)">
      {series.map((s) => (
        <li key={s.key}>
          <button type="button" class="legend-item" aria-pressed={!hidden.has(s.key)} data-key={s.key} onClick={() => onToggle(s.key)}>
            <span class="swatch" style={{ background: colors.get(s.key) }} aria-hidden="true" />
            <span class="legend-label">{s.label}</span>
            <span class="legend-total" data-value={s.total}>{formatValue(s.total, measure, show)}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}

interface Tip {
  idx: number;
  /** Pixels from the chart box's left edge. */
  left: number;
}

export function StackedChart(props: Props) {
  const { results, series, colors, measure, show, zone, period, hidden } = props;
  const box = useRef<HTMLDivElement>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [tip, setTip] = useState<Tip | null>(null);
  const callbacks = useRef(props);
  callbacks.current = props;

  const visible = useMemo(() => series.filter((s) => !hidden.has(s.key)), [series, hidden]);

  useEffect(() => {
    const el = box.current!;
    const buckets = results.buckets.length;
    // Running totals from the bottom (the largest series) up.
    const running: number[][] = [];
    let below = new Array<number>(buckets).fill(0);
    for (const s of visible) {
      below = below.map((v, i) => v + s.values[i]!);
      running.push(below);
    }
    // One more x at the last bucket's end: each bar is then as wide as its bucket, the last one
    // too; each series' values get a null there.
    const xs = [...results.buckets, results.bucketEnd].map((t) => t / 1000);
    const tops = running.map((r) => [...r, null]);
    const zero = [...new Array<number>(buckets).fill(0), null];
    const drawOrder = visible.map((s, i) => ({ s, upper: tops[i]!, lower: tops[i - 1] ?? zero })).reverse();
    const data: uPlot.AlignedData = [xs, ...drawOrder.map(({ upper }) => upper)];
    // Each series is drawn as its own segments, from the running total below it to its own:
    // drawn from zero instead, the lower layers would be painted once for every series above
    // them, and a canvas rastered in software (no GPU) pays for every pixel painted.
    const segments = (lower: (number | null)[], upper: (number | null)[]) => bucketBars(xs, lower, upper, buckets > 120 ? 0 : 1);
    const top = Math.max(0, ...(running.at(-1) ?? [0]));
    // Shares: the whole scale is 100 %, a full bucket's bar reaching the top.
    const yMax = show === 'shares' ? 100 : top > 0 ? top * 1.05 : 1;
    const opts: uPlot.Options = {
      width: el.clientWidth,
      height: chartHeight(el),
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false }, y: false },
      scales: { x: { time: true, range: [xs[0]!, xs.at(-1)!] }, y: { range: [0, yMax] } },
      tzDate: (ts) => {
        const w = wallClock(ts * 1000, zone);
        return new Date(w.getUTCFullYear(), w.getUTCMonth(), w.getUTCDate(), w.getUTCHours(), w.getUTCMinutes(), w.getUTCSeconds());
      },
      axes: [
        { stroke: '#333', grid: { stroke: '#e6e6e6' }, ticks: { stroke: '#ccc' } },
        { stroke: '#333', grid: { stroke: '#e6e6e6' }, ticks: { stroke: '#ccc' }, size: 64, values: (_u, ticks) => ticks.map((v) => formatTick(v, measure, show)) },
      ],
      series: [{}, ...drawOrder.map(({ s, upper, lower }) => ({ label: s.label, fill: colors.get(s.key), stroke: colors.get(s.key), width: 0, paths: segments(lower, upper), points: { show: false } }))],
      hooks: {
        setCursor: [
          (u) => {
            const idx = bucketAt(u, results);
            if (idx === undefined) return setTip(null);
            // The pointer's place in the chart's box (the plot area sits right of the y axis).
            const offset = u.over.getBoundingClientRect().left - wrap.current!.getBoundingClientRect().left;
            setTip({ idx, left: u.cursor.left! + offset });
          },
        ],
        draw: [() => callbacks.current.onDrawn()],
      },
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const groupAtCursor = () => {
      const idx = bucketAt(u, results);
      return idx === undefined || u.cursor.top == null ? undefined : segmentAt(visible, running, idx, u.posToVal(u.cursor.top, 'y'));
    };
    u.over.addEventListener('click', () => {
      const group = groupAtCursor();
      if (group) callbacks.current.onDrill(group);
    });
    u.over.addEventListener('mousemove', () => {
      u.over.style.cursor = groupAtCursor() ? 'pointer' : 'default';
    });
    const resize = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height: chartHeight(el) }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
      setTip(null);
    };
  }, [results, series, colors, visible, measure, show, zone]);

  /** Arrow keys walk the buckets (the tooltip follows); Home and End jump; Escape hides it. */
  const onKey = (e: KeyboardEvent) => {
    const u = plot.current;
    if (!u) return;
    const last = results.buckets.length - 1;
    const current = tip?.idx;
    let idx: number | undefined;
    if (e.key === 'ArrowRight') idx = current === undefined ? 0 : Math.min(last, current + 1);
    else if (e.key === 'ArrowLeft') idx = current === undefined ? last : Math.max(0, current - 1);
    else if (e.key === 'Home') idx = 0;
    else if (e.key === 'End') idx = last;
    else if (e.key === 'Escape') {
      u.setCursor({ left: -10, top: -10 });
      setTip(null);
    }
    if (idx === undefined) return;
    e.preventDefault();
    const left = (u.valToPos(results.buckets[idx]! / 1000, 'x') + u.valToPos((results.buckets[idx + 1] ?? results.bucketEnd) / 1000, 'x')) / 2;
    u.setCursor({ left, top: u.bbox.height / devicePixelRatio / 2 });
  };

  const scope = `${valueTitle(measure, show)} by ${results.groupBy.map((g) => FIELD_TITLE[g]?.toLowerCase() ?? g).join(' and ')}`;
  return (
    <div class="chart-wrap" ref={wrap} data-series={visible.length}>
      <div
        class="chart"
        ref={box}
        tabIndex={0}
        role="group"
        aria-roledescription="chart"
        aria-label={`${scope}, stacked, ${results.buckets.length} buckets. Arrow keys read the buckets one by one; the table below holds every value.`}
        onKeyDown={onKey}
        onMouseLeave={() => setTip(null)}
      />
      {tip && <Tooltip tip={tip} {...props} visible={visible} width={wrap.current?.clientWidth ?? 0} />}
      {tip === null && <p class="chart-hint">Point at a bar for its values{visible.some((s) => s.groups[0]?.drill && s.key !== OTHERS_KEY) ? '; click a segment to drill into it' : ''}.</p>}
    </div>
  );
}

/**
 * A series' segments as bars, each spanning its own bucket: from its start (`xs[i]`) to the
 * next one's (`xs[i + 1]`, the last bucket's end after the last), less a gap of `gap` CSS
 * pixels. uPlot's bars path draws every bar as wide as the shortest bucket (and its per-bar
 * `disp.size` is read for the first bar only): months and weeks differ in length, a range's
 * first and last buckets may be partial, so a month looked as if its usage stopped short.
 * Edges fall on whole canvas pixels, so the gaps are even and a segment's top is exactly the
 * bottom of the one above; a bar is at least a pixel wide.
 */
function bucketBars(xs: number[], lower: (number | null)[], upper: (number | null)[], gap: number): uPlot.Series.PathBuilder {
  return (u, _seriesIdx, idx0, idx1) => {
    const fill = new Path2D();
    const gapPx = Math.round(gap * uPlot.pxRatio);
    const x = (i: number) => Math.round(u.valToPos(xs[i]!, 'x', true));
    const y = (v: number) => Math.round(u.valToPos(v, 'y', true));
    for (let i = idx0; i <= idx1 && i < xs.length - 1; i++) {
      const top = upper[i];
      const bottom = lower[i] ?? 0;
      if (top == null || top === bottom) continue;
      const left = x(i);
      fill.rect(left, y(top), Math.max(1, x(i + 1) - left - gapPx), y(bottom) - y(top));
    }
    return { fill, stroke: null, clip: null, flags: 0 };
  };
}

/** The bucket under the cursor: the last one starting at or before it (uPlot's own index is the nearest bar start). */
function bucketAt(u: uPlot, results: Results): number | undefined {
  const { left } = u.cursor;
  if (left == null || left < 0) return undefined;
  const t = u.posToVal(left, 'x') * 1000;
  const starts = results.buckets;
  if (!(t >= starts[0]! && t < results.bucketEnd)) return undefined;
  return lastIndexAtOrBefore(starts, t);
}

function chartHeight(el: HTMLElement): number {
  return Math.max(220, Math.min(380, Math.round(el.clientWidth * 0.45)));
}

/** The group whose segment holds `y` in bucket `idx` (none for "others" or above the stack). */
function segmentAt(visible: ChartSeries[], running: number[][], idx: number, y: number): Group | undefined {
  for (let i = 0; i < visible.length; i++) {
    if (y <= running[i]![idx]!) {
      const s = visible[i]!;
      return s.key === OTHERS_KEY ? undefined : s.groups[0];
    }
  }
  return undefined;
}

function Tooltip({ tip, results, visible, colors, measure, show, zone, period, width }: Props & { tip: Tip; visible: ChartSeries[]; width: number }) {
  const start = results.buckets[tip.idx]!;
  const end = results.buckets[tip.idx + 1] ?? results.bucketEnd;
  const total = visible.reduce((a, s) => a + s.values[tip.idx]!, 0);
  // Beside the pointer, on whichever side has room.
  const style = tip.left > width / 2 ? { right: `${width - tip.left + 16}px` } : { left: `${tip.left + 16}px` };
  return (
    <div class="tooltip" role="status" aria-live="polite" style={style} data-testid="chart-tooltip" data-bucket={new Date(start).toISOString()}>
      <div class="tooltip-title">
        {bucketLabel(start, zone, period)} <span class="muted">to {bucketLabel(end, zone, period)}</span>
      </div>
      <table>
        <tbody>
          {[...visible].reverse().map((s) => (
            <tr key={s.key} data-key={s.key}>
              <td>
                <span class="swatch" style={{ background: colors.get(s.key) }} aria-hidden="true" />
                {s.label}
              </td>
              <td class="num" data-value={s.values[tip.idx]}>{formatValue(s.values[tip.idx]!, measure, show)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total shown</th>
            <td class="num" data-value={total}>{formatValue(total, measure, show)}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
