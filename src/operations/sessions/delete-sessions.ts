// DeleteSessions, farmtally's extension (SPEC section 4; not served under --strict): deletes
// a farm's sessions named by exactly one selector, in one transaction ordered with ingest:
// the batch that last wrote them (an ingest answer's batchId), their queue, or their start
// in [startedAtOrAfter, startedBefore). Jobs left with no session go too. `dryRun` only
// counts. Answers {matched, deleted, jobsDeleted}. Cannot be undone (but from a backup).
import { BATCH_ID_PATTERN } from '../../domain/ingest-protocol.js';
import type { SessionSelection } from '../../store/store.js';
import { FarmId, QueueId } from '../common-shapes.js';
import type { FieldFailure } from '../errors.js';
import { defineOperation } from '../operation.js';
import { requireFarm, requireQueue } from '../support.js';
import { boolean, optional, string, structure, timestamp, uri, type Infer } from '../validation/shapes.js';

export const DELETE_SESSIONS_PATH = '/ingest/v1/farms/{farmId}/sessions/delete';

const input = structure({
  farmId: uri(FarmId),
  /** The batch that last created or changed the sessions (its ingest answer's batchId). */
  batchId: optional(string({ pattern: BATCH_ID_PATTERN })),
  queueId: optional(QueueId),
  /** With startedBefore: the sessions whose startedAt lies in [startedAtOrAfter, startedBefore). */
  startedAtOrAfter: optional(timestamp()),
  startedBefore: optional(timestamp()),
  /** Count what would be deleted, delete nothing. */
  dryRun: optional(boolean()),
});

const SELECTORS = 'batchId, queueId, startedAtOrAfter with startedBefore';

/** Exactly one selector, and a time range that is whole and not empty. */
function selectorFailures(i: Infer<typeof input>): FieldFailure[] {
  const given = [i.batchId !== undefined && 'batchId', i.queueId !== undefined && 'queueId', (i.startedAtOrAfter ?? i.startedBefore) !== undefined && 'startedAtOrAfter/startedBefore'].filter(
    (g): g is string => g !== false,
  );
  if (given.length !== 1) {
    const got = given.length === 0 ? 'none was' : `got ${given.join(' and ')}`;
    return [{ name: 'body', message: `Value at 'body' failed to satisfy constraint: exactly one of [${SELECTORS}] must be set to name the sessions to delete, ${got}` }];
  }
  const failures: FieldFailure[] = [];
  const missing = (name: string, other: string) =>
    failures.push({ name, message: `Value null at '${name}' failed to satisfy constraint: Member must not be null when ${other} is set (a time range has both ends)` });
  if (i.startedAtOrAfter && !i.startedBefore) missing('startedBefore', 'startedAtOrAfter');
  if (i.startedBefore && !i.startedAtOrAfter) missing('startedAtOrAfter', 'startedBefore');
  if (i.startedAtOrAfter && i.startedBefore && i.startedAtOrAfter.getTime() >= i.startedBefore.getTime()) {
    failures.push({
      name: 'startedBefore',
      message: `Value '${i.startedBefore.toISOString()}' at 'startedBefore' failed to satisfy constraint: Member must be after startedAtOrAfter (${i.startedAtOrAfter.toISOString()}); the range [startedAtOrAfter, startedBefore) must not be empty`,
    });
  }
  return failures;
}

function selectionOf(i: Infer<typeof input>): SessionSelection {
  if (i.batchId !== undefined) return { batchId: i.batchId };
  if (i.queueId !== undefined) return { queueId: i.queueId };
  return { startedFrom: i.startedAtOrAfter!.getTime(), startedBefore: i.startedBefore!.getTime() };
}

/** The selection as the log says it (IDs and times; no user data). */
function described(i: Infer<typeof input>): Record<string, string> {
  if (i.batchId !== undefined) return { batchId: i.batchId };
  if (i.queueId !== undefined) return { queueId: i.queueId };
  return { startedAtOrAfter: i.startedAtOrAfter!.toISOString(), startedBefore: i.startedBefore!.toISOString() };
}

export const deleteSessions = defineOperation({
  name: 'DeleteSessions',
  method: 'POST',
  path: DELETE_SESSIONS_PATH,
  extension: true,
  input,
  check: selectorFailures,
  async handle(i, ctx) {
    if (i.queueId !== undefined) await requireQueue(ctx, i.farmId, i.queueId);
    else await requireFarm(ctx, i.farmId);
    const selection = selectionOf(i);
    if (i.dryRun) return { matched: await ctx.store.countSessions(i.farmId, selection), deleted: 0, jobsDeleted: 0 };
    const deleted = await ctx.store.deleteSessions(i.farmId, selection);
    ctx.log({ farmId: i.farmId, selection: described(i), sessionsDeleted: deleted.sessions, jobsDeleted: deleted.jobs }, 'sessions deleted');
    return { matched: deleted.sessions, deleted: deleted.sessions, jobsDeleted: deleted.jobs };
  },
});
