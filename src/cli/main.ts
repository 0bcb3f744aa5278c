// The `farmtally` command line: one subcommand per module.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { backupCommand } from './backup.js';
import { budgetsCommand } from './budgets.js';
import { copyCommand } from './copy.js';
import { credentialsCommand } from './credentials.js';
import { demoCommand } from './demo.js';
import { EXIT_CODES_HELP, exitCodesForUsage } from './exit.js';
import { importCommand } from './import.js';
import { farmsCommand, fleetsCommand, queuesCommand } from './list.js';
import { sessionsCommand, usersCommand } from './remove.js';
import { serveCommand } from './serve.js';
import { migrateCommand } from './migrate.js';
import { statsCommand } from './stats.js';

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
program.addCommand(serveCommand());
program.addCommand(migrateCommand());
program.addCommand(importCommand());
program.addCommand(statsCommand());
program.addCommand(demoCommand());
program.addCommand(farmsCommand());
program.addCommand(queuesCommand());
program.addCommand(fleetsCommand());
program.addCommand(budgetsCommand());
program.addCommand(sessionsCommand());
program.addCommand(usersCommand());
program.addCommand(credentialsCommand());
program.addCommand(backupCommand());
program.addCommand(copyCommand());
exitCodesForUsage(program);

await program.parseAsync(process.argv);
