// What an aggregation's record says when it did not simply complete: the same words from
// every engine, since a client cannot tell (and should not need to) which one ran it.

/** More rows than the server's limit (`rows`: how many, when the engine counted them). */
export const tooManyRows = (maxRows: number, rows?: number): string =>
  `The aggregation would return ${rows === undefined ? 'more rows' : `${rows} rows`}, more than this server's limit of ${maxRows}. Narrow the time range, choose a longer period, select fewer queues or fleets, or group by fewer fields.`;

export const timedOut = (timeoutMs: number): string =>
  `The aggregation ran past this server's limit of ${timeoutMs / 1000} s. Narrow the time range, select fewer queues or fleets, or group by fewer fields.`;

/** A completed aggregation's note on usage without a rate (none: no note). */
export const missingRates = (names: readonly string[]): string | undefined =>
  names.length ? `No rate for ${names.join(', ')}: that usage counts 0 USD. Add the rates to the pricing file (serve --pricing FILE).` : undefined;
