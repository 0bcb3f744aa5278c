// `farmtally farms list`, `queues list --farm F`, `fleets list --farm F`: every page through
// the SDK's paginators, printed as a table of what a user picks by (names, IDs, state,
// creation) or as the SDK's summaries in JSON.
import {
  paginateListFarms, paginateListFleets, paginateListQueues,
  type DeadlineClient, type FarmSummary, type FleetSummary, type QueueSummary,
} from '@aws-sdk/client-deadline';
import { Command, Option } from 'commander';
import { clientFor } from '../client/deadline-client.js';
import { fail } from './client.js';
import { withConnectionOptions, type ConnectionOptions } from './options.js';
import { table } from './table.js';

interface ListOptions extends ConnectionOptions {
  farm: string;
  format: 'table' | 'json';
}

/** One kind of resource: how to page it, and its table columns. */
interface Listing<T> {
  noun: string;
  needsFarm: boolean;
  pages: (client: DeadlineClient, farmId: string) => AsyncIterable<T[]>;
  row: (item: T) => Record<string, string | number>;
  empty: (o: ListOptions) => string;
  examples: string;
}

const PAGE = { pageSize: 100 };
/** Seconds are enough on a terminal: 2025-06-01T10:00:00Z. */
const when = (d: Date | undefined) => (d ? `${d.toISOString().slice(0, 19)}Z` : '');

async function* farms(client: DeadlineClient): AsyncIterable<FarmSummary[]> {
  for await (const page of paginateListFarms({ client, ...PAGE }, {})) yield page.farms ?? [];
}
async function* queues(client: DeadlineClient, farmId: string): AsyncIterable<QueueSummary[]> {
  for await (const page of paginateListQueues({ client, ...PAGE }, { farmId })) yield page.queues ?? [];
}
async function* fleets(client: DeadlineClient, farmId: string): AsyncIterable<FleetSummary[]> {
  for await (const page of paginateListFleets({ client, ...PAGE }, { farmId })) yield page.fleets ?? [];
}

/** Service-managed (AWS runs the workers) or customer-managed (your own machines). */
function fleetKind(f: FleetSummary): string {
  const kinds = Object.keys(f.configuration ?? {}).filter((k) => k !== '$unknown');
  return kinds[0] === 'serviceManagedEc2' ? 'service-managed' : kinds[0] === 'customerManaged' ? 'customer-managed' : (kinds[0] ?? '');
}

const FARMS: Listing<FarmSummary> = {
  noun: 'farms',
  needsFarm: false,
  pages: (client) => farms(client),
  row: (f) => ({ NAME: f.displayName ?? '', 'FARM ID': f.farmId ?? '', CREATED: when(f.createdAt), 'CREATED BY': f.createdBy ?? '' }),
  empty: () => '(no farms: create one with `farmtally demo`, or CreateFarm through an SDK)',
  examples: `
Examples:
  $ farmtally farms list
  $ farmtally farms list --endpoint https://farmtally.example:8443 --profile viewer --format json
`,
};

const QUEUES: Listing<QueueSummary> = {
  noun: 'queues',
  needsFarm: true,
  pages: queues,
  row: (q) => ({ NAME: q.displayName ?? '', 'QUEUE ID': q.queueId ?? '', STATUS: q.status ?? '', CREATED: when(q.createdAt), 'CREATED BY': q.createdBy ?? '' }),
  empty: (o) => `(farm ${o.farm} has no queues)`,
  examples: `
Examples:
  $ farmtally queues list --farm farm-0123456789abcdef0123456789abcdef
  $ farmtally queues list --farm farm-... --endpoint https://farmtally.example:8443 --profile viewer --format json
`,
};

const FLEETS: Listing<FleetSummary> = {
  noun: 'fleets',
  needsFarm: true,
  pages: fleets,
  row: (f) => ({
    NAME: f.displayName ?? '',
    'FLEET ID': f.fleetId ?? '',
    KIND: fleetKind(f),
    STATUS: f.status ?? '',
    'MIN WORKERS': f.minWorkerCount ?? 0,
    'MAX WORKERS': f.maxWorkerCount ?? 0,
    CREATED: when(f.createdAt),
  }),
  empty: (o) => `(farm ${o.farm} has no fleets)`,
  examples: `
Examples:
  $ farmtally fleets list --farm farm-0123456789abcdef0123456789abcdef
  $ farmtally fleets list --farm farm-... --format json > fleets.json
`,
};

/** What to do when the server does not know the farm, or the ID is malformed. */
function farmHint(errorType: string): string | undefined {
  if (errorType === 'ResourceNotFoundException' || errorType === 'ValidationException') {
    return 'Check --farm: `farmtally farms list` shows the farms and their IDs (farm- and 32 hex digits).';
  }
  return undefined;
}

async function run<T>(listing: Listing<T>, o: ListOptions): Promise<void> {
  const client = clientFor(o.endpoint, o.region, o.profile);
  const items: T[] = [];
  for await (const page of listing.pages(client, o.farm)) items.push(...page);
  if (o.format === 'json') console.log(JSON.stringify(items, null, 2));
  else console.log(table(items.map(listing.row), listing.empty(o)));
}

function listCommand<T>(listing: Listing<T>): Command {
  const list = new Command('list').description(`List the ${listing.noun}${listing.needsFarm ? ' of a farm' : ''}, every page, as a table or JSON.`);
  if (listing.needsFarm) list.requiredOption('--farm <farmId>', 'the farm (farmtally farms list shows them)');
  withConnectionOptions(list)
    .addOption(new Option('--format <format>', 'table for people, json (the SDK\'s summaries, every field) for scripts').choices(['table', 'json']).default('table'))
    .addHelpText('after', listing.examples)
    .action((o: ListOptions) => run(listing, o).catch((err) => fail(err, listing.needsFarm ? farmHint : undefined)));
  return new Command(listing.noun)
    .description(`${listing.noun} list${listing.needsFarm ? ' --farm F' : ''}: the ${listing.noun}${listing.needsFarm ? ' of a farm' : ' on a server'}, as a table or JSON.`)
    .addCommand(list)
    .addHelpText('after', listing.examples);
}

export const farmsCommand = () => listCommand(FARMS);
export const queuesCommand = () => listCommand(QUEUES);
export const fleetsCommand = () => listCommand(FLEETS);
