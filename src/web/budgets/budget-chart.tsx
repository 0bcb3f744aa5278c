// A budget's window as a chart (SVG, drawn at the width it is given): the cumulative spend
// from the window's start to now, the limit as a line across, each action's threshold as a
// dotted line with its percentage (and a dot where the spend crossed it), and the forecast as
// a dashed line from now to the window's end. The words beside it say the same numbers.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { BudgetForecast, SpendPoint } from '../../domain/budget-forecast.js';
import { formatCost, formatTick } from '../format.js';

export interface ChartBudget {
  start: number;
  end: number;
  limit: number;
  thresholds: number[];
}

const DAY = 86_400_000;
const dayLabel = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** Round steps for the money axis: 1, 2 or 5 times a power of ten, about `count` of them up to `max`. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
}

/** Where the spend first reached `level`: between the two points either side of it, by straight line. */
function crossing(points: readonly SpendPoint[], level: number): SpendPoint | undefined {
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1]!, points[i]!];
    if (b.total >= level && a.total < level) return { at: a.at + ((level - a.total) / (b.total - a.total)) * (b.at - a.at), total: level };
  }
  return points[0] && points[0].total >= level ? points[0] : undefined;
}

function useWidth(): [preact.RefObject<HTMLDivElement>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(Math.floor(el.clientWidth)));
    observer.observe(el);
    setWidth(Math.floor(el.clientWidth));
    return () => observer.disconnect();
  }, []);
  return [ref, width];
}

export function BudgetChart({ budget, points, forecast, now }: { budget: ChartBudget; points: SpendPoint[]; forecast: BudgetForecast; now: number }) {
  const [ref, width] = useWidth();
  const narrow = width < 520;
  const height = narrow ? 230 : 300;
  const m = { left: narrow ? 44 : 58, right: narrow ? 44 : 64, top: 14, bottom: 26 };
  const plotW = Math.max(10, width - m.left - m.right);
  const plotH = height - m.top - m.bottom;
  const spent = points.at(-1)?.total ?? 0;
  const top = Math.max(budget.limit, forecast.forecast, spent) * 1.1 || 1;
  const yStep = niceStep(top, narrow ? 4 : 5);
  const yMax = Math.ceil(top / yStep) * yStep;
  const x = (t: number) => m.left + ((Math.min(Math.max(t, budget.start), budget.end) - budget.start) / (budget.end - budget.start)) * plotW;
  const y = (v: number) => m.top + plotH - (v / yMax) * plotH;
  const days = (budget.end - budget.start) / DAY;
  const dayStep = [1, 2, 3, 7, 14, 30, 61, 91, 182, 365].find((s) => days / s <= plotW / (narrow ? 64 : 80)) ?? 365;
  const xTicks: number[] = [];
  for (let t = Math.ceil(budget.start / DAY) * DAY; t <= budget.end; t += dayStep * DAY) xTicks.push(t);
  const yTicks: number[] = [];
  for (let v = 0; v <= yMax + 1e-9; v += yStep) yTicks.push(v);
  const line = points.map((p) => `${x(p.at).toFixed(1)},${y(p.total).toFixed(1)}`).join(' ');
  const area = points.length ? `${x(points[0]!.at).toFixed(1)},${y(0)} ${line} ${x(points.at(-1)!.at).toFixed(1)},${y(0)}` : '';
  const showNow = now > budget.start && now < budget.end;
  const title = `Cumulative spend of ${formatCost(spent)} against a limit of ${formatCost(budget.limit)}${forecast.phase === 'open' ? `, forecast ${formatCost(forecast.forecast)} at the window's end` : ''}`;
  return (
    <div class="budget-chart" ref={ref}>
      {width > 0 && (
        <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title} data-testid="budget-chart">
          <title>{title}</title>
          <g class="grid">
            {yTicks.map((v) => (
              <g key={v}>
                <line x1={m.left} x2={m.left + plotW} y1={y(v)} y2={y(v)} />
                <text x={m.left - 6} y={y(v)} text-anchor="end" dominant-baseline="middle">{formatTick(v, 'cost')}</text>
              </g>
            ))}
            {xTicks.map((t) => (
              <text key={t} x={x(t)} y={height - 8} text-anchor="middle">{dayLabel.format(t)}</text>
            ))}
          </g>
          <line class="axis" x1={m.left} x2={m.left + plotW} y1={y(0)} y2={y(0)} />
          {showNow && (
            <g class="now-line">
              <line x1={x(now)} x2={x(now)} y1={m.top} y2={y(0)} />
              <text x={x(now) + 4} y={m.top + 10}>today</text>
            </g>
          )}
          {budget.thresholds.map((t) => {
            const level = (t / 100) * budget.limit;
            const crossed = crossing(points, level);
            return (
              <g key={t} class={`threshold${crossed ? ' crossed' : ''}`} data-threshold={t}>
                <line class="threshold-line" x1={m.left} x2={m.left + plotW} y1={y(level)} y2={y(level)} />
                <path class="threshold-marker" d={`M${m.left + plotW},${y(level)} l6,-5 l0,10 z`} />
                <text x={m.left + plotW + 9} y={y(level)} dominant-baseline="middle">{t} %</text>
                {crossed && <circle class="crossing" cx={x(crossed.at)} cy={y(level)} r={4} />}
              </g>
            );
          })}
          <g class="limit">
            <line class="limit-line" data-testid="limit-line" x1={m.left} x2={m.left + plotW} y1={y(budget.limit)} y2={y(budget.limit)} />
            <text x={m.left + 4} y={y(budget.limit) - 5}>Limit {formatCost(budget.limit)}</text>
          </g>
          {area && <polygon class="spend-area" points={area} />}
          {line && <polyline class="spend-line" data-testid="spend-line" points={line} />}
          {forecast.phase === 'open' && (
            <g class="forecast">
              <line class="forecast-line" data-testid="forecast-line" x1={x(now)} y1={y(spent)} x2={x(budget.end)} y2={y(forecast.forecast)} />
              <circle cx={x(budget.end)} cy={y(forecast.forecast)} r={3.5} />
              <text class="forecast-value" x={x(budget.end) - 8} y={y(forecast.forecast) - 9} text-anchor="end">{formatCost(forecast.forecast)}</text>
            </g>
          )}
        </svg>
      )}
      <ul class="budget-legend" aria-hidden="true">
        <li><span class="key spend" /> Spent</li>
        {forecast.phase === 'open' && <li><span class="key forecast" /> Forecast</li>}
        <li><span class="key limit" /> Limit</li>
        {budget.thresholds.length > 0 && <li><span class="key threshold" /> Action thresholds</li>}
      </ul>
    </div>
  );
}
