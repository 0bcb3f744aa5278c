import type { Session } from '../../domain/resources.js';
import { iso } from '../support.js';

/**
 * Where a session's log is: farmtally collects no logs, so its LogConfiguration says so with
 * the `none` driver (the name container runtimes use for "no logging") and no options,
 * rather than pointing clients at a log group that does not exist.
 */
export const SESSION_LOG = { logDriver: 'none' } as const;

export const sessionSummary = (s: Session) => ({
  sessionId: s.sessionId,
  fleetId: s.fleetId,
  workerId: s.workerId,
  startedAt: iso(s.startedAt),
  // A record without endedAt is a session still running.
  lifecycleStatus: s.endedAt === undefined ? 'STARTED' : 'ENDED',
  endedAt: iso(s.endedAt),
  updatedAt: iso(s.updatedAt),
});

export const sessionDetail = (s: Session) => ({
  ...sessionSummary(s),
  log: SESSION_LOG,
  hostProperties: s.instanceType !== undefined ? { ec2InstanceType: s.instanceType } : undefined,
});
