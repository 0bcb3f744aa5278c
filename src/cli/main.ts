// The `farmtally` command line: one subcommand per module.
import { Command } from 'commander';
import { serveCommand } from './serve.js';

const program = new Command('farmtally')
  .description('A self-hostable AWS Deadline Cloud session statistics server, its importer and its client.')
  .showHelpAfterError();
program.addCommand(serveCommand());

await program.parseAsync(process.argv);
