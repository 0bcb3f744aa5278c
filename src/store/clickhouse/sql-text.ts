// Values written into ClickHouse SQL text. The aggregation's SQL runs on ClickHouse 18.16
// too, which has no query parameters, so its constants are literals: checked here, typed
// explicitly (a positive integer literal is UInt64, and mixing it with Int64 columns
// changes the arithmetic's type), and strings escaped.

/** A string literal: backslash and quote escaped, the only two characters a literal treats specially. */
export const stringLiteral = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** An integer as an Int64 expression. */
export function int64(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return `toInt64(${n})`;
}

/** An integer as a plain literal (array elements, array indexes, LIMIT). */
export function integer(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
}

/** A finite number as a Float64 literal (`1` alone would be UInt8). */
export function float64(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  const text = String(n);
  return /^-?\d+$/.test(text) ? `${text}.0` : text;
}

/** A list of strings as an array literal; [] typed, as an empty literal has no element type. */
export const stringArray = (xs: readonly string[]): string => (xs.length ? `[${xs.map(stringLiteral).join(', ')}]` : 'CAST([] AS Array(String))');
