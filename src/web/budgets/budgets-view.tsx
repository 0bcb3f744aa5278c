// The budgets view: the farm's budgets in a list (queue, ACTIVE or INACTIVE, spend against
// the limit with a bar, window), and for the one picked its window as a chart with the
// forecast (domain/budget-forecast.ts, as `farmtally budgets show` words it) and its
// actions' thresholds, crossed or not. Its URL is `?view=budgets&farm=F&budget=B` (route.ts).
import type { DeadlineClient } from '@aws-sdk/client-deadline';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { budgetForecast, crossedThresholds, cumulativeSpend, type DayCost } from '../../domain/budget-forecast.js';
import { listFleets, listQueues, pageSizeFor, type Named } from '../api.js';
import { describeError } from '../errors.js';
import { formatCost } from '../format.js';
import { isNarrowScreen } from '../screen.js';
import { BudgetChart } from './budget-chart.js';
import { budgetDays, listBudgets, type Budget, type BudgetScope } from './data.js';
import { budgetsRoute, budgetsSearch, type BudgetsRoute } from './route.js';
import './budgets.css';

type Loaded<T> = { state: 'loading' } | { state: 'failed'; message: string } | ({ state: 'done' } & T);

const ACTION_WORDS: Record<string, string> = {
  STOP_SCHEDULING_AND_COMPLETE_TASKS: 'stop scheduling, let running tasks complete',
  STOP_SCHEDULING_AND_CANCEL_TASKS: 'stop scheduling, cancel running tasks',
};

/** A date at midnight UTC reads as the date alone, any other instant to the minute (as `farmtally budgets` writes them). */
export function instantText(ms: number | undefined): string {
  if (ms === undefined) return '?';
  const iso = new Date(ms).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}
const windowText = (b: Budget) => (b.start === undefined ? 'window unknown' : `${instantText(b.start)} → ${instantText(b.end)}`);
/** Spend as a whole percentage of the limit, as the CLI's bar says it. */
export const percentText = (spent: number, limit: number) => `${limit > 0 ? Math.round((spent / limit) * 100) : 0} %`;

