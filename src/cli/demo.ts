// `farmtally demo`: fills a farm "Demo studio" (new, or the one an earlier run left) with a generated year of render farm
// sessions (src/demo), so a newcomer sees numbers in a minute; or, with --out, writes the
// records to an NDJSON file for `farmtally import`. Either way it writes the matching rate
// card, for `serve --pricing`, and ends with the usage explorer's link to the farm's year.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Command } from 'commander';
import { createDemoFarm } from '../demo/create-farm.js';
import { demoRateCard } from '../demo/farm.js';
import { explorerUrl } from '../domain/explorer-link.js';
import { parseRateCard } from '../domain/pricing.js';
import { generateSessions, placeholderIds, type DemoIds } from '../demo/generate.js';
import { seedOf } from '../demo/random.js';
import { writeNdjson } from '../demo/write-file.js';
import { ingestSignerFor } from '../client/credentials.js';
import { sendRecords, Throttled } from '../client/send-records.js';
import { DEFAULT_BATCH_SIZE } from '../client/upload.js';
import { clientFor } from '../client/deadline-client.js';
import { fail } from './client.js';
import { DEFAULT_ENDPOINT, defaultEndpoint, wholeNumber, withConnectionOptions, type ConnectionOptions } from './options.js';
import { Progress } from './progress.js';

/** Times the demo sends its sessions when the server throttles it. */
const MAX_SEND_ATTEMPTS = 6;

interface DemoOptions extends Omit<ConnectionOptions, 'endpoint'> {
  endpoint?: string;
  sessions: number;
  seed: string;
  out?: string;
  pricingOut?: string;
  batchSize: number;
}

/** A progress callback that shows records done, rate and share of the total. */
function reporter(progress: Progress, total: number, verb: string) {
  const started = Date.now();
  return (n: number) => {
    const rate = Math.round(n / Math.max((Date.now() - started) / 1000, 0.001));
    progress.update(`${n} of ${total} sessions ${verb} (${Math.floor((n / total) * 100)}%, ${rate} records/s)`);
  };
}

/** The serve command that brings the rate card in, keeping the host and port the demo talked to (its other options are the user's to repeat). */
function restartAdvice(endpoint: string | undefined, pricing: string): string {
  const url = endpoint ? new URL(endpoint) : undefined;
  const port = url && (url.port || (url.protocol === 'https:' ? '443' : '80'));
  const host = url?.hostname.replace(/^\[|\]$/g, '');
  const extra = [host && host !== '127.0.0.1' && host !== 'localhost' ? ` --host ${host}` : '', port && port !== '8080' ? ` --port ${port}` : ''].join('');
  return `npx farmtally serve${extra} --pricing ${pricing}, with the server's other options as before`;
}

/** The rate card's default file: the same name whether the sessions go to a server or to `--out demo.ndjson`. */
export const DEMO_RATE_CARD = 'demo.pricing.json';

/**
 * The customer-managed fleets of the rate card already in `file` (an earlier demo, on another
 * server or data folder, whose fleets got other IDs), to keep beside this farm's, so one card
 * prices every demo farm a server holds; none when there is no file. Read before the farm is
 * made: a file there that is not a rate card stops the demo before it changes anything.
 */
