// How many ingest batches the server takes at once. Each one holds a staging table in the
// engine's memory and a connection until it commits, so past a few (on two cores they only
// queue at the writer anyway) memory, not speed, is what grows. A request waits a while for
// a slot, then is told to come back (ThrottlingException) without its body being read.
import { throttling } from '../errors.js';

export class BatchSlots {
  private taken = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly size: number,
    private readonly waitMs: number,
  ) {}

  /** A slot (call the function returned to give it back), or ThrottlingException after waiting `waitMs`. */
  async take(): Promise<() => void> {
    if (this.taken < this.size) {
      this.taken++;
    } else {
      // Admission and giving up both happen in one synchronous step, so a slot handed over
      // can never go to a request that has just given up.
      const admitted = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(admit), 1);
          resolve(false);
        }, this.waitMs);
        const admit = () => {
          clearTimeout(timer);
          resolve(true);
        };
        this.waiting.push(admit);
      });
      if (!admitted) throw throttling(`The server is ingesting ${this.size} batches already, its limit at once. Send this batch again in a moment.`, 1);
    }
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = this.waiting.shift();
      if (next) next(); // the slot passes on as it is
      else this.taken--;
    };
  }
}
