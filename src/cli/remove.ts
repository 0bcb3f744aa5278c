// `farmtally sessions delete` and `farmtally users forget`: the deletion extensions from the
// command line (DeleteSessions, ForgetUser; served unless --strict), signed like every
// client command. `sessions delete` without --yes only counts (a dry run) and says how to
// delete for real; nothing it deletes can be brought back but from a backup.
import { Command } from 'commander';
import { BATCH_ID_PATTERN } from '../domain/ingest-protocol.js';
import { authHint, grantHint } from '../client/advice.js';
import { postExtension, type ExtensionAnswer } from '../client/extension-request.js';
import { fail } from './client.js';
import { timeRange } from './time-range.js';
import { EXIT, usageError } from './exit.js';
import { DEFAULT_ENDPOINT, withConnectionOptions, type ConnectionOptions } from './options.js';

class Refused extends Error {}

/** The server's refusal, in words, with what to do next. */
function refusal(answer: ExtensionAnswer, action: string, farmId: string): string {
  const said = `${answer.errorType ?? `HTTP ${answer.status}`}: ${answer.body.message ?? ''}`;
  if (answer.errorType === 'AccessDeniedException') return `${said}\n${grantHint(answer.body.message ?? '', answer.body.context)}`;
  if (answer.errorType === 'ValidationException' && answer.body.reason === 'UNKNOWN_OPERATION') {
    return `${said}\nThis server does not serve ${action}: it runs with --strict (no extensions), or is an older farmtally. Run it without --strict to delete data.`;
  }
  if (answer.errorType === 'ResourceNotFoundException') return `${said}\nCheck the IDs: farmtally farms list, farmtally queues list --farm ${farmId}.`;
  // Retried already (postExtension): the farm stayed busy, or the server's --rate-limit held.
  if (answer.errorType === 'ThrottlingException') return `${said}\nIt was retried for a while; run the command again in a minute.`;
  const hint = authHint(answer.errorType);
  return hint ? `${said}\n${hint}` : said;
}

async function call(o: ConnectionOptions, path: string, body: object, action: string, farmId: string): Promise<Record<string, unknown>> {
  const answer = await postExtension(o.endpoint, path, body, o);
  if (answer.status !== 200) throw new Refused(refusal(answer, action, farmId));
  return answer.body;
}

function failed(err: unknown): never {
  if (err instanceof Refused) {
    console.error(`farmtally: ${err.message}`);
    process.exit(EXIT.FAILED);
  }
  fail(err);
}

interface DeleteOptions extends ConnectionOptions {
  farm: string;
  batch?: string;
  queue?: string;
  start?: string;
  end?: string;
  timezone?: string;
  dryRun?: boolean;
  yes?: boolean;
}

