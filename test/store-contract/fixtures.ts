// What the store contract tests put into a store: farms, queues and fleets as the operations
// would build them, and session records, through the Store interface alone.
import assert from 'node:assert/strict';
import { newId, type Farm, type Fleet, type FleetKind, type Queue, type SessionRecord } from '../../src/domain/resources.js';
import type { BatchWritten, IngestCounts, Store } from '../../src/store/store.js';
import type { Lease, NewAggregation } from '../../src/store/aggregation-store.js';

let clock = Date.UTC(2026, 0, 1);
/** Creation times that strictly increase, so creation order is also time order. */
export const tick = () => (clock += 1000);

export function farm(overrides: Partial<Farm> = {}): Farm {
  return { farmId: newId('farm'), displayName: 'contract', costScaleFactor: 1, createdAt: tick(), createdBy: 'contract', ...overrides };
}

export function queue(farmId: string, overrides: Partial<Queue> = {}): Queue {
  return { farmId, queueId: newId('queue'), displayName: 'q', details: {}, createdAt: tick(), createdBy: 'contract', ...overrides };
}

export function fleet(farmId: string, kind: FleetKind = 'customerManaged', overrides: Partial<Fleet> = {}): Fleet {
  return { farmId, fleetId: newId('fleet'), displayName: 'f', kind, details: { maxWorkerCount: 1 }, createdAt: tick(), createdBy: 'contract', ...overrides };
}

export interface Parents {
  farmId: string;
  queueId: string;
  fleetId: string;
}

export async function parents(store: Pick<Store, 'createFarm' | 'createQueue' | 'createFleet'>, kind: FleetKind = 'customerManaged'): Promise<Parents> {
  const f = farm();
  await store.createFarm(f);
  const q = queue(f.farmId);
  await store.createQueue(q);
  const fl = fleet(f.farmId, kind);
  await store.createFleet(fl);
  return { farmId: f.farmId, queueId: q.queueId, fleetId: fl.fleetId };
}

const HOUR = 3_600_000;

export function record(p: Parents, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const startedAt = Date.UTC(2025, 2, 1, 10);
  return {
    sessionId: newId('session'),
    queueId: p.queueId,
    fleetId: p.fleetId,
    jobId: newId('job'),
    jobName: 'shot_010',
    userId: 'ana',
    workerId: newId('worker'),
    instanceType: 'c5.4xlarge',
    startedAt,
    endedAt: startedAt + HOUR,
    ...overrides,
  };
}

/** A written batch's counts, once its batch ID is seen to be one (a decimal number). */
export function countsOf(written: BatchWritten): Omit<IngestCounts, 'received'> {
  const { batchId, ...counts } = written;
  assert.match(batchId, /^[1-9][0-9]*$/, 'a batch ID');
  return counts;
}

/** One batch, appended in the order given, then committed: its counts. */
export async function ingest(store: Pick<Store, 'stageSessions'>, farmId: string, records: readonly SessionRecord[], nowMs = tick()): Promise<Omit<IngestCounts, 'received'>> {
  return countsOf(await stageAndCommitWritten(store, farmId, records, nowMs));
}

/** One batch, appended in the order given, then committed: its counts and batch ID. */
export async function stageAndCommitWritten(store: Pick<Store, 'stageSessions'>, farmId: string, records: readonly SessionRecord[], nowMs = tick()): Promise<BatchWritten> {
  const staged = await store.stageSessions(farmId);
  await staged.append(records);
  return staged.commit(nowMs);
}

/** The contract's own server, whose leases outlast any test. */
export const CONTRACT_LEASE: Lease = { owner: 'contract', ttlMs: 600_000 };
/** A lease that expires within a test: its owner never renews it. */
export const SHORT_LEASE: Lease = { owner: 'contract-short', ttlMs: 150 };

/** A new aggregation's record for the farm, created now and expiring in an hour. */
export function newAggregation(farmId: string): NewAggregation {
  const now = tick();
  return { aggregationId: newId(''), farmId, groupBy: ['QUEUE_ID'], statistics: ['SUM'], createdAt: now, expiresAt: now + 3_600_000 };
}

/** Starts an aggregation's record and takes its farm's slot, which must be free. */
export async function begin(store: Pick<Store, 'startAggregation'>, rec: NewAggregation, lease: Lease = CONTRACT_LEASE): Promise<void> {
  assert.deepEqual(await store.startAggregation(rec, lease), { claimed: true });
}
