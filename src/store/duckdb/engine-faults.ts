// Which engine errors are faults of the storage rather than of a statement: a full disk, or
// a database DuckDB has invalidated (it does so when a checkpoint cannot write, and then
// refuses every statement on every connection until the file is opened again).
const INVALIDATED = /database has been invalidated|^FATAL Error/i;
// ENOSPC and EDQUOT are a full disk or quota; EFBIG a file size limit: all three free up
// only when someone makes room.
const NO_SPACE = /No space left on device|ENOSPC|Disk quota exceeded|EDQUOT|File too large|EFBIG/i;
const DISCONNECTED = /connection disconnected|closed connection|Attempting to flush data to a closed connection/i;

export type FaultKind = 'invalidated' | 'no-space' | 'disconnected';

export function faultKind(err: unknown): FaultKind | undefined {
  const message = err instanceof Error ? err.message : String(err);
  if (INVALIDATED.test(message)) return 'invalidated';
  if (NO_SPACE.test(message)) return 'no-space';
  if (DISCONNECTED.test(message)) return 'disconnected';
  return undefined;
}

/**
 * Whether the engine's error came of a full disk, whatever else it is: DuckDB invalidates
 * a database whose checkpoint could not write, and its message then still names the cause.
 */
export function lacksSpace(err: unknown): boolean {
  return NO_SPACE.test(err instanceof Error ? err.message : String(err));
}

/** The first line of the engine's message, without DuckDB's "restart" advice (farmtally reopens by itself). */
export function engineCause(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const original = /Original error: "([^\n]*)"/.exec(message)?.[1];
  return (original ?? message.split('\n')[0]!).slice(0, 300);
}
