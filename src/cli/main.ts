// The `farmtally` command line: one subcommand per module.
import { Command } from 'commander';
import { credentialsCommand } from './credentials.js';
import { demoCommand } from './demo.js';
import { importCommand } from './import.js';
import { serveCommand } from './serve.js';
import { statsCommand } from './stats.js';

const program = new Command('farmtally')
  .description('A self-hostable AWS Deadline Cloud session statistics server, its importer and its client.')
  .showHelpAfterError();
program.addCommand(serveCommand());
program.addCommand(importCommand());
program.addCommand(statsCommand());
program.addCommand(demoCommand());
program.addCommand(credentialsCommand());

await program.parseAsync(process.argv);