/** The one selector the options give, as the request's members and in words; a usage error otherwise. */
function selector(o: DeleteOptions): { members: Record<string, string>; words: string; flags: string } {
  const given = [o.batch !== undefined && '--batch', o.queue !== undefined && '--queue', (o.start ?? o.end) !== undefined && '--start/--end'].filter(Boolean);
  if (given.length !== 1) usageError(`name the sessions with exactly one of --batch ID, --queue ID, or --start T --end T${given.length ? ` (got ${given.join(' and ')})` : ''}.`, 'sessions delete');
  if (o.batch !== undefined) {
    if (!new RegExp(`^${BATCH_ID_PATTERN}$`).test(o.batch)) usageError(`--batch ${o.batch} is not a batch ID: give the batchId an ingest answer carried (digits, such as 42).`, 'sessions delete');
    return { members: { batchId: o.batch }, words: `that batch ${o.batch} last wrote`, flags: `--batch ${o.batch}` };
  }
  if (o.queue !== undefined) return { members: { queueId: o.queue }, words: `of queue ${o.queue}`, flags: `--queue ${o.queue}` };
  if (o.start === undefined || o.end === undefined) usageError('a time range needs both --start and --end.', 'sessions delete');
  const range = timeRange({ start: o.start, end: o.end, timezone: o.timezone }, 'sessions delete');
  const [start, end] = [new Date(range.start).toISOString(), new Date(range.end).toISOString()];
  if (start >= end) usageError(`--end must be after --start (the range is [start, end)): ${o.start} to ${o.end}.`, 'sessions delete');
  return {
    members: { startedAtOrAfter: start, startedBefore: end },
    words: `that started from ${start} until before ${end}`,
    flags: `--start ${start} --end ${end}`,
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

async function deleteSessions(o: DeleteOptions): Promise<void> {
  if (o.dryRun && o.yes) usageError('give --yes to delete, or --dry-run to count only, not both.', 'sessions delete');
  const { members, words, flags } = selector(o);
  const path = `/ingest/v1/farms/${encodeURIComponent(o.farm)}/sessions/delete`;
  const dryRun = !o.yes;
  const answer = (await call(o, path, { ...members, dryRun }, 'DeleteSessions', o.farm)) as { matched: number; deleted: number; jobsDeleted: number };
  if (dryRun) {
    if (answer.matched === 0) {
      console.log(`No session of farm ${o.farm} ${words}: nothing to delete.`);
      return;
    }
    const endpoint = o.endpoint === DEFAULT_ENDPOINT ? '' : ` --endpoint ${o.endpoint}`;
    console.log(`${plural(answer.matched, 'session')} of farm ${o.farm} ${words}. Nothing was deleted (a dry run).`);
    console.log(`To delete ${answer.matched === 1 ? 'it' : 'them'} (and the jobs left with no session), which cannot be undone but from a backup, run:`);
    console.log(`  farmtally sessions delete --farm ${o.farm} ${flags}${endpoint} --yes`);
    return;
  }
  console.log(`Deleted ${plural(answer.deleted, 'session')} of farm ${o.farm} ${words}, and ${plural(answer.jobsDeleted, 'job')} left with no session.`);
}

async function forget(userId: string, o: ConnectionOptions & { farm: string }): Promise<void> {
  const path = `/ingest/v1/farms/${encodeURIComponent(o.farm)}/users/${encodeURIComponent(userId)}/forget`;
  const answer = (await call(o, path, {}, 'ForgetUser', o.farm)) as { pseudonym: string; sessions: number };
  // The ID itself is not repeated: it is what is being forgotten.
  console.log(`The user is now ${answer.pseudonym} in farm ${o.farm}: ${plural(answer.sessions, 'session')} changed, with the user's jobs and the results already computed.`);
  if (answer.sessions === 0) {
    console.error(`note: no stored session of farm ${o.farm} names that user ID, so nothing changed: check its spelling (farmtally stats --farm ${o.farm} --start ... --end ... --group-by USER_ID lists the farm's users).`);
  }
  console.log('Forgetting the same user again (after new sessions named them) gives the same pseudonym.');
}

export function sessionsCommand(): Command {
  const sessions = new Command('sessions')
    .description("sessions delete --farm F (--batch ID | --queue Q | --start T --end T): delete a farm's sessions (an extension; not on a --strict server).")
    .addHelpText('after', '\nExamples:\n  $ farmtally sessions delete --farm farm-0123456789abcdef0123456789abcdef --batch 42\n  $ farmtally sessions delete --help\n');
  sessions.addCommand(
    withConnectionOptions(
      new Command('delete')
        .description('Delete the sessions of a farm that a batch wrote, of a queue, or that started in a time range; without --yes only count them.')
        .requiredOption('--farm <id>', 'the farm whose sessions to delete')
        .option('--batch <id>', 'the sessions the ingest batch with this batchId last created or changed (its answer carried the ID; farmtally import prints them)')
        .option('--queue <id>', 'the sessions of this queue (the queue stays)')
        .option('--start <time>', 'with --end: the sessions that started at or after this time, a date or date-time (local to --timezone unless it has an offset)')
        .option('--end <time>', 'with --start: ... and before this one')
        .option('--timezone <zone>', 'time zone of --start/--end without an offset (default UTC): UTC+08:00, Asia/Singapore')
        .option('--dry-run', 'only count the sessions (what happens without --yes anyway)')
        .option('--yes', 'delete them: this cannot be undone, except from a backup'),
    )
      .addHelpText(
        'after',
        `
Without --yes nothing is deleted: the command counts the sessions and prints the command that
deletes them. Jobs left with no session are deleted with them. Aggregations started afterwards
no longer count them. Deleted sessions come back only from a backup of the data folder.

Examples:
  $ farmtally sessions delete --farm farm-0123456789abcdef0123456789abcdef --batch 42
  $ farmtally sessions delete --farm farm-0123456789abcdef0123456789abcdef --batch 42 --yes
  $ farmtally sessions delete --farm farm-... --queue queue-0123456789abcdef0123456789abcdef --yes
  $ farmtally sessions delete --farm farm-... --start 2024-01-01 --end 2024-07-01 --yes
`,
      )
      .action((o: DeleteOptions) => deleteSessions(o).catch(failed)),
  );
  return sessions;
}

export function usersCommand(): Command {
  const users = new Command('users')
    .description("users forget USER --farm F: replace a user ID by a pseudonym in the farm's records (an extension; not on a --strict server).")
    .addHelpText('after', '\nExample:\n  $ farmtally users forget ana@studio.example --farm farm-0123456789abcdef0123456789abcdef\n');
  users.addCommand(
    withConnectionOptions(
      new Command('forget')
        .description("Replace a user ID by a pseudonym in every stored session of the farm (an answer to an erasure request).")
        .argument('<user>', 'the user ID, as session records name it')
        .requiredOption('--farm <id>', 'the farm whose records name the user'),
    )
      .addHelpText(
        'after',
        `
The pseudonym (forgotten- and 32 hex digits) is the same every time the same user is forgotten
in the same farm, so usage still adds up under one name; it cannot be turned back into the ID
without the server's secret. Sessions sent later with the real ID keep it until the user is
forgotten again. Backups made before still hold the ID.

Example:
  $ farmtally users forget ana@studio.example --farm farm-0123456789abcdef0123456789abcdef
`,
      )
      .action((userId: string, o: ConnectionOptions & { farm: string }) => forget(userId, o).catch(failed)),
  );
  return users;
}
