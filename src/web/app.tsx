// The usage explorer: the query form on one side, the results (chart, table, CSV) on the
// other. It owns the flows: sign in (sigv4), list farms, open the query the URL names, run
// a query (URL updated, progress, cancel), drill into a group, and back/forward.
import type { DeadlineClient } from '@aws-sdk/client-deadline';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { statsCsv } from '../domain/stats-export.js';
import { listFarms, listFleets, listQueues, makeClient, pageSizeFor, runAggregation, type Keys, type Named, type Progress } from './api.js';
import { Breadcrumb, groupingText, viewedResource } from './breadcrumb.js';
import { Legend, seriesColors, StackedChart } from './chart.js';
import { Controls, FieldError } from './controls.js';
import { describeError, type Problem } from './errors.js';
import { formatCount, formatMeasure, MEASURE_TITLE } from './format.js';
import {
  browserZone, checkQuery, isQuery, MAX_RESOURCES, presetOf, presetRange, queryFromUrl, queryToSearch, zoneOf,
  type Control, type FieldErrors, type Preset, type Query, type ResourceKind,
} from './query.js';
import { isNarrowScreen } from './screen.js';
import { RankedBars } from './ranked-bars.js';
import { chartSeries, FIELD_TITLE, groupRows, namesOf, OTHERS_KEY, othersDominate, type Group, type Names, type Results } from './results.js';
import { SignIn, storedKeys, storeKeys } from './sign-in.js';
import { GroupTable } from './table.js';
import { BudgetsView } from './budgets/budgets-view.js';
import { isBudgetsView } from './budgets/route.js';
import { ViewTabs } from './budgets/view-tabs.js';

/** GET /explorer/settings.json (src/wire/web-route.ts). */
export interface ExplorerSettings {
  auth: 'open' | 'sigv4';
  strict: boolean;
}

interface Lists {
  farm: string;
  queues: Named[];
  fleets: Named[];
}

type RunState =
  | { state: 'idle' }
  | { state: 'running'; progress: Progress; started: number }
  | { state: 'done'; rows: number; ms: number }
  | { state: 'cancelled' }
  | { state: 'failed' };

interface Shown {
  /** Counts runs: the chart and table start afresh (sort, open rows) for each. */
  run: number;
  query: Query;
  results: Results;
  /** The farm's queue and fleet names when it ran: the CSV's name columns. */
  names: Names;
  statusMessage?: string;
}

const DRILL_FIELDS = ['JOB_ID', 'USER_ID', 'INSTANCE_TYPE', 'USAGE_TYPE', 'LICENSE_PRODUCT'];

/**
 * The form's first values, and the view a bare `/` runs: the last 30 days, daily, by queue,
 * cost. In the browser's zone rather than UTC: a producer counts days from their own
 * midnight, and UTC days would cut theirs in two away from Greenwich (in strict mode the
 * browser's current offset, the only kind of zone such a server takes). UTC only when the
 * browser names a zone the page cannot read.
 */
function defaultQuery(strict: boolean, farm: string): Query {
  const tz = browserZone(strict);
  const zone = zoneOf(tz) ?? zoneOf('UTC')!;
  return { farm, kind: 'queues', ids: [], ...presetRange('last30', zone), period: 'DAILY', tz, groupBy: ['QUEUE_ID'], stats: ['SUM'], measure: 'cost' };
}

const defaultIds = (lists: Lists | undefined, kind: ResourceKind) => (lists ? (kind === 'queues' ? lists.queues : lists.fleets).slice(0, MAX_RESOURCES).map((i) => i.id) : []);

/** The element to focus for an error: the first control at fault, in the form's order (a general error is announced, the focus stays). */
const FOCUS_OF: [Control, string][] = [
  ['farm', '#farm'], ['resources', 'input[name=resource]'], ['start', '#start'], ['end', '#end'], ['period', '#period'],
  ['tz', '#tz'], ['groupBy', '#group-by-0'], ['stats', 'input[name=stat]'],
];

function focusFirstError(errors: FieldErrors): void {
  const hit = FOCUS_OF.find(([c]) => errors[c]);
  if (hit) setTimeout(() => document.querySelector<HTMLElement>(hit[1])?.focus());
}

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

