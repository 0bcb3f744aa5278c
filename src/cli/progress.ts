// Progress on stderr: one line rewritten in place on a terminal, a plain line every few
// seconds otherwise (logs and CI), so long work always shows it is alive.
export class Progress {
  private readonly started = Date.now();
  private lastPlain = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly label: string) {}

  private elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)} s`;
  }

  update(text: string): void {
    if (this.tty) {
      process.stderr.write(`\r\x1b[K${this.label}: ${text} (${this.elapsed()})`);
    } else if (Date.now() - this.lastPlain >= 2000) {
      this.lastPlain = Date.now();
      process.stderr.write(`${this.label}: ${text} (${this.elapsed()})\n`);
    }
  }

  done(text: string): void {
    process.stderr.write(`${this.tty ? '\r\x1b[K' : ''}${this.label}: ${text} in ${this.elapsed()}\n`);
  }
}
