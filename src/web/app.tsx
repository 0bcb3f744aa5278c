// The usage explorer: the query form on one side, the results (chart, table, CSV) on the
// other. It owns the flows: sign in (sigv4), list farms, open the query the URL names, run
// a query (URL updated, progress, cancel), drill into a group, and back/forward. The state
// each flow keeps is in hooks/, what the results look like in panels/.
import type { DeadlineClient } from '@aws-sdk/client-deadline';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { listFarms, listRunningSessions, type Keys, type Named, type RunningSessions } from './api.js';
import { runningUsage } from '../domain/running-usage.js';
import { Controls, FieldError } from './controls.js';
import { describeError, type Problem } from './errors.js';
import { useDraft } from './hooks/use-draft.js';
import { useKeys } from './hooks/use-keys.js';
import { defaultIds, useLists, type Lists } from './hooks/use-lists.js';
import { useRun } from './hooks/use-run.js';
import { useSavedViews } from './hooks/use-saved-views.js';
import { showInUrl, useHistoryMoves, type HistoryMove } from './hooks/use-url.js';
import { ResultsPanel } from './panels/results-panel.js';
import { RunStatus } from './panels/run-status.js';
import { SavedViews } from './panels/saved-views.js';
import type { RunningShown, Shown } from './panels/shown.js';
import {
  browserZone, checkQuery, GROUP_BY_FIELDS, STRICT_MAX_GROUP_BY, isQuery, localText, presetRange, previousInput, queryFromUrl, queryToSearch, zoneOf,
  type Control, type FieldErrors, type Query,
} from './query.js';
import { filteredRows } from './filters.js';
import { groupRows, namesOf, type Group } from './results.js';
import { isNarrowScreen } from './screen.js';
import { SignIn } from './sign-in.js';
import { BudgetsView } from './budgets/budgets-view.js';
import { isBudgetsView } from './budgets/route.js';
import { ViewTabs } from './budgets/view-tabs.js';

/** GET /explorer/settings.json (src/wire/web-route.ts). */
export interface ExplorerSettings {
  auth: 'open' | 'sigv4';
  strict: boolean;
}

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
  return { farm, kind: 'queues', ids: [], ...presetRange('last30', zone), period: 'DAILY', tz, groupBy: ['QUEUE_ID'], stats: ['SUM'], measure: 'cost', show: 'amounts', filters: [], compare: false };
}

/** The element to focus for an error: the first control at fault, in the form's order (a general error is announced, the focus stays). */
const FOCUS_OF: [Control, string][] = [
  ['farm', '#farm'], ['resources', 'input[name=resource]'], ['start', '#start'], ['end', '#end'], ['period', '#period'],
  ['tz', '#tz'], ['groupBy', '#group-by-0'], ['stats', 'input[name=stat]'],
];

function focusFirstError(errors: FieldErrors): void {
  const hit = FOCUS_OF.find(([c]) => errors[c]);
  if (hit) setTimeout(() => document.querySelector<HTMLElement>(hit[1])?.focus());
}