/** "Cost (USD) by queue", and for one queue or fleet alone its name: "Cost (USD) of queue Lighting by job". */
function resultsTitle({ query, names }: Shown): string {
  const resource = viewedResource(query, names);
  return `${MEASURE_TITLE[query.measure]}${resource ? ` of ${resource.what} ${resource.name}` : ''} ${groupingText(query.groupBy)}`;
}

export function App({ settings }: { settings: ExplorerSettings }) {
  const sigv4 = settings.auth === 'sigv4';
  const budgetsView = isBudgetsView(location.search);
  const [keys, setKeys] = useState<Keys | undefined>(() => (sigv4 ? storedKeys() : undefined));
  const [signIn, setSignIn] = useState<{ problem?: string; busy: boolean } | null>(sigv4 && !storedKeys() ? { busy: false } : null);
  const client = useMemo(() => makeClient(keys), [keys]);
  const [farms, setFarms] = useState<Named[] | null>(null);
  const [lists, setLists] = useState<Lists>({ farm: '', queues: [], fleets: [] });
  const [draft, setDraft] = useState<Query>(() => defaultQuery(settings.strict, ''));
  // The picker shows the preset the range is (a link's dates, dates typed by hand), unless
  // Custom was picked since the range last changed.
  const [customPicked, setCustomPicked] = useState(false);
  const preset = useMemo<Preset>(
    () => (customPicked ? 'custom' : presetOf(draft.start, draft.end, zoneOf(draft.tz))),
    [customPicked, draft.start, draft.end, draft.tz],
  );
  const [errors, setErrors] = useState<FieldErrors>({});
  const [authProblem, setAuthProblem] = useState(false);
  const [run, setRun] = useState<RunState>({ state: 'idle' });
  const [shown, setShown] = useState<Shown | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [drillBy, setDrillBy] = useState('JOB_ID');
  /** The chart the user picked for a run (its number): the ranked bar or the time stack; each run starts with the one its groups call for. */
  const [viewPicked, setViewPicked] = useState<{ run: number; ranked: boolean } | null>(null);
  const running = useRef<AbortController | null>(null);
  const cache = useRef(new Map<string, Lists>());
  const drawnFor = useRef<Shown | null>(null);
  const resultsRef = useRef<HTMLElement>(null);
  /** Set when a run the user asked for ends: its results are scrolled to once drawn (see the effect below). */
  const scrollToResults = useRef(false);

  /** An error once the page is in use: beside its control, and for refused keys a way to enter others (a refusal of the first call opens the sign-in form instead, see `start`). */
  function showProblem(problem: Problem): void {
    if (problem.auth && sigv4) setAuthProblem(true);
    setErrors(problem.fields);
    focusFirstError(problem.fields);
  }

  async function loadLists(c: DeadlineClient, farm: string): Promise<Lists | undefined> {
    if (!farm) return undefined;
    const known = cache.current.get(farm);
    if (known) {
      setLists(known);
      return known;
    }
    try {
      const [queues, fleets] = await Promise.all([listQueues(c, farm), listFleets(c, farm)]);
      const loaded = { farm, queues, fleets };
      cache.current.set(farm, loaded);
      setLists(loaded);
      return loaded;
    } catch (err) {
      const problem = describeError(err);
      if (!problem.auth) problem.fields = { farm: `${problem.fields.farm ?? problem.fields.general ?? ''} Pick a farm from the list.`.trim() };
      showProblem(problem);
      return undefined;
    }
  }

  /**
   * Fills the form from the URL (defaults for what it leaves out) and runs it. A URL that
   * names no farm (a bare `/`) runs the default view of the first farm in the picker, so the
   * first screen shows results, and the URL then holds that view; with no farm, or a farm
   * with nothing to pick, there is nothing to run.
   */
  async function openUrl(c: DeadlineClient, farmList: Named[]): Promise<void> {
    if (budgetsView) return; // the budgets view reads its URL itself
    const fromUrl = queryFromUrl(location.search, defaultQuery(settings.strict, farmList[0]?.id ?? ''));
    setDraft(fromUrl);
    setCustomPicked(false);
    const loaded = await loadLists(c, fromUrl.farm);
    const hasIds = new URLSearchParams(location.search).has(fromUrl.kind);
    const q = hasIds ? fromUrl : { ...fromUrl, ids: defaultIds(loaded, fromUrl.kind) };
    setDraft(q);
    if (loaded && (isQuery(location.search) || q.ids.length > 0)) await execute(q, 'replace', c, loaded);
  }

  /** Lists the farms (unless the sign-in just did) and opens the URL's query. */
  async function start(c: DeadlineClient, listed?: Named[]): Promise<boolean> {
    try {
      const farmList = listed ?? (await listFarms(c));
      setFarms(farmList);
      setAuthProblem(false);
      setErrors({});
      await openUrl(c, farmList);
      return true;
    } catch (err) {
      const problem = describeError(err);
      if (problem.auth && sigv4) setSignIn({ busy: false, problem: problem.fields.general });
      else showProblem(problem);
      return false;
    }
  }

  useEffect(() => {
    if (!signIn) void start(client);
  }, []);

  useEffect(() => {
    const onPop = () => {
      if (farms) void openUrl(client, farms);
    };
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, [client, farms]);

  async function submitKeys(k: Keys): Promise<void> {
    setSignIn({ busy: true });
    const c = makeClient(k);
    let farmList: Named[];
    try {
      farmList = await listFarms(c); // the keys work before they are kept
    } catch (err) {
      const problem = describeError(err);
      setSignIn({ busy: false, problem: problem.fields.general ?? Object.values(problem.fields)[0] });
      return;
    }
    storeKeys(k);
    setKeys(k);
    setSignIn(null);
    await start(c, farmList);
  }

  async function execute(q: Query, history_: 'push' | 'replace', c = client, named: Lists = lists): Promise<void> {
    const checked = checkQuery(q);
    if ('errors' in checked) {
      setErrors(checked.errors);
      focusFirstError(checked.errors);
      return;
    }
    setErrors({});
    setAuthProblem(false);
    const search = queryToSearch(q);
    if (search !== location.search) history_ === 'push' ? history.pushState(null, '', search) : history.replaceState(null, '', search);
    running.current?.abort();
    const ac = new AbortController();
    running.current = ac;
    const started = performance.now();
    performance.clearMarks('farmtally:drawn');
    performance.mark('farmtally:run');
    setRun({ state: 'running', progress: { phase: 'starting' }, started });
    try {
      // The rows read so far are shown at most every 100 ms: each update renders the whole
      // form and results, and a large result is read in many pages one after the other.
      let shownAt = 0;
      const onProgress = (progress: Progress) => {
        if (running.current !== ac) return;
        if (progress.phase === 'fetching' && performance.now() - shownAt < 100) return;
        shownAt = performance.now();
        setRun({ state: 'running', progress, started });
      };
      const agg = await runAggregation(c, checked.input, ac.signal, onProgress, pageSizeFor(settings.strict));
      if (running.current !== ac) return;
      const names = { queues: namesOf(named.queues), fleets: namesOf(named.fleets) };
      const results = groupRows(agg.rows, q.groupBy, names);
      // A run the user asked for (Run, a drill: the ones that make a history entry), not one
      // the page started by itself on opening a link or a bare `/`.
      scrollToResults.current = history_ === 'push';
      setShown((old) => ({ run: (old?.run ?? 0) + 1, query: q, results, names, statusMessage: agg.statusMessage }));
      setHidden(new Set());
      setRun({ state: 'done', rows: agg.rows.length, ms: performance.now() - started });
    } catch (err) {
      if (running.current !== ac) return;
      const problem = describeError(err, settings.strict);
      if (problem.cancelled) setRun({ state: 'cancelled' });
      else {
        setRun({ state: 'failed' });
        showProblem(problem);
      }
    } finally {
      if (running.current === ac) running.current = null;
    }
  }

  // On a phone the results are under the form, a screen or more below Run: when a run asked
  // for ends, they are brought up. On a wide screen they are beside the form, already in view,
  // and on opening a page nothing moves it under the reader (Run is in view, at the top).
  useEffect(() => {
    if (!scrollToResults.current) return;
    scrollToResults.current = false;
    if (isNarrowScreen()) resultsRef.current?.scrollIntoView({ block: 'start' });
  }, [shown?.run]);

  function cancel(): void {
    running.current?.abort(new DOMException('Cancelled by the user', 'AbortError'));
    running.current = null;
    setRun({ state: 'cancelled' });
  }

  async function pickFarm(farm: string): Promise<void> {
    setErrors({});
    setDraft((d) => ({ ...d, farm, ids: [] }));
    const loaded = await loadLists(client, farm);
    if (loaded) setDraft((d) => (d.farm === farm ? { ...d, ids: defaultIds(loaded, d.kind) } : d));
  }

  function pickPreset(p: Preset): void {
    setCustomPicked(p === 'custom');
    const zone = zoneOf(draft.tz);
    if (p !== 'custom' && zone) setDraft((d) => ({ ...d, ...presetRange(p, zone) }));
  }

  function change(q: Query): void {
    if (q.start !== draft.start || q.end !== draft.end) setCustomPicked(false);
    setDraft(q);
    // The measure is a way of looking at the rows already there: no new run, the URL follows.
    if (shown && q.measure !== shown.query.measure) {
      const query = { ...shown.query, measure: q.measure };
      setShown({ ...shown, query });
      history.replaceState(null, '', queryToSearch(query));
    }
  }

  function drill(group: Group): void {
    if (!shown || !group.drill) return;
    // The view drilled from goes in the URL: the breadcrumb's way back, in a shared link too.
    const q: Query = { ...shown.query, kind: group.drill.kind, ids: [group.drill.id], groupBy: [drillBy], from: queryToSearch(shown.query).slice(1) };
    setDraft(q);
    void execute(q, 'push');
  }

  function goTo(q: Query): void {
    setDraft(q);
    setCustomPicked(false);
    void execute(q, 'push');
  }

  /**
   * Run from the form: the path drilled (`from`) is kept while the form still shows the queue
   * or fleet drilled into (another grouping or range of it is still "Lighting"); picking
   * other queues or fleets leaves the path.
   */
  function runDraft(): void {
    const same = !!shown && shown.query.from === draft.from && shown.query.kind === draft.kind && shown.query.ids.join() === draft.ids.join();
    void execute(same ? draft : { ...draft, from: undefined }, 'push');
  }

  const zone = useMemo(() => (shown ? zoneOf(shown.query.tz) : undefined), [shown?.query.tz]);
  const series = useMemo(() => (shown ? chartSeries(shown.results, shown.query.measure) : []), [shown?.results, shown?.query.measure]);
  const colors = useMemo(() => (shown ? seriesColors(shown.results, series) : new Map<string, string>()), [shown?.results, series]);
  const csvUrl = useMemo(() => {
    if (!shown || !zone) return undefined;
    const csv = statsCsv(shown.results.rows, shown.query.groupBy, shown.query.stats, { zone, names: shown.names });
    return URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  }, [shown?.results, zone]);
  useEffect(() => () => csvUrl && URL.revokeObjectURL(csvUrl), [csvUrl]);

  const hasOthers = series.some((s) => s.key === OTHERS_KEY);
  const ranked = shown && viewPicked?.run === shown.run ? viewPicked.ranked : othersDominate(series);

  function drawn(): void {
    if (drawnFor.current === shown) return;
    drawnFor.current = shown;
    performance.mark('farmtally:drawn');
    document.documentElement.dataset.drawn = String(Number(document.documentElement.dataset.drawn ?? 0) + 1);
  }

  const toggle = (key: string) => setHidden((h) => {
    const next = new Set(h);
    if (!next.delete(key)) next.add(key);
    return next;
  });

  const isRunning = run.state === 'running';
  return (
    <>
      <header class="top">
        <h1>
          farmtally <span class="muted">usage explorer</span>
        </h1>
        {!signIn && <ViewTabs view={budgetsView ? 'budgets' : 'usage'} farm={draft.farm} />}
        {sigv4 && keys && !signIn && (
          <p class="who">
            Signed with key <code>{keys.accessKeyId}</code>{' '}
            <button type="button" class="link" onClick={() => { storeKeys(undefined); setSignIn({ busy: false }); }}>Change keys</button>
          </p>
        )}
      </header>
      {signIn ? (
        <main class="single">
          <SignIn busy={signIn.busy} problem={signIn.problem} initial={keys} onSubmit={(k) => void submitKeys(k)} />
        </main>
      ) : budgetsView ? (
        <BudgetsView client={client} farms={farms} strict={settings.strict} onKeysRefused={() => setSignIn({ busy: false })} />
      ) : (
        <main class="layout">
          <form class="controls" aria-label="Query" onSubmit={(e) => { e.preventDefault(); runDraft(); }} noValidate>
            <Controls
              query={draft} farms={farms ?? []} queues={lists.farm === draft.farm ? lists.queues : []} fleets={lists.farm === draft.farm ? lists.fleets : []}
              strict={settings.strict} preset={preset} errors={errors} running={isRunning}
              onChange={change} onPreset={pickPreset} onFarm={(f) => void pickFarm(f)} onCancel={cancel}
              status={
                <>
                  <div class="run-status" role="status" aria-live="polite" data-run-state={run.state}>
                    {isRunning && <progress aria-label="Query running" />}
                    <span>{progressText(run)}</span>
                  </div>
                  <FieldError errors={errors} control="general" />
                  {authProblem && sigv4 && (
                    <button type="button" onClick={() => { storeKeys(undefined); setSignIn({ busy: false }); }}>Enter keys again</button>
                  )}
                </>
              }
            />
          </form>
          <section class="results" aria-label="Results" aria-busy={isRunning} ref={resultsRef}>
            {farms && farms.length === 0 && (
              <p class="empty">
                This server has no farms yet. Fill one with a year of demo sessions: <code>npx farmtally demo --endpoint {location.origin}</code>, then reload.
              </p>
            )}
            {!shown && farms && farms.length > 0 && <p class="empty">Pick a farm, its queues or fleets and a range, then press Run.</p>}
            {shown && zone && (
              <>
                <div class="results-head">
                  <Breadcrumb query={shown.query} names={shown.names} onGo={goTo} />
                  <h2>{resultsTitle(shown)}</h2>
                  <p class="muted">
                    {shown.query.start} to {shown.query.end} ({shown.query.tz}), {shown.query.period ? shown.query.period.toLowerCase() : 'one bucket'}: {' '}
                    <strong data-testid="grand-total">{formatMeasure(shown.query.measure === 'cost' ? shown.results.totals.cost : shown.results.totals.runtime / 3600, shown.query.measure)}</strong>
                  </p>
                  <div class="results-actions">
                    <a class="button" href={csvUrl} download={`farmtally-${shown.query.farm}-${shown.query.start}-${shown.query.end}.csv`} id="download-csv">
                      Download CSV ({formatCount(shown.results.rows.length)} rows)
                    </a>
                    <label class="inline">
                      Clicking a queue or fleet shows it by{' '}
                      <select id="drill-by" value={drillBy} onChange={(e) => setDrillBy(e.currentTarget.value)}>
                        {DRILL_FIELDS.map((f) => <option value={f} key={f}>{FIELD_TITLE[f]?.toLowerCase()}</option>)}
                      </select>
                    </label>
                  </div>
                  {shown.statusMessage && <p class="note" role="note">{shown.statusMessage}</p>}
                </div>
                {shown.results.rows.length === 0 ? (
                  <p class="empty">No usage in this range: no session records overlap it.</p>
                ) : (
                  <>
                    {hasOthers && (
                      <button type="button" class="view-toggle" onClick={() => setViewPicked({ run: shown.run, ranked: !ranked })}>
                        {ranked ? 'Show over time (stacked)' : `Show the top groups ranked`}
                      </button>
                    )}
                    {ranked ? (
                      <RankedBars results={shown.results} measure={shown.query.measure} colors={colors} onDrill={drill} onDrawn={drawn} />
                    ) : (
                      <>
                        <Legend series={series} colors={colors} hidden={hidden} measure={shown.query.measure} onToggle={toggle} />
                        <StackedChart
                          key={shown.run}
                          results={shown.results} series={series} colors={colors} measure={shown.query.measure} zone={zone} period={shown.query.period}
                          hidden={hidden} onToggle={toggle} onDrill={drill} onDrawn={drawn}
                        />
                      </>
                    )}
                    <GroupTable key={shown.run} results={shown.results} stats={shown.query.stats} measure={shown.query.measure} zone={zone} period={shown.query.period} onDrill={drill} />
                  </>
                )}
              </>
            )}
          </section>
        </main>
      )}
    </>
  );
}
