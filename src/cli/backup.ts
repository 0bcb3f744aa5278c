// `farmtally backup`: a consistent copy of a server's data into a folder, from the running
// server (--endpoint: its CreateBackup route streams a snapshot while ingest goes on) or from
// a data folder no server is using (--data). Either way the copy is checked by opening it and
// counting its sessions; `farmtally serve --data` on the folder restores it.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { downloadBackup } from '../client/backup-download.js';
import { ingestSignerFor } from '../client/credentials.js';
import { DATA_FILE } from '../domain/server-defaults.js';
import { fail } from './client.js';
import { usageError } from './exit.js';
import { defaultEndpoint, withConnectionOptions, type ConnectionOptions } from './options.js';
import { Progress } from './progress.js';

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function run(opts: Partial<ConnectionOptions> & { data?: string; to: string }): Promise<void> {
  const to = resolve(opts.to);
  if (existsSync(join(to, DATA_FILE))) usageError(`${to} holds a data file already (${DATA_FILE}); a backup never overwrites one. Give --to a new or empty folder.`, 'backup');
  if (opts.data && resolve(opts.data) === to) usageError('--to must be another folder than --data.', 'backup');
  // The engine is loaded here, not by every command's start-up.
  const { embeddedEngine } = await import('../server.js');
  let file: string;
  let announced: number;
  if (opts.data) {
    const progress = new Progress(`backup of ${opts.data}`);
    progress.update('copying');
    mkdirSync(to, { recursive: true });
    file = join(to, embeddedEngine.dataFile);
    ({ sessions: announced } = await embeddedEngine.backupFolder(opts.data, file));
    progress.done(`copied`);
  } else {
    const endpoint = opts.endpoint ?? defaultEndpoint('backup');
    const progress = new Progress(`backup of ${endpoint}`);
    progress.update('the server is copying its data');
    const got = await downloadBackup(endpoint, ingestSignerFor(opts.region ?? 'us-west-2', opts.profile), to, (received, total) => progress.update(`${mib(received)} of ${mib(total)} received`));
    progress.done(`received ${mib(got.bytes)}`);
    file = got.file;
    announced = got.sessions;
  }
  const counted = await embeddedEngine.countSessions(file);
  if (counted !== announced) throw new Error(`the copy in ${file} holds ${counted} sessions, but the server counted ${announced}: it is damaged. Remove it and run the backup again.`);
  console.log(`Backed up ${counted} sessions to ${file}.`);
  console.log(`To restore it: farmtally serve --data ${to}`);
}

export function backupCommand(): Command {
  return withConnectionOptions(new Command('backup'), { defaultEndpoint: false })
    .description('Copy a server\'s data consistently (while it serves) into a folder; `serve --data` on that folder restores it.')
    .requiredOption('--to <dir>', 'the folder to write the copy into (made if missing; must not hold a data file already)')
    .addOption(new Option('--data <dir>', 'back up this data folder instead, with no server using it (stopped)').conflicts('endpoint'))
    .addHelpText(
      'after',
      `
Every batch the server acknowledged before the backup began is in the copy, and no batch in
part; ingest and aggregations go on meanwhile. The copy is checked (opened and its sessions
counted) before the command says it is done.

Examples:
  $ farmtally backup --endpoint http://127.0.0.1:8080 --to backups/2026-12-07
  $ farmtally backup --data ./data --to backups/before-upgrade     # the server stopped
  $ farmtally serve --data backups/2026-12-07 --port 8081          # restore: serve the copy
`,
    )
    .action((opts) => run(opts).catch((err) => fail(err)));
}
