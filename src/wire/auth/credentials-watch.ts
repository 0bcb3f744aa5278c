// The credentials file as the server holds it: read at start-up (a bad file stops the start
// with every mistake listed), then read again whenever it changes, without a restart. A
// change is seen by polling the file's metadata, which also sees a file replaced by rename
// (how editors and `farmtally credentials` write it), where a watch on the old file would
// go quiet. A bad or missing file is logged and the last good one stays in force.
import { statSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { Credentials, readCredentialsFile } from './credentials.js';

export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** How often the file's metadata is looked at. */
export const POLL_MS = 500;

export class WatchedCredentials {
  private credentials: Credentials;
  private readonly listener: (current: Stats, previous: Stats) => void;

  constructor(
    private readonly file: string,
    knownActions: readonly string[],
    log: Log,
  ) {
    this.credentials = readCredentialsFile(file, knownActions);
    warnIfShared(file, log);
    log.info(`credentials: ${this.credentials.principals.length} principal(s) from ${file}`);
    this.listener = (current) => {
      if (current.nlink === 0 && current.mtimeMs === 0) {
        log.error(`credentials: ${file} is gone; the ${this.credentials.principals.length} principal(s) read before stay in force until it is back`);
        return;
      }
      try {
        this.credentials = readCredentialsFile(file, knownActions);
        log.info(`credentials: ${file} changed; now ${this.credentials.principals.length} principal(s)`);
      } catch (err) {
        log.error(`credentials: ${err instanceof Error ? err.message : String(err)}\nThe principals read before stay in force until the file is fixed.`);
      }
    };
    // Not persistent: watching must not keep a stopping server alive.
    watchFile(file, { interval: POLL_MS, persistent: false }, this.listener);
  }

  get current(): Credentials {
    return this.credentials;
  }

  close(): void {
    unwatchFile(this.file, this.listener);
  }
}

/** Secrets readable by others on the machine are worth a warning, not a refusal. */
function warnIfShared(file: string, log: Log): void {
  try {
    if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) {
      log.warn(`credentials: ${file} can be read by other users of this machine; it holds secrets: chmod 600 ${file}`);
    }
  } catch {
    // Just read; a vanished file is reported by the next poll.
  }
}
