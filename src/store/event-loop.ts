// Loops over a large batch's records (up to hundreds of thousands) hold the event loop for
// seconds, and on a machine short of CPU for tens of seconds: longer than an ingest batch's
// lease (30 s), whose renewal is a timer on the same loop. A 250 000-record batch into the
// cluster lost its lease that way with the machine's load at 9 on 2 cores (the sweeper
// abandoned it mid-write). So such loops give the loop a turn every few thousand items.

/** Items between two turns given to the event loop. */
export const SLICE = 5_000;

/** Lets timers and I/O run before going on. */
export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** `items.map(fn)`, giving the event loop a turn every SLICE items. */
export async function mapInSlices<T, R>(items: readonly T[], fn: (item: T) => R): Promise<R[]> {
  const out: R[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % SLICE === 0) await yieldToLoop();
    out[i] = fn(items[i]!);
  }
  return out;
}
