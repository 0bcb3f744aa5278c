// `farmtally budgets list|create|show|update|delete`: a farm's budgets with their progress
// against the limit (usage / limit, a small text bar), a new budget, one budget's fields and
// actions with whether each action's threshold has been crossed and its forecast at the
// window's end, a budget changed (then shown as `show` shows it), and a budget deleted
// (saying which, asking nothing: scripts run it). Tables for people, the API's answer as
// JSON for scripts.
import {
  CreateBudgetCommand, DeleteBudgetCommand, GetBudgetCommand, paginateListBudgets, paginateListQueues, UpdateBudgetCommand,
  type BudgetActionToAdd, type BudgetSummary, type DeadlineClient, type GetBudgetResponse,
} from '@aws-sdk/client-deadline';
import { Command, InvalidArgumentError, Option } from 'commander';
import { authHint } from '../client/advice.js';
import { clientFor } from '../client/deadline-client.js';
import { postExtension, sendExtension, type ExtensionAnswer } from '../client/extension-request.js';
import { budgetForecast } from '../domain/budget-forecast.js';
import { budgetScheduleOf, budgetScopeOf, budgetWindowOf } from '../client/budget-answer.js';
import { dailyCosts, forecastWords } from './budget-days.js';
import { fail } from './client.js';
import { EXIT, usageError } from './exit.js';
import { withConnectionOptions, type ConnectionOptions } from './options.js';
import { table } from './table.js';
import { timeOption, timeRange } from './time-range.js';

interface FormatOptions extends ConnectionOptions {
  farm: string;
  format: 'table' | 'json';
}
interface ListOptions extends FormatOptions {
  status?: 'ACTIVE' | 'INACTIVE';
}
interface CreateOptions extends FormatOptions {
  queue?: string;
  fleet?: string;
  user?: string;
  wholeFarm?: boolean;
  every?: 'MONTHLY' | 'QUARTERLY';
  name: string;
  limit: number;
  start: string;
  end?: string;
  action: BudgetActionToAdd[];
  description?: string;
}
interface ShowOptions extends FormatOptions {
  budget: string;
}
interface UpdateOptions extends ShowOptions {
  name?: string;
  description?: string;
  limit?: number;
  status?: 'ACTIVE' | 'INACTIVE';
  start?: string;
  end?: string;
  every?: 'MONTHLY' | 'QUARTERLY';
  fixed?: boolean;
  addAction: BudgetActionToAdd[];
  removeAction: BudgetActionToAdd[];
}

const ACTION_TYPES = { COMPLETE: 'STOP_SCHEDULING_AND_COMPLETE_TASKS', CANCEL: 'STOP_SCHEDULING_AND_CANCEL_TASKS' } as const;

/** Dollars as people read them: 1234.5 → $1,234.50. */
const usd = (n: number | undefined) => `$${(n ?? 0).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
/** Usage as a percentage of the limit (0 for a limit of 0, which the model does not allow). */
const percentOf = (usage: number | undefined, limit: number | undefined) => (limit ? ((usage ?? 0) / limit) * 100 : 0);
/** A ten-cell bar and the whole percentage: `██████░░░░ 62 %` (full past 100 %). */
export function progressBar(percent: number): string {
  const filled = Math.max(0, Math.min(10, Math.round(percent / 10)));
  return `${'█'.repeat(filled)}${'░'.repeat(10 - filled)} ${Math.round(percent)} %`;
}
/** A date at midnight UTC reads as the date alone; any other instant to the second. */
const instant = (d: Date | undefined) => {
  if (!d) return '';
  const iso = d.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 19)}Z`;
};
/**
 * A window in words. The SDK keeps union members the model lacks (the extensions' recurring
 * schedule, fleetId, userId, farmId) as `$unknown: [name, value]`, their times as the wire's text.
 */