function earlierCardFleets(file: string): Record<string, number> {
  if (!existsSync(file)) return {};
  let existing: unknown;
  try {
    existing = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} exists and is not JSON (${(err as Error).message}): move it away, or give --pricing-out another file`);
  }
  if ('errors' in parseRateCard(existing)) throw new Error(`${file} exists and is not a rate card: move it away, or give --pricing-out another file`);
  return { ...((existing as { customerManagedFleets?: Record<string, number> }).customerManagedFleets ?? {}) };
}

async function run(o: DemoOptions): Promise<void> {
  // Without --out, the farm goes to a server: --endpoint's, AWS_ENDPOINT_URL_DEADLINE's,
  // AWS_ENDPOINT_URL's, else npm start's. With --out, only --endpoint sends it anywhere.
  if (!o.out) o.endpoint ??= defaultEndpoint('demo');
  const pricing = o.pricingOut ?? (o.out ? `${o.out.slice(0, o.out.length - extname(o.out).length)}.pricing.json` : DEMO_RATE_CARD);
  const earlierFleets = earlierCardFleets(pricing);
  const seed = seedOf(o.seed);
  let farmId: string | undefined;
  let ids: DemoIds;
  if (o.endpoint) {
    const made = await createDemoFarm(clientFor(o.endpoint, o.region, o.profile));
    ({ farmId, ids } = made);
    console.error(
      made.reused
        ? `reusing farm ${farmId} "Demo studio" from an earlier run (completed to ${ids.queueIds.length} queues and ${ids.fleetIds.length} fleets; the same sessions are sent again, the missing ones added)`
        : `created farm ${farmId} "Demo studio" with ${ids.queueIds.length} queues and ${ids.fleetIds.length} fleets`,
    );
  } else {
    ids = placeholderIds(seed);
  }
  const card = demoRateCard(ids.fleetIds);
  const customerManagedFleets = { ...earlierFleets, ...card.customerManagedFleets };
  writeFileSync(pricing, `${JSON.stringify({ ...card, customerManagedFleets }, null, 2)}\n`);
  const pricedFleets = Object.keys(customerManagedFleets).length;
  const sessions = generateSessions(ids, { sessions: o.sessions, seed });

  if (o.out) {
    const progress = new Progress(`writing ${o.out}`);
    await writeNdjson(o.out, sessions, reporter(progress, o.sessions, 'written'));
    progress.done(`${o.sessions} sessions written`);
  } else {
    const progress = new Progress('sending sessions');
    const sign = ingestSignerFor(o.region, o.profile);
    const send = (records: Iterable<object>) => sendRecords(o.endpoint!, farmId!, records, { batchSize: o.batchSize, onProgress: reporter(progress, o.sessions, 'sent'), sign });
    let totals: Awaited<ReturnType<typeof sendRecords>>;
    // Throttled (a server's --rate-limit): the same sessions again after the wait it asks;
    // the batches committed before come back unchanged.
    for (let attempt = 1; ; attempt++) {
      try {
        totals = await send(attempt === 1 ? sessions : generateSessions(ids, { sessions: o.sessions, seed }));
        break;
      } catch (err) {
        if (!(err instanceof Throttled) || attempt >= MAX_SEND_ATTEMPTS) throw err;
        progress.update(`the server asked to slow down; sending again in ${err.retryAfterSeconds} s`);
        await new Promise((resolve) => setTimeout(resolve, err.retryAfterSeconds * 1000 * attempt));
      }
    }
    progress.done(`${totals.received} sessions sent (created ${totals.created}, updated ${totals.updated}, unchanged ${totals.unchanged})`);
  }

  const others = pricedFleets > 1 ? ` (it also prices the fleets of the demo farms made before: ${pricedFleets} customer-managed fleets in all)` : '';
  console.log(`rate card: ${pricing}${others} (restart the server with \`${restartAdvice(o.endpoint, pricing)}\` to see costs)`);
  if (!farmId) {
    console.log(`${o.out} names stand-in queue and fleet IDs that no server knows, so it cannot be imported as is.`);
    console.log('To get a file for your own farm, run the demo with --endpoint as well: it creates the farm and writes its IDs into the file.');
    return;
  }
  console.log(`farm: ${farmId}`);
  if (o.out) console.log(`import it:\n  npx farmtally import ${o.out} --farm ${farmId} --endpoint ${o.endpoint}`);
  console.log(
    `see the year by fleet and usage type (COMPUTE, LICENSE):\n  npx farmtally stats --endpoint ${o.endpoint} --farm ${farmId} --fleets ${ids.fleetIds.join(',')} ` +
      '--start 2025-01-01 --end 2026-01-01 --period MONTHLY --group-by FLEET_ID,USAGE_TYPE --statistics SUM,AVG',
  );
  const link = explorerUrl(o.endpoint!, {
    farm: farmId, kind: 'queues', ids: ids.queueIds, start: '2025-01-01', end: '2026-01-01',
    period: 'DAILY', tz: 'UTC', groupBy: ['QUEUE_ID'], stats: ['SUM'], measure: 'cost',
  });
  console.log(`${o.out ? 'once imported, open' : 'open'} the year's daily cost by queue in a browser:\n  ${link}`);
}

export function demoCommand(): Command {
  return withConnectionOptions(
    new Command('demo').description('Fill a new farm "Demo studio" with a generated, realistic year (2025) of render farm sessions, or write them to a file.'),
    { defaultEndpoint: false },
  )
    .option('--sessions <n>', 'how many sessions to generate', wholeNumber(1), 200_000)
    .option('--seed <seed>', 'the same seed gives the same sessions', '1')
    .option('--out <file>', 'write the sessions to this NDJSON file instead of sending them (with --endpoint: for that farm)')
    .option('--pricing-out <file>', `where to write the matching rate card, adding to the one there (default ${DEMO_RATE_CARD}, or next to --out)`)
    .option('--batch-size <n>', 'records per ingest request', wholeNumber(1), DEFAULT_BATCH_SIZE)
    .addHelpText(
      'after',
      `
Without --out, the farm is made on --endpoint (default AWS_ENDPOINT_URL_DEADLINE, then AWS_ENDPOINT_URL,
then ${DEFAULT_ENDPOINT}, where npm start serves),
and the last line printed is the usage explorer's address for the farm's year.

Examples:
  $ farmtally demo                                             # 200 000 sessions into ${DEFAULT_ENDPOINT}
  $ farmtally demo --endpoint http://127.0.0.1:8080 --sessions 100000 --out demo.ndjson
  $ farmtally demo --out demo.ndjson --seed 7                # a file only, no server
  $ AWS_PROFILE=admin farmtally demo --endpoint https://farmtally.example:8443
`,
    )
    .action((o: DemoOptions) => run(o).catch((err) => fail(err)));
}
