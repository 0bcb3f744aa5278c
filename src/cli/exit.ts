// The CLI's exit codes, and its two ways to stop early: a usage mistake (exit 2, what the
// command line got wrong) and a failure of the work itself (client.ts `fail`, exit 1).
// Commander exits 1 on its own usage errors; every command is set to exit 2 instead, so a
// script can tell "fix the command line" from "the server or the file said no".
import type { Command } from 'commander';

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  done
  1  failed: the server refused or could not be reached, an aggregation ended FAILED or
     TIMEOUT, a file could not be read or was rejected (the message says what to do)
  2  bad usage: an unknown command or option, a missing or malformed value
`;

/** Prints a usage mistake with the way to the command's help, then exits 2. */
export function usageError(message: string, command?: string): never {
  console.error(`farmtally: ${message}`);
  console.error(`(farmtally ${command ? `${command} ` : ''}--help shows the options and examples)`);
  process.exit(EXIT.USAGE);
}

/** The full command name, for help hints: `credentials add`. */
function pathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Sets `command` and every subcommand below it to exit 2 on a usage error (help asked for
 * still exits 0) and to point at their help after one. addCommand() copies no settings from
 * the parent, hence the walk.
 */
export function exitCodesForUsage(command: Command): void {
  command.exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.USAGE));
  if (command.parent) command.showHelpAfterError(`(farmtally ${pathOf(command)} --help shows the options and examples)`);
  for (const sub of command.commands) exitCodesForUsage(sub);
}