const windowOf = (s: { fixed?: { startTime?: Date; endTime?: Date }; $unknown?: [string, any] } | undefined) => {
  if (s?.fixed) return `${instant(s.fixed.startTime)} → ${instant(s.fixed.endTime)}`;
  const [name, r] = s?.$unknown ?? [];
  if (name !== 'recurring') return '';
  const at = (t: string | undefined) => instant(t === undefined ? undefined : new Date(t));
  return `${String(r.period).toLowerCase()} from ${at(r.startTime)}${r.endTime ? ` to ${at(r.endTime)}` : ''}`;
};
/** What a budget tracks in words: its queue's name (or ID), or a fleet, a user or the whole farm (extensions). */
const trackedWords = (u: { queueId?: string; $unknown?: [string, any] } | undefined, names: Map<string, string>) => {
  if (u?.queueId) return names.get(u.queueId) ?? u.queueId;
  const [name, id] = u?.$unknown ?? [];
  return name === 'fleetId' ? `fleet ${id}` : name === 'userId' ? `user ${id}` : name === 'farmId' ? 'whole farm' : '';
};

/** --limit: dollars, more than 0 (the model's least is 0.01). */
function dollars(text: string): number {
  const n = Number(text.replace(/^\$/, '').replace(/[_,]/g, ''));
  if (!Number.isFinite(n) || n < 0.01) throw new InvalidArgumentError('give the limit in US dollars, at least 0.01 (such as 5000 or 1250.50).');
  return n;
}

