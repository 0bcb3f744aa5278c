// A seeded feed of session records over a small pool of session and job IDs, as a farm
// sends them: mostly a known session's next state (closed, reopened, moved to another job,
// started later or earlier, renamed), sometimes a fresh draw. Group-commit tests send it in
// concurrent waves to one store and compare with another that takes it another way.
import type { SessionRecord } from '../../src/domain/resources.js';
import { random } from './ingest-fuzz.js';

const HOUR = 3_600_000;

export interface ChurnParents {
  queueIds: readonly string[];
  fleetIds: readonly string[];
}

/** The feed's next record, each call; `tag` keeps IDs apart between feeds (two hex digits). */
export function sessionChurn(seed: number, parents: ChurnParents, tag = seed.toString(16).padStart(2, '0')) {
  const r = random(seed);
  const sessionIds = Array.from({ length: 40 }, (_, i) => `session-${tag}${i.toString(16).padStart(30, '0')}`);
  const jobIds = Array.from({ length: 6 }, (_, i) => `job-${tag}${i.toString(16).padStart(30, '0')}`);
  const known = new Map<string, SessionRecord>();
  const t0 = Date.UTC(2025, 3, 1);
  const next = (): SessionRecord => {
    const sessionId = r.pick(sessionIds);
    const was = known.get(sessionId);
    if (was && r.chance(0.7)) {
      const change = r.int(6);
      const moved: SessionRecord = { ...was };
      if (change === 0) moved.endedAt = (was.endedAt ?? was.startedAt) + r.int(5) * HOUR;
      else if (change === 1) moved.endedAt = undefined;
      else if (change === 2) moved.jobId = r.pick(jobIds);
      else if (change === 3) moved.startedAt = was.startedAt + (r.int(3) - 1) * HOUR;
      else if (change === 4) moved.jobName = r.pick(['comp', 'light', 'fx']);
      if (moved.endedAt !== undefined && moved.endedAt < moved.startedAt) moved.endedAt = moved.startedAt;
      known.set(sessionId, moved);
      return moved;
    }
    const startedAt = t0 + r.int(48) * HOUR;
    const fresh: SessionRecord = {
      sessionId,
      queueId: r.pick(parents.queueIds),
      jobId: r.pick(jobIds),
      jobName: r.pick(['comp', 'light', 'fx']),
      userId: r.pick(['ana', 'ben']),
      fleetId: r.pick(parents.fleetIds),
      workerId: 'worker-00000000000000000000000000000001',
      instanceType: r.chance(0.8) ? r.pick(['c5.4xlarge', 'g4dn.xlarge']) : undefined,
      startedAt,
      endedAt: r.chance(0.3) ? undefined : startedAt + r.int(10) * HOUR,
      licenseProducts: r.chance(0.4) ? r.pick([['maya'], ['maya', 'nuke'], ['houdini']]) : undefined,
    };
    known.set(sessionId, fresh);
    return fresh;
  };
  /** A wave: 1 to `most` batches of 1 to 8 records. */
  const wave = (most = 6) => Array.from({ length: 1 + r.int(most) }, () => Array.from({ length: 1 + r.int(8) }, next));
  return { next, wave, random: r, t0 };
}