export function BudgetsView({ client, farms, strict, onKeysRefused }: { client: DeadlineClient; farms: Named[] | null; strict: boolean; onKeysRefused(): void }) {
  const [route, setRoute] = useState<BudgetsRoute>(() => budgetsRoute(location.search));
  const farm = route.farm ?? farms?.[0]?.id ?? '';
  const [list, setList] = useState<Loaded<{ farm: string; budgets: Budget[]; queues: Map<string, string>; fleets: Map<string, string> }>>({ state: 'loading' });
  const [days, setDays] = useState<Loaded<{ budgetId: string; days: DayCost[]; now: number }>>({ state: 'loading' });
  const detailRef = useRef<HTMLElement>(null);
  const picked = useRef(false);

  function failed(err: unknown): { state: 'failed'; message: string } {
    const problem = describeError(err, strict);
    if (problem.auth) onKeysRefused();
    return { state: 'failed', message: problem.fields.general ?? Object.values(problem.fields)[0] ?? String(err) };
  }

  useEffect(() => {
    const onPop = () => setRoute(budgetsRoute(location.search));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);

  // A URL without a farm shows the first one, and says so.
  useEffect(() => {
    if (farm && !route.farm) history.replaceState(null, '', budgetsSearch({ ...route, farm }));
  }, [farm]);

  useEffect(() => {
    if (!farm) return;
    let live = true;
    setList({ state: 'loading' });
    const names = (list: Promise<Named[]>) => list.then((named) => new Map(named.map((n) => [n.id, n.name]))).catch(() => new Map<string, string>());
    Promise.all([listBudgets(client, farm), names(listQueues(client, farm)), names(listFleets(client, farm))])
      .then(([budgets, queues, fleets]) => live && setList({ state: 'done', farm, budgets, queues, fleets }))
      .catch((err) => live && setList(failed(err)));
    return () => {
      live = false;
    };
  }, [client, farm]);

  const budgets = list.state === 'done' && list.farm === farm ? list.budgets : [];
  const selected = budgets.find((b) => b.id === route.budget) ?? budgets[0];

  useEffect(() => {
    if (!selected) return;
    const ac = new AbortController();
    const now = Date.now();
    setDays({ state: 'loading' });
    budgetDays(client, farm, selected, list.state === 'done' ? [...list.queues.keys()] : [], Math.min(now, selected.end ?? now), ac.signal, () => {}, pageSizeFor(strict))
      .then((d) => setDays({ state: 'done', budgetId: selected.id, days: d, now }))
      .catch((err) => !ac.signal.aborted && setDays(failed(err)));
    return () => ac.abort(new DOMException('Another budget was picked', 'AbortError'));
  }, [client, farm, selected?.id]);

  // On a phone the chart is under the list: a budget picked there is brought up.
  useEffect(() => {
    if (picked.current && days.state === 'done' && isNarrowScreen()) detailRef.current?.scrollIntoView({ block: 'start' });
    picked.current = false;
  }, [days]);

  function go(r: BudgetsRoute): void {
    history.pushState(null, '', budgetsSearch(r));
    setRoute(r);
  }

  /** What a budget tracks, in words: its queue's or fleet's name, a user (over every queue), or the whole farm. */
  const tracks = (scope: BudgetScope) => {
    if (scope.kind === 'farm') return 'The whole farm';
    if (scope.kind === 'user') return `User ${scope.id}, every queue`;
    const names = list.state === 'done' ? (scope.kind === 'queue' ? list.queues : list.fleets) : undefined;
    return `${scope.kind === 'queue' ? 'Queue' : 'Fleet'} ${names?.get(scope.id) ?? scope.id}`;
  };

  return (
    <main class="layout budgets">
      <section class="controls budget-list-panel" aria-label="Budgets">
        <div class="field">
          <label for="budget-farm">Farm</label>
          <select id="budget-farm" value={farm} onChange={(e) => go({ farm: e.currentTarget.value })}>
            {(farms ?? []).map((f) => <option value={f.id} key={f.id}>{f.name}</option>)}
          </select>
        </div>
        <h2>Budgets</h2>
        {farms && farms.length === 0 && <p class="empty">This server has no farms yet.</p>}
        {list.state === 'loading' && farm && <p class="muted" role="status">Reading the farm's budgets…</p>}
        {list.state === 'failed' && <p class="field-error" role="alert">{list.message}</p>}
        {list.state === 'done' && budgets.length === 0 && (
          <p class="empty">
            This farm has no budgets. Create one with <code>npx farmtally budgets create --farm {farm} --queue … --name … --limit 5000 --start … --end …</code>
          </p>
        )}
        <ul class="budget-list">
          {budgets.map((b) => {
            const percent = b.limit > 0 ? (b.usage / b.limit) * 100 : 0;
            return (
              <li key={b.id}>
                <a
                  class="budget-item" href={budgetsSearch({ farm, budget: b.id })} aria-current={b.id === selected?.id ? 'true' : undefined} data-budget-id={b.id}
                  onClick={(e) => { e.preventDefault(); picked.current = true; go({ farm, budget: b.id }); }}
                >
                  <span class="budget-item-head">
                    <span class="budget-name">{b.name}</span>
                    <span class={`badge ${b.status === 'ACTIVE' ? 'active' : 'inactive'}`} data-testid="budget-status">{b.status}</span>
                  </span>
                  <span class="budget-queue">{tracks(b.scope)}</span>
                  <span class={`budget-bar${percent >= 100 ? ' over' : ''}`} role="presentation"><span style={{ width: `${Math.min(100, percent)}%` }} /></span>
                  <span class="budget-spend">
                    <span data-testid="budget-spend">{formatCost(b.usage)} of {formatCost(b.limit)}</span>
                    <strong data-testid="budget-percent">{percentText(b.usage, b.limit)}</strong>
                  </span>
                  <span class="budget-window">{windowText(b)}</span>
                </a>
              </li>
            );
          })}
        </ul>
      </section>
      <section class="results budget-detail" aria-label="Budget" ref={detailRef}>
        {selected ? <BudgetDetail budget={selected} tracks={tracks(selected.scope)} days={days} /> : list.state === 'done' && budgets.length > 0 ? null : <p class="empty">Pick a budget.</p>}
      </section>
    </main>
  );
}

function BudgetDetail({ budget: b, tracks, days }: { budget: Budget; tracks: string; days: Loaded<{ budgetId: string; days: DayCost[]; now: number }> }) {
  const ready = days.state === 'done' && days.budgetId === b.id ? days : undefined;
  const shown = useMemo(() => {
    if (!ready || b.start === undefined || b.end === undefined) return undefined;
    const forecast = budgetForecast(b.start, b.end, ready.days, ready.now);
    const points = cumulativeSpend(b.start, Math.min(ready.now, b.end), ready.days);
    return { forecast, points, now: ready.now };
  }, [ready, b]);
  const thresholds = [...new Set(b.actions.map((a) => a.threshold))]; // two actions may share one
  const spent = shown?.forecast.spent ?? b.usage;
  const crossed = new Set(crossedThresholds(spent, b.limit, thresholds));
  return (
    <>
      <div class="results-head">
        <h2>{b.name}</h2>
        <p class="muted">
          {tracks} · {windowText(b)}{b.every ? ` (this ${b.every === 'MONTHLY' ? 'month' : 'quarter'}'s window; it starts again every ${b.every === 'MONTHLY' ? 'month' : 'quarter'})` : ''} (UTC, the end not included) · <span class={`badge ${b.status === 'ACTIVE' ? 'active' : 'inactive'}`}>{b.status}</span>
        </p>
      </div>
      {b.stoppedAt !== undefined && b.status === 'ACTIVE' && b.scope.kind === 'queue' && (
        <p class="budget-stopped" role="status" data-testid="budget-stopped">
          {tracks} is blocked since {instantText(b.stoppedAt)}: a threshold was reached, so it reads SCHEDULING_BLOCKED (BUDGET_THRESHOLD_REACHED) until the limit is raised, the action removed or the budget set INACTIVE.
        </p>
      )}
      {days.state === 'loading' && <p class="muted" role="status">Adding up the budget's days…</p>}
      {days.state === 'failed' && <p class="field-error" role="alert">{days.message}</p>}
      {shown && (
        <>
          <p class="budget-words" data-testid="budget-words">{forecastSentence(b, shown.forecast)}</p>
          <p class="muted budget-basis" data-testid="budget-basis">{basisSentence(shown.forecast)}</p>
          <BudgetChart budget={{ start: b.start!, end: b.end!, limit: b.limit, thresholds }} points={shown.points} forecast={shown.forecast} now={shown.now} />
        </>
      )}
      <h3>Actions</h3>
      {b.actions.length === 0 ? (
        <p class="muted">No actions.</p>
      ) : (
        <>
          <p data-testid="budget-crossed">
            {crossed.size ? `Crossed: ${[...crossed].map((t) => `${t} %`).join(', ')}.` : 'No threshold crossed yet.'}
            {thresholds.some((t) => !crossed.has(t)) && ` Not yet: ${thresholds.filter((t) => !crossed.has(t)).map((t) => `${t} %`).join(', ')}.`}
          </p>
          <ul class="budget-actions">
            {b.actions.map((a) => (
              <li key={`${a.type}:${a.threshold}`} class={crossed.has(a.threshold) ? 'crossed' : ''} data-threshold={a.threshold}>
                <span class="threshold-at">{a.threshold} % <span class="muted">({formatCost((a.threshold / 100) * b.limit)})</span></span>
                <span>{ACTION_WORDS[a.type] ?? a.type}{a.description ? `: ${a.description}` : ''}</span>
                <span class="threshold-state">{crossed.has(a.threshold) ? 'crossed' : 'not yet'}</span>
              </li>
            ))}
          </ul>
          <p class="muted small" data-testid="budget-action-note">
            {b.scope.kind === 'queue'
              ? "At a threshold farmtally marks the queue blocked (GetQueue reads SCHEDULING_BLOCKED); it stops or cancels no task itself: the render manager that reads the queue's status does."
              : `A budget on ${b.scope.kind === 'farm' ? 'the whole farm' : `a ${b.scope.kind}`} blocks no queue: at a threshold farmtally records an event (in its log, and sent to its webhook if it has one); a queue is blocked by its own budgets.`}
          </p>
        </>
      )}
    </>
  );
}

/** "$24.00 of $40.00 (60 %) spent, forecast $69.71 by 2026-12-27." */
export function forecastSentence(b: Budget, f: ReturnType<typeof budgetForecast>): string {
  const spent = `${formatCost(f.spent)} of ${formatCost(b.limit)} (${percentText(f.spent, b.limit)}) spent`;
  switch (f.phase) {
    case 'not-begun':
      return `Nothing spent yet: the window opens on ${instantText(b.start)}.`;
    case 'ended':
      return `${spent}; the window ended on ${instantText(b.end)}.`;
    case 'open':
      return `${spent}, forecast ${formatCost(f.forecast)} by ${instantText(b.end)} (${percentText(f.forecast, b.limit)}).`;
  }
}

function basisSentence(f: ReturnType<typeof budgetForecast>): string {
  if (f.phase !== 'open') return '';
  if (f.basis.days === 0) return 'No complete day yet to take a daily rate from: the forecast is the spend so far.';
  const n = f.basis.days;
  const days = n === 1 ? 'complete day' : `${Number.isInteger(n) ? n : n.toFixed(1)} complete days`;
  return `The forecast goes on from the spend so far at ${formatCost(f.dailyRate)} a day, the average of the last ${days} (UTC), from today to the window's end.`;
}
