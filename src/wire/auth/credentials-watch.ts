// The credentials file as the server holds it: read at start-up (a bad file stops the start
// with every mistake listed), then read again whenever it changes, without a restart. A
// change is seen by polling the file's metadata, which also sees a file replaced by rename
// (how editors and `farmtally credentials` write it), where a watch on the old file would
// go quiet. A file with a mistake is logged and refused whole: the last good one stays in
// force, but for the keys the new file no longer holds, which are revoked at once (removing
// a key must not wait for the file to be right). A missing file holds no keys: every key
// is refused until it is back.
import { readFileSync, statSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { Credentials, parseCredentials, readCredentialsFile, type Principal } from './credentials.js';

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
      if (current.nlink === 0 && current.mtimeMs === 0) return this.gone(log);
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.gone(log);
        log.error(`credentials: cannot read ${file} (${err instanceof Error ? err.message : String(err)}); the ${this.credentials.principals.length} principal(s) read before stay in force until it can be read`);
        return;
      }
      try {
        this.credentials = parseCredentials(text, file, knownActions);
        log.info(`credentials: ${file} changed; now ${this.credentials.principals.length} principal(s)`);
      } catch (err) {
        this.refused(text, err instanceof Error ? err.message : String(err), log);
      }
    };
    // Not persistent: watching must not keep a stopping server alive.
    watchFile(file, { interval: POLL_MS, persistent: false }, this.listener);
  }

  get current(): Credentials {
    return this.credentials;
  }

  /** No file, no keys: every key is refused until the file is back (then read as any change). */
  private gone(log: Log): void {
    const before = this.credentials.principals.length;
    this.credentials = new Credentials([]);
    log.error(`credentials: ${this.file} is gone: every key is refused until it is back (${before} principal(s) were in force)`);
  }

  /**
   * A file with a mistake: refused whole, but the keys in force that it no longer holds are
   * revoked. A key counts as held when its ID appears quoted anywhere in the text (IDs are
   * word characters only), so a file too broken to parse still keeps the keys it names.
   */
  private refused(text: string, mistakes: string, log: Log): void {
    const held = (p: Principal) => text.includes(`"${p.accessKeyId}"`);
    const revoked = this.credentials.principals.filter((p) => !held(p));
    if (!revoked.length) {
      log.error(`credentials: ${mistakes}\nThe principals read before stay in force until the file is fixed.`);
      return;
    }
    this.credentials = new Credentials(this.credentials.principals.filter(held));
    log.error(
      `credentials: ${mistakes}\nThe file is refused whole, but the ${revoked.length} key(s) it no longer holds are REVOKED now: ` +
        `${revoked.map((p) => `${p.name} (${p.accessKeyId})`).join(', ')}. The other ${this.credentials.principals.length} principal(s) read before stay in force until the file is fixed.`,
    );
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
