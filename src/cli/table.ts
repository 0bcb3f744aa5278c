// Plain-text tables for the terminal: a header, a rule, one line per record; text columns
// left-aligned, numbers right-aligned, so figures line up by their last digit.

/**
 * `records` as a table, its columns those of the first record; `empty` when there is none.
 * `rightAligned` names text columns set like numbers (amounts formatted as text: $1,250.00).
 */
export function table(records: Record<string, string | number>[], empty: string, rightAligned: readonly string[] = []): string {
  if (!records.length) return empty;
  const columns = Object.keys(records[0]!);
  const cells = [columns, ...records.map((r) => columns.map((c) => String(r[c] ?? '')))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const numeric = columns.map((c) => typeof records[0]![c] === 'number' || rightAligned.includes(c));
  const line = (row: string[]) => row.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
