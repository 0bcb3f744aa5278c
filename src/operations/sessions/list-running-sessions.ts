// ListRunningSessions, farmtally's extension (SPEC section 4; not served under --strict): a
// farm's sessions still running (no endedAt) of the queues or fleets named, as the statistics'
// resourceIds name them (1 to 10 IDs). The statistics count a running session up to the
// moment they are asked for and nothing in their rows tells it from an ended one; this says
// which sessions those are (the usage explorer marks the runtime that comes from them).
// Answers {asOf, sessions, truncated}: at most RUNNING_SESSIONS_MAX sessions, the earliest
// started first, `truncated` when more run; `asOf` is the server's clock when it read them.
import type { Session } from '../../domain/resources.js';
import { farmIdInPath } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { ResourceIds } from '../statistics/statistics-shapes.js';
import { requireResources } from '../statistics/start-sessions-statistics-aggregation.js';
import { iso, requireFarm } from '../support.js';
import { required, structure } from '../validation/shapes.js';

export const LIST_RUNNING_SESSIONS_PATH = '/ingest/v1/farms/{farmId}/sessions/running';

/** Sessions in one answer at most: a farm runs far fewer at a time (one per worker); a page of them would be a second protocol for a list that fits. */
export const RUNNING_SESSIONS_MAX = 10_000;

const runningSession = (s: Session) => ({
  sessionId: s.sessionId,
  queueId: s.queueId,
  fleetId: s.fleetId,
  jobId: s.jobId,
  jobName: s.jobName,
  userId: s.userId,
  instanceType: s.instanceType,
  licenseProducts: s.licenseProducts,
  startedAt: iso(s.startedAt),
});

export const listRunningSessions = defineOperation({
  name: 'ListRunningSessions',
  method: 'POST',
  path: LIST_RUNNING_SESSIONS_PATH,
  extension: true,
  input: structure({
    farmId: farmIdInPath,
    resourceIds: required(ResourceIds),
  }),
  async handle(input, ctx) {
    await requireFarm(ctx, input.farmId);
    const kind = input.resourceIds.queueIds ? 'queue' : 'fleet';
    const resourceIds = (input.resourceIds.queueIds ?? input.resourceIds.fleetIds)!;
    await requireResources(ctx, input.farmId, kind, resourceIds);
    const asOf = ctx.now();
    const { sessions, truncated } = await ctx.store.listRunningSessions(input.farmId, kind, resourceIds, RUNNING_SESSIONS_MAX);
    return { asOf: iso(asOf), sessions: sessions.map(runningSession), truncated };
  },
});
