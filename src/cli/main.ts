// The `farmtally` command line: one subcommand per module.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { EXIT_CODES_HELP, exitCodesForUsage } from './exit.js';

/**
 * The commands in the order --help lists them, each loaded from its module when needed. A
 * run of one command loads that command's module alone: `farmtally serve` then does not
 * load the AWS SDK the client commands use (a third of a second of CPU at every start).
 */
const COMMANDS: [name: string, make: () => Promise<Command>][] = [
  ['serve', async () => (await import('./serve.js')).serveCommand()],
  ['migrate', async () => (await import('./migrate.js')).migrateCommand()],
  ['import', async () => (await import('./import.js')).importCommand()],
  ['stats', async () => (await import('./stats.js')).statsCommand()],
  ['demo', async () => (await import('./demo.js')).demoCommand()],
  ['farms', async () => (await import('./list.js')).farmsCommand()],
  ['queues', async () => (await import('./list.js')).queuesCommand()],
  ['fleets', async () => (await import('./list.js')).fleetsCommand()],
  ['budgets', async () => (await import('./budgets.js')).budgetsCommand()],
  ['sessions', async () => (await import('./remove.js')).sessionsCommand()],
  ['users', async () => (await import('./remove.js')).usersCommand()],
  ['credentials', async () => (await import('./credentials.js')).credentialsCommand()],
  ['backup', async () => (await import('./backup.js')).backupCommand()],
  ['copy', async () => (await import('./copy.js')).copyCommand()],
];

// The version is package.json's (dist/cli/main.js and src/cli/main.ts are both two folders down).
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('farmtally')
  .version(version, '-V, --version', 'print the version')
  .description('A self-hostable AWS Deadline Cloud session statistics server, its importer and its client.')
  .showHelpAfterError('(farmtally --help shows the commands, examples and exit codes)')
  .addHelpText(
    'after',
    `
Examples:
  $ farmtally serve                       # the server on http://127.0.0.1:8080 (npm start)
  $ farmtally demo                        # fill it with a year of a studio's sessions
  $ farmtally farms list
  $ farmtally sessions delete --farm F --batch 42   # count what an import batch wrote; --yes deletes it
  $ farmtally stats --help                # each command's options and examples
${EXIT_CODES_HELP}`,
  );
// Anything but a command's name first (no command, --help, help, a mistake) loads them all.
const named = COMMANDS.find(([name]) => name === process.argv[2]);
for (const [, make] of named ? [named] : COMMANDS) program.addCommand(await make());
exitCodesForUsage(program);

await program.parseAsync(process.argv);
