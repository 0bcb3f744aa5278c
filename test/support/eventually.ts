// Waiting for a condition the server reaches on its own (a file re-read, a trace line, an
// aggregation ending), polled, with a bound: the value once `check` gives one, or an error
// naming `what` when the time is up.
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