export function App({ settings }: { settings: ExplorerSettings }) {
  const sigv4 = settings.auth === 'sigv4';
  const budgetsView = isBudgetsView(location.search);
  const { keys, client, signIn, askForKeys, forgetKeys, submitKeys } = useKeys(sigv4);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [authProblem, setAuthProblem] = useState(false);
  const { farms, setFarms, lists, loadLists } = useLists(showProblem);
  const { draft, setDraft, preset, pickPreset, edit, replace } = useDraft(() => defaultQuery(settings.strict, ''));
  const { run, perform, cancel } = useRun(settings.strict);
  const [shown, setShown] = useState<Shown | null>(null);
  const { views, saveView, removeView } = useSavedViews();
  const resultsRef = useRef<HTMLElement>(null);
  /** Set when a run the user asked for ends: its results are scrolled to once drawn (see the effect below). */
  const scrollToResults = useRef(false);

  /** An error once the page is in use: beside its control, and for refused keys a way to enter others (a refusal of the first call opens the sign-in form instead, see `start`). */
  function showProblem(problem: Problem): void {
    if (problem.auth && sigv4) setAuthProblem(true);
    setErrors(problem.fields);
    focusFirstError(problem.fields);
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
    replace(fromUrl);
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
      if (problem.auth && sigv4) askForKeys(problem.fields.general);
      else showProblem(problem);
      return false;
    }
  }

  useEffect(() => {
    if (!signIn) void start(client);
  }, []);

  useHistoryMoves(() => {
    if (farms) void openUrl(client, farms);
  }, [client, farms]);

  /** A saved view clicked: a history entry of its own, then opened as a link to it would be. */
  function openSaved(search: string): void {
    history.pushState(null, '', search);
    if (farms) void openUrl(client, farms);
  }

  async function signInWith(k: Keys): Promise<void> {
    const accepted = await submitKeys(k);
    if (accepted) await start(accepted.client, accepted.farms);
  }

  async function execute(q: Query, move: HistoryMove, c = client, named: Lists = lists): Promise<void> {
    const checked = checkQuery(q, settings.strict ? STRICT_MAX_GROUP_BY : GROUP_BY_FIELDS.length);
    if ('errors' in checked) {
      setErrors(checked.errors);
      focusFirstError(checked.errors);
      return;
    }
    setErrors({});
    setAuthProblem(false);
    showInUrl(q, move);
    const zone = zoneOf(q.tz);
    const previous = q.compare ? previousInput(checked.input) : undefined;
    // The running sessions of the run's queues or fleets, read once its aggregation has started
    // (farmtally's extension: not on a --strict server).
    const readRunning = settings.strict ? undefined : (signal: AbortSignal) => listRunningSessions(c, checked.input, signal);
    const runningOf = (list: RunningSessions | Error | undefined): RunningShown | undefined => {
      if (!list) return undefined;
      if (list instanceof Error) return { problem: list.message };
      // The previous range's part, when compared: the same sessions up to the same moment,
      // a session still running that started before that range's end having some of it too.
      const over = (input: { startTime: Date; endTime: Date }) => runningUsage(list.sessions, {
        start: input.startTime.getTime(), end: input.endTime.getTime(), asOf: list.asOf, groupBy: q.groupBy, filters: q.filters,
        buckets: zone && { zone, period: q.period || undefined },
      });
      return { usage: over(checked.input), previous: previous && over(previous), asOf: list.asOf, truncated: list.truncated };
    };
    await perform<RunningSessions>(c, previous ? [checked.input, previous] : [checked.input], ([agg, before], running) => {
      const names = { queues: namesOf(named.queues), fleets: namesOf(named.fleets) };
      const results = groupRows(filteredRows(agg!.rows, q.groupBy, q.filters), q.groupBy, names);
      const comparison = before && previous && zone
        ? { previous: groupRows(filteredRows(before.rows, q.groupBy, q.filters), q.groupBy, names), start: localText(previous.startTime, zone), end: localText(previous.endTime, zone) }
        : undefined;
      // A run the user asked for (Run, a drill: the ones that make a history entry), not one
      // the page started by itself on opening a link or a bare `/`.
      scrollToResults.current = move === 'push';
      setShown((old) => ({ run: (old?.run ?? 0) + 1, query: q, results, names, statusMessage: agg!.statusMessage, comparison, running: runningOf(running) }));
    }, showProblem, readRunning);
  }

  // On a phone the results are under the form, a screen or more below Run: when a run asked
  // for ends, they are brought up. On a wide screen they are beside the form, already in view,
  // and on opening a page nothing moves it under the reader (Run is in view, at the top).
  useEffect(() => {
    if (!scrollToResults.current) return;
    scrollToResults.current = false;
    if (isNarrowScreen()) resultsRef.current?.scrollIntoView({ block: 'start' });
  }, [shown?.run]);

  async function pickFarm(farm: string): Promise<void> {
    setErrors({});
    setDraft((d) => ({ ...d, farm, ids: [] }));
    const loaded = await loadLists(client, farm);
    if (loaded) setDraft((d) => (d.farm === farm ? { ...d, ids: defaultIds(loaded, d.kind) } : d));
  }

  function change(q: Query): void {
    edit(q);
    // The measure, and amounts or shares, are ways of looking at the rows already there: no
    // new run, the URL follows.
    if (shown && (q.measure !== shown.query.measure || q.show !== shown.query.show)) {
      const query = { ...shown.query, measure: q.measure, show: q.show };
      setShown({ ...shown, query });
      showInUrl(query, 'replace');
    }
  }

  function drill(group: Group, field: string): void {
    if (!shown || !group.drill) return;
    // The view drilled from goes in the URL: the breadcrumb's way back, in a shared link too.
    const q: Query = { ...shown.query, kind: group.drill.kind, ids: [group.drill.id], groupBy: [field], from: queryToSearch(shown.query).slice(1) };
    setDraft(q);
    void execute(q, 'push');
  }

  function goTo(q: Query): void {
    replace(q);
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
            <button type="button" class="link" onClick={forgetKeys}>Change keys</button>
          </p>
        )}
      </header>
      {signIn ? (
        <main class="single">
          <SignIn busy={signIn.busy} problem={signIn.problem} initial={keys} onSubmit={(k) => void signInWith(k)} />
        </main>
      ) : budgetsView ? (
        <BudgetsView client={client} farms={farms} strict={settings.strict} onKeysRefused={() => askForKeys()} />
      ) : (
        <main class="layout">
          <form class="controls" aria-label="Query" onSubmit={(e) => { e.preventDefault(); runDraft(); }} noValidate>
            <Controls
              query={draft} farms={farms ?? []} queues={lists.farm === draft.farm ? lists.queues : []} fleets={lists.farm === draft.farm ? lists.fleets : []}
              strict={settings.strict} preset={preset} errors={errors} running={isRunning}
              onChange={change} onPreset={pickPreset} onFarm={(f) => void pickFarm(f)} onCancel={cancel}
              status={
                <>
                  <RunStatus run={run} />
                  <FieldError errors={errors} control="general" />
                  {authProblem && sigv4 && <button type="button" onClick={forgetKeys}>Enter keys again</button>}
                </>
              }
            />
          </form>
          <section class="results" aria-label="Results" aria-busy={isRunning} ref={resultsRef}>
            <SavedViews views={views} current={shown ? queryToSearch(shown.query) : undefined} onSave={saveView} onRemove={removeView} onOpen={openSaved} />
            <ResultsPanel farms={farms} shown={shown} zone={zone} onDrill={drill} onGo={goTo} />
          </section>
        </main>
      )}
    </>
  );
}