/** --action TYPE:PERCENT, repeatable: COMPLETE or CANCEL (or the API's full names) at 0 to 100 percent. */
function action(text: string, previous: BudgetActionToAdd[] = []): BudgetActionToAdd[] {
  const m = /^([A-Za-z_]+):(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  const name = m?.[1]!.toUpperCase();
  const type = name === undefined ? undefined : name in ACTION_TYPES ? ACTION_TYPES[name as keyof typeof ACTION_TYPES] : Object.values(ACTION_TYPES).find((t) => t === name);
  const percent = m ? Number(m[2]) : NaN;
  if (!type || !(percent >= 0 && percent <= 100)) {
    throw new InvalidArgumentError(`give TYPE:PERCENT, TYPE one of COMPLETE, CANCEL (${Object.values(ACTION_TYPES).join(', ')}) and PERCENT from 0 to 100, such as COMPLETE:80.`);
  }
  return [...previous, { type, thresholdPercentage: percent }];
}

/** The farm's queue names by ID (a principal that may not list queues gets IDs alone). */
async function queueNames(client: DeadlineClient, farmId: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  try {
    for await (const page of paginateListQueues({ client, pageSize: 100 }, { farmId })) for (const q of page.queues ?? []) names.set(q.queueId!, q.displayName!);
  } catch {
    // the budgets still list, their queues by ID
  }
  return names;
}

function hint(errorType: string): string | undefined {
  if (errorType === 'ResourceNotFoundException') return 'Check --farm (farmtally farms list), --queue (farmtally queues list --farm F), --fleet (farmtally fleets list --farm F) and --budget (farmtally budgets list --farm F).';
  return undefined;
}

const json = (x: unknown) => console.log(JSON.stringify(x, null, 2));
/** The API's answer without the SDK's response metadata. */
function answer(response: object): Record<string, unknown> {
  const { $metadata: _, ...rest } = response as Record<string, unknown>;
  return rest;
}

/** Each budget's window: a summary has none, so each is read with GetBudget, four at a time (`?` where that fails). */
async function windows(client: DeadlineClient, farmId: string, budgets: readonly BudgetSummary[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < budgets.length; i += 4) {
    await Promise.all(
      budgets.slice(i, i + 4).map(async (b) => {
        try {
          const got = await client.send(new GetBudgetCommand({ farmId, budgetId: b.budgetId }));
          out.set(b.budgetId!, windowOf(got.schedule));
        } catch {
          out.set(b.budgetId!, '?'); // deleted since the list was read, or not readable: the row still shows
        }
      }),
    );
  }
  return out;
}

async function list(o: ListOptions): Promise<void> {
  const client = clientFor(o.endpoint, o.region, o.profile);
  const budgets: BudgetSummary[] = [];
  for await (const page of paginateListBudgets({ client, pageSize: 100 }, { farmId: o.farm, status: o.status })) budgets.push(...(page.budgets ?? []));
  if (o.format === 'json') return json(budgets);
  const names = budgets.length ? await queueNames(client, o.farm) : new Map<string, string>();
  const windowById = await windows(client, o.farm, budgets);
  const rows = budgets.map((b) => {
    return {
      NAME: b.displayName ?? '',
      TRACKS: trackedWords(b.usageTrackingResource, names),
      WINDOW: windowById.get(b.budgetId!) ?? '',
      LIMIT: usd(b.approximateDollarLimit),
      USAGE: usd(b.usages?.approximateDollarUsage),
      USED: progressBar(percentOf(b.usages?.approximateDollarUsage, b.approximateDollarLimit)),
      STATUS: b.status ?? '',
      'BUDGET ID': b.budgetId ?? '',
    };
  });
  console.log(table(rows, `(farm ${o.farm} has no ${o.status ? `${o.status} ` : ''}budgets: create one with \`farmtally budgets create\`)`, ['LIMIT', 'USAGE']));
}

/** What --queue, --fleet, --user or --whole-farm name (exactly one), as usageTrackingResource; a usage error otherwise. */
function trackedBy(o: CreateOptions): { queueId: string } | { fleetId: string } | { userId: string } | { farmId: string } {
  const given = [o.queue !== undefined && '--queue', o.fleet !== undefined && '--fleet', o.user !== undefined && '--user', o.wholeFarm && '--whole-farm'].filter(Boolean);
  if (given.length !== 1) usageError(`say what the budget tracks with exactly one of --queue Q, --fleet F, --user U or --whole-farm${given.length ? ` (got ${given.join(' and ')})` : ''}.`, 'budgets create');
  if (o.queue !== undefined) return { queueId: o.queue };
  if (o.fleet !== undefined) return { fleetId: o.fleet };
  return o.user !== undefined ? { userId: o.user } : { farmId: o.farm };
}

async function create(o: CreateOptions): Promise<void> {
  const usageTrackingResource = trackedBy(o);
  if (o.end === undefined && !o.every) usageError('--end is needed for a fixed window (a recurring one, --every, may go on without an end).', 'budgets create');
  const { start, end } = o.end === undefined ? { start: timeRange({ start: o.start, end: o.start }, 'budgets create').start, end: undefined } : timeRange({ ...o, end: o.end }, 'budgets create');
  if (end !== undefined && end <= start) usageError(`--end ${o.end} must be later than --start ${o.start}: the budget's window is [start, end).`, 'budgets create');
  if (o.action.length > 10) usageError(`--action: at most 10 actions (${o.action.length} given).`, 'budgets create');
  const request = {
    farmId: o.farm,
    displayName: o.name,
    description: o.description,
    approximateDollarLimit: o.limit,
    actions: o.action,
  };
  let created: { budgetId?: string };
  if ('queueId' in usageTrackingResource && !o.every) {
    const client = clientFor(o.endpoint, o.region, o.profile);
    created = await client.send(new CreateBudgetCommand({ ...request, usageTrackingResource, schedule: { fixed: { startTime: new Date(start), endTime: new Date(end!) } } }));
  } else {
    created = await createExtended(o, {
      ...request,
      usageTrackingResource,
      schedule: o.every
        ? { recurring: { period: o.every, startTime: new Date(start).toISOString(), ...(end !== undefined && { endTime: new Date(end).toISOString() }) } }
        : { fixed: { startTime: new Date(start).toISOString(), endTime: new Date(end!).toISOString() } },
    });
  }
  if (o.format === 'json') return json(answer(created));
  console.log(created.budgetId);
  console.log(`Its progress: farmtally budgets show --farm ${o.farm} --budget ${created.budgetId}`);
}

/**
 * CreateBudget with the extensions (--fleet, --user, --whole-farm, --every), which the SDK cannot
 * send (its unions have the model's members only): the same request as JSON, signed as the
 * SDK signs it. A --strict server refuses them as members it does not know: said so.
 */
async function createExtended(o: CreateOptions, request: { farmId: string } & Record<string, unknown>): Promise<{ budgetId?: string }> {
  const { farmId, ...body } = request;
  const answer = await postExtension(o.endpoint, `/2023-10-12/farms/${encodeURIComponent(farmId)}/budgets`, body, o);
  if (answer.status === 200) return answer.body as { budgetId?: string };
  const flags = [o.fleet !== undefined && '--fleet', o.user !== undefined && '--user', o.wholeFarm && '--whole-farm', o.every && '--every'].filter(Boolean).join(' and ');
  const many = flags.includes(' and ');
  refused(answer, `${flags} ${many ? 'are' : 'is a'} farmtally extension${many ? 's' : ''} (budgets on a fleet, a user or the whole farm, recurring windows): this server runs with --strict, which accepts only the service's own members. Run it without --strict, or create a budget on a queue (--queue) over a fixed window (--start, --end).`);
}

/**
 * An extension request's error answer, said, and exit 1. A --strict server refuses an
 * extension's member as one it does not know (its union "exactly one of [queueId]" or
 * "[fixed]"): then `strictAdvice` says which option that was and what to do instead.
 */
function refused(answer: ExtensionAnswer, strictAdvice: string): never {
  const said = `${answer.errorType ?? `HTTP ${answer.status}`}: ${answer.body.message ?? ''}`;
  const strict = answer.errorType === 'ValidationException' && /exactly one of \[(queueId|fixed)\] must be set/.test(answer.body.message ?? '');
  const advice = strict ? strictAdvice : answer.errorType === 'ResourceNotFoundException' ? hint(answer.errorType) : authHint(answer.errorType);
  console.error(`farmtally: ${said}${advice ? `\n${advice}` : ''}`);
  process.exit(EXIT.FAILED);
}

/** The forecast of a budget at the end of its window (a recurring one's: this period's; docs/DECISIONS.md, "Budget forecast"), in words; '' without a window. */
async function forecastLine(client: DeadlineClient, farmId: string, b: GetBudgetResponse, farmQueueIds: readonly string[]): Promise<string> {
  const now = Date.now();
  const window = budgetWindowOf(b.schedule, now);
  const scope = budgetScopeOf(b.usageTrackingResource);
  if (!window || (scope.kind === 'queue' && !scope.id)) return '';
  const days = await dailyCosts(client, farmId, scope, farmQueueIds, new Date(window.start), new Date(Math.min(window.end, now)));
  return forecastWords(budgetForecast(window.start, window.end, days, now), b.approximateDollarLimit ?? 0, instant(new Date(window.end)), usd);
}

async function show(o: ShowOptions): Promise<void> {
  const client = clientFor(o.endpoint, o.region, o.profile);
  const b: GetBudgetResponse = await client.send(new GetBudgetCommand({ farmId: o.farm, budgetId: o.budget }));
  if (o.format === 'json') return json(answer(b));
  const queueId = b.usageTrackingResource?.queueId ?? '';
  const queues = await queueNames(client, o.farm);
  const queueName = queues.get(queueId);
  const usage = b.usages?.approximateDollarUsage ?? 0;
  const percent = percentOf(usage, b.approximateDollarLimit);
  const forecast = await forecastLine(client, o.farm, b, [...queues.keys()]);
  const fields: [string, string][] = [
    ['Name', b.displayName ?? ''],
    ['Budget ID', b.budgetId ?? ''],
    ['Description', b.description ?? ''],
    queueId ? ['Queue', queueName ? `${queueName} (${queueId})` : queueId] : ['Tracks', trackedWords(b.usageTrackingResource, new Map())],
    ['Window', windowOf(b.schedule)],
    ['Status', b.status ?? ''],
    ['Limit', usd(b.approximateDollarLimit)],
    ['Usage', `${usd(usage)} of ${usd(b.approximateDollarLimit)}`],
    ['Used', progressBar(percent)],
    ['Forecast', forecast],
    ['Created', `${instant(b.createdAt)} by ${b.createdBy ?? ''}`],
    ...(b.updatedAt ? [['Updated', `${instant(b.updatedAt)} by ${b.updatedBy ?? ''}`] as [string, string]] : []),
  ];
  const width = Math.max(...fields.map(([k]) => k.length)) + 1;
  console.log(fields.filter(([, v]) => v !== '').map(([k, v]) => `${`${k}:`.padEnd(width)}  ${v}`).join('\n'));
  console.log('');
  const actions = [...(b.actions ?? [])].sort((a, c) => (a.thresholdPercentage ?? 0) - (c.thresholdPercentage ?? 0));
  console.log(
    table(
      actions.map((a) => ({
        ACTION: a.type ?? '',
        THRESHOLD: `${a.thresholdPercentage} %`,
        AT: usd(((a.thresholdPercentage ?? 0) / 100) * (b.approximateDollarLimit ?? 0)),
        CROSSED: percent >= (a.thresholdPercentage ?? 0) ? 'yes' : 'no',
        DESCRIPTION: a.description ?? '',
      })),
      '(no actions)',
      ['THRESHOLD', 'AT'],
    ),
  );
}

async function update(o: UpdateOptions): Promise<void> {
  const given = [o.name, o.description, o.limit, o.status, o.start, o.end, o.every, o.fixed].some((v) => v !== undefined) || o.addAction.length > 0 || o.removeAction.length > 0;
  if (!given) usageError('nothing to change: give at least one of --name, --description, --limit, --status, --start, --end, --every, --fixed, --add-action, --remove-action.', 'budgets update');
  if (o.every && o.fixed) usageError(`--every ${o.every} and --fixed ask for opposite windows (recurring, fixed): give one.`, 'budgets update');
  if (o.addAction.length > 10) usageError(`--add-action: at most 10 actions (${o.addAction.length} given).`, 'budgets update');
  if (o.removeAction.length > 10) usageError(`--remove-action: at most 10 actions (${o.removeAction.length} given).`, 'budgets update');
  const start = o.start === undefined ? undefined : timeOption('--start', o.start, 'budgets update');
  const end = o.end === undefined ? undefined : timeOption('--end', o.end, 'budgets update');
  if (start !== undefined && end !== undefined && end <= start) usageError(`--end ${o.end} must be later than --start ${o.start}: the budget's window is [start, end).`, 'budgets update');
  const client = clientFor(o.endpoint, o.region, o.profile);
  const schedule = o.start !== undefined || o.end !== undefined || o.every || o.fixed ? await windowAfterUpdate(client, o, start, end) : undefined;
  const members = {
    displayName: o.name,
    description: o.description,
    approximateDollarLimit: o.limit,
    status: o.status,
    actionsToAdd: o.addAction.length ? o.addAction : undefined,
    actionsToRemove: o.removeAction.length ? o.removeAction.map(({ type, thresholdPercentage }) => ({ type, thresholdPercentage })) : undefined,
  };
  if (schedule?.every) {
    await updateExtended(o, {
      ...members,
      schedule: { recurring: { period: schedule.every, startTime: new Date(schedule.start).toISOString(), ...(schedule.end !== undefined && { endTime: new Date(schedule.end).toISOString() }) } },
    });
  } else {
    const fixed = schedule && { fixed: { startTime: new Date(schedule.start), endTime: new Date(schedule.end!) } };
    await client.send(new UpdateBudgetCommand({ farmId: o.farm, budgetId: o.budget, ...members, schedule: fixed }));
  }
  await show(o);
}

/**
 * The window an update asks for. The API replaces the window whole, so what is not given is
 * the budget's own (read first, unless both bounds and the kind are given): its start; its
 * kind, unless --every or --fixed; its end, except that a fixed window turned recurring goes
 * on without one unless --end says (its end was the fixed window's). A fixed window needs an
 * end: --fixed on a recurring budget without one needs --end.
 */
async function windowAfterUpdate(client: DeadlineClient, o: UpdateOptions, start: number | undefined, end: number | undefined): Promise<{ start: number; end?: number; every?: 'MONTHLY' | 'QUARTERLY' }> {
  const known = start !== undefined && end !== undefined && (o.every || o.fixed);
  const was = known ? undefined : budgetScheduleOf((await client.send(new GetBudgetCommand({ farmId: o.farm, budgetId: o.budget }))).schedule);
  if (!known && !was) throw new Error(`budget ${o.budget}'s answer has no window farmtally can read: give --start and --end, with --every or --fixed.`);
  const every = o.fixed ? undefined : o.every ?? was?.every;
  const window = { start: start ?? was!.start, end: end ?? (every && !was?.every ? undefined : was?.end), ...(every && { every }) };
  if (!every && window.end === undefined) usageError(`--fixed needs --end: budget ${o.budget}'s recurring window has no end to keep.`, 'budgets update');
  if (window.end !== undefined && window.end <= window.start) {
    usageError(`the window would end (${new Date(window.end).toISOString()}) no later than it starts (${new Date(window.start).toISOString()}): it is [start, end).`, 'budgets update');
  }
  return window;
}

/** UpdateBudget with a recurring schedule (an extension the SDK cannot send): the same request as JSON, signed as the SDK signs it. */
async function updateExtended(o: UpdateOptions, body: Record<string, unknown>): Promise<void> {
  const answer = await sendExtension('PATCH', o.endpoint, `/2023-10-12/farms/${encodeURIComponent(o.farm)}/budgets/${encodeURIComponent(o.budget)}`, body, o);
  if (answer.status === 200) return;
  const asked = o.every ? `--every ${o.every}` : `--start or --end on budget ${o.budget}, whose window is recurring,`;
  refused(answer, `${asked} asks for a recurring window, a farmtally extension: this server runs with --strict, which accepts only the service's own members, and the budget is not changed. Run it without --strict, or keep the window fixed (--start, --end without --every).`);
}

async function remove(o: ShowOptions): Promise<void> {
  const client = clientFor(o.endpoint, o.region, o.profile);
  // Read first, to say what was deleted (a budget deleted by someone else in between fails below).
  const b = await client.send(new GetBudgetCommand({ farmId: o.farm, budgetId: o.budget }));
  await client.send(new DeleteBudgetCommand({ farmId: o.farm, budgetId: o.budget }));
  if (o.format === 'json') return json(answer(b));
  const tracked = b.usageTrackingResource?.queueId ? `queue ${b.usageTrackingResource.queueId}` : trackedWords(b.usageTrackingResource, new Map());
  console.log(`Deleted budget ${b.budgetId} "${b.displayName}" on ${tracked}: limit ${usd(b.approximateDollarLimit)}, window ${windowOf(b.schedule)}, ${b.status}.`);
}

const formatOption = () => new Option('--format <format>', "table for people, json (the API's answer) for scripts").choices(['table', 'json']).default('table');
const farmOption = (c: Command) => c.requiredOption('--farm <farmId>', 'the farm (farmtally farms list shows them)');

const LIST_EXAMPLES = `
Examples:
  $ farmtally budgets list --farm farm-0123456789abcdef0123456789abcdef
  $ farmtally budgets list --farm farm-... --status ACTIVE --format json
`;
const CREATE_EXAMPLES = `
Examples:
  $ farmtally budgets create --farm farm-... --queue queue-... --name "Shots 10-40" --limit 5000 \\
      --start 2025-06-01 --end 2025-07-01 --action COMPLETE:80 --action CANCEL:100
  $ farmtally budgets create --farm farm-... --whole-farm --every MONTHLY --name "Studio monthly" --limit 20000 \\
      --start 2025-06-01 --action COMPLETE:100
  $ farmtally budgets create --farm farm-... --fleet fleet-... --name "Spot fleet Q3" --limit 8000 \\
      --start 2025-07-01 --end 2025-10-01
  $ farmtally budgets create --farm farm-... --user alice --every MONTHLY --name "Alice monthly" --limit 1500 \\
      --start 2025-06-01 --action COMPLETE:100
`;
const SHOW_EXAMPLES = `
Examples:
  $ farmtally budgets show --farm farm-... --budget budget-0123456789abcdef0123456789abcdef
  $ farmtally budgets show --farm farm-... --budget budget-... --format json
`;

const UPDATE_EXAMPLES = `
Examples:
  $ farmtally budgets update --farm farm-... --budget budget-... --limit 7500
  $ farmtally budgets update --farm farm-... --budget budget-... --end 2025-08-01 --add-action CANCEL:95 --remove-action CANCEL:100
  $ farmtally budgets update --farm farm-... --budget budget-... --status INACTIVE
  $ farmtally budgets update --farm farm-... --budget budget-... --every MONTHLY --start 2025-07-01
  $ farmtally budgets update --farm farm-... --budget budget-... --fixed --end 2025-10-01
`;
const DELETE_EXAMPLES = `
Examples:
  $ farmtally budgets delete --farm farm-... --budget budget-0123456789abcdef0123456789abcdef
`;

export function budgetsCommand(): Command {
  const listCommand = withConnectionOptions(farmOption(new Command('list').description("List a farm's budgets, every page, with usage against each limit.")))
    .addOption(new Option('--status <status>', 'only the budgets that read ACTIVE (set active and in their window) or INACTIVE').choices(['ACTIVE', 'INACTIVE']))
    .addOption(formatOption())
    .addHelpText('after', LIST_EXAMPLES)
    .action((o: ListOptions) => list(o).catch((err) => fail(err, hint)));
  const createCommand = withConnectionOptions(farmOption(new Command('create').description('Create a budget on a queue (or, as extensions, a fleet, a user or the whole farm) over a fixed or recurring window; prints its ID.')))
    .option('--queue <queueId>', 'the queue whose usage the budget tracks (farmtally queues list --farm F)')
    .option('--fleet <fleetId>', "a fleet's usage instead (an extension: not on a --strict server)")
    .option('--user <userId>', "one user's usage over every queue of the farm instead, the sessions' userId (an extension: not on a --strict server)")
    .option('--whole-farm', "the whole farm's usage instead (an extension: not on a --strict server)")
    .requiredOption('--name <name>', "the budget's display name")
    .requiredOption('--limit <usd>', 'the limit in US dollars', dollars)
    .requiredOption('--start <time>', 'the window opens: a date (2025-06-01, midnight UTC) or an instant (2025-06-01T08:00:00Z)')
    .option('--end <time>', 'the window closes (not included), as --start; with --every, optional (no end)')
    .addOption(new Option('--every <period>', 'a recurring window: usage counts from 0 again each calendar month or quarter, UTC (an extension: not on a --strict server)').choices(['MONTHLY', 'QUARTERLY']))
    .option('--action <type:percent>', 'an action at a threshold, COMPLETE:80 or CANCEL:100 (repeatable; at most 10)', action, [])
    .option('--description <text>', "the budget's description")
    .addOption(formatOption())
    .addHelpText('after', CREATE_EXAMPLES)
    .action((o: CreateOptions) => create(o).catch((err) => fail(err, hint)));
  const showCommand = withConnectionOptions(farmOption(new Command('show').description("One budget: its fields, its usage against the limit, the forecast at the window's end, and which actions' thresholds are crossed.")))
    .requiredOption('--budget <budgetId>', 'the budget (farmtally budgets list --farm F)')
    .addOption(formatOption())
    .addHelpText('after', SHOW_EXAMPLES)
    .action((o: ShowOptions) => show(o).catch((err) => fail(err, hint)));
  const updateCommand = withConnectionOptions(farmOption(new Command('update').description('Change a budget: what is not given stays; then shows it as `show` does.')))
    .requiredOption('--budget <budgetId>', 'the budget (farmtally budgets list --farm F)')
    .option('--name <name>', "the budget's display name")
    .option('--description <text>', "the budget's description")
    .option('--limit <usd>', 'the limit in US dollars', dollars)
    .addOption(new Option('--status <status>', 'ACTIVE, or INACTIVE (it then stops no queue)').choices(['ACTIVE', 'INACTIVE']))
    .option('--start <time>', 'the window opens: a date (2025-06-01, midnight UTC) or an instant (2025-06-01T08:00:00Z); alone, the end stays')
    .option('--end <time>', 'the window closes (not included), as --start; alone, the start stays')
    .addOption(new Option('--every <period>', 'make the window recurring, or change its period: usage counts from 0 again each calendar month or quarter, UTC; a fixed window turned recurring has no end unless --end (an extension: not on a --strict server)').choices(['MONTHLY', 'QUARTERLY']))
    .option('--fixed', 'make a recurring window fixed again, from its start (or --start) to --end (or its own end, if it has one)')
    .option('--add-action <type:percent>', 'add an action, COMPLETE:80 or CANCEL:100, as create --action (repeatable)', action, [])
    .option('--remove-action <type:percent>', 'remove the action of that type and threshold (repeatable; removed before any is added)', action, [])
    .addOption(formatOption())
    .addHelpText('after', UPDATE_EXAMPLES)
    .action((o: UpdateOptions) => update(o).catch((err) => fail(err, hint)));
  const deleteCommand = withConnectionOptions(farmOption(new Command('delete').description('Delete a budget, asking nothing; prints what was deleted.')))
    .requiredOption('--budget <budgetId>', 'the budget (farmtally budgets list --farm F)')
    .addOption(new Option('--format <format>', "table for people, json (the deleted budget as GetBudget answered it) for scripts").choices(['table', 'json']).default('table'))
    .addHelpText('after', DELETE_EXAMPLES)
    .action((o: ShowOptions) => remove(o).catch((err) => fail(err, hint)));
  return new Command('budgets')
    .description('budgets list|create|show|update|delete --farm F: budgets on queues, with their usage against the limit.')
    .addCommand(listCommand)
    .addCommand(createCommand)
    .addCommand(showCommand)
    .addCommand(updateCommand)
    .addCommand(deleteCommand)
    .addHelpText('after', `${LIST_EXAMPLES.trimEnd()}\n  $ farmtally budgets show --farm farm-... --budget budget-...\n`);
}
