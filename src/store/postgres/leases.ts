// Leases on PostgreSQL's clock: the farm slots (one aggregation or farm-wide write per farm),
// the IN_PROGRESS aggregations and the 'writing' ingest batches a server holds. Each is a ROW
// with an owner and an expiry, never an advisory lock: a lock held by a backend stays held as
// long as that backend lives (measured: 15 s after its client was killed, mid-statement),
// while a row's expiry is the same moment for every server and needs no one to clean up.
//
// Expiry is set and compared with clock_timestamp() (PostgreSQL's wall clock now, also
// inside a long transaction), so the API servers' clocks do not matter. A lease that has
// expired is lost: renewing it does nothing, as another server may already act on its
// expiry (take the slot, fail the aggregation, remove the batch's rows).
import type { FarmSlotClaim, Lease } from '../aggregation-store.js';
import type { Sql } from './connection.js';

/** SQL for "ttlMs (the parameter `param`) from now" on PostgreSQL's clock. */
export const leaseEnd = (param: string) => `clock_timestamp() + ${param}::float8 * interval '1 millisecond'`;

/**
 * Takes the farm's slot for `holder` when it is free or its lease expired, on `sql` (a
 * transaction: the slot row stays locked until it ends, so the caller can add to the claim
 * atomically); otherwise answers who holds it.
 */
export async function claimSlot(sql: Sql, farmId: string, holder: string, lease: Lease): Promise<FarmSlotClaim> {
  for (;;) {
    const taken = await sql.query(
      `INSERT INTO farm_slots (farm_id, holder, owner, expires_at) VALUES ($1, $2, $3, ${leaseEnd('$4')})
       ON CONFLICT (farm_id) DO UPDATE SET holder = EXCLUDED.holder, owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
       WHERE farm_slots.expires_at <= clock_timestamp()
       RETURNING 1`,
      [farmId, holder, lease.owner, lease.ttlMs],
    );
    if (taken.length) return { claimed: true };
    // Not taken: the conflicting row is locked now (ON CONFLICT DO UPDATE locks it even when
    // its WHERE is false), so it is still there to be read. The loop is for safety only.
    const held = await sql.query<{ holder: string }>(`SELECT holder FROM farm_slots WHERE farm_id = $1`, [farmId]);
    if (held[0]) return { heldBy: held[0].holder };
  }
}

export async function releaseSlot(sql: Sql, farmId: string, holder: string): Promise<void> {
  await sql.query(`DELETE FROM farm_slots WHERE farm_id = $1 AND holder = $2`, [farmId, holder]);
}

/** Extends every unexpired lease `owner` holds (farm slots, IN_PROGRESS aggregations, writing batches) to `ttlMs` from now, in one statement. */
export async function renewLeases(sql: Sql, owner: string, ttlMs: number): Promise<void> {
  await sql.query(
    `WITH renewed_slots AS (
       UPDATE farm_slots SET expires_at = ${leaseEnd('$2')} WHERE owner = $1 AND expires_at > clock_timestamp() RETURNING 1
     ), renewed_aggregations AS (
       UPDATE aggregations SET lease_expires_at = ${leaseEnd('$2')}
       WHERE status = 'IN_PROGRESS' AND lease_owner = $1 AND lease_expires_at > clock_timestamp() RETURNING 1
     ), renewed_batches AS (
       UPDATE batches SET expires_at = ${leaseEnd('$2')}
       WHERE state <> 'published' AND state = 'writing' AND owner = $1 AND expires_at > clock_timestamp() RETURNING 1
     )
     SELECT (SELECT count(*) FROM renewed_slots) AS slots, (SELECT count(*) FROM renewed_aggregations) AS aggregations, (SELECT count(*) FROM renewed_batches) AS batches`,
    [owner, ttlMs],
  );
}
