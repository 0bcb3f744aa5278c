// Each farm's one slot (one aggregation, or one farm-wide write, at a time) and the leases
// of this store's running aggregations, in memory. A DuckDB data file has one process (the
// engine's file lock), so memory is shared by everyone who can see the slot; a cluster
// engine keeps the same rules in its shared state. Checked and set with no await between,
// so concurrent claims cannot both succeed.
import type { FarmSlotClaim, Lease } from '../aggregation-store.js';

interface Held {
  holder: string;
  owner: string;
  expiresAt: number;
}

export class FarmSlots {
  private readonly slots = new Map<string, Held>();
  /** aggregationId → its lease, while its record is IN_PROGRESS in the data file. */
  private readonly leases = new Map<string, { owner: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  claim(farmId: string, holder: string, lease: Lease): FarmSlotClaim {
    const held = this.slots.get(farmId);
    if (held && held.expiresAt > this.now()) return { heldBy: held.holder };
    this.slots.set(farmId, { holder, owner: lease.owner, expiresAt: this.now() + lease.ttlMs });
    return { claimed: true };
  }

  release(farmId: string, holder: string): void {
    if (this.slots.get(farmId)?.holder === holder) this.slots.delete(farmId);
  }

  /** The aggregation's record is IN_PROGRESS under `lease` from now on. */
  lease(aggregationId: string, lease: Lease): void {
    this.leases.set(aggregationId, { owner: lease.owner, expiresAt: this.now() + lease.ttlMs });
  }

  /** Its final status is in the data file: no lease is needed any more. */
  ended(aggregationId: string): void {
    this.leases.delete(aggregationId);
  }

  renew(owner: string, ttlMs: number): void {
    const expiresAt = this.now() + ttlMs;
    for (const held of [...this.slots.values(), ...this.leases.values()]) if (held.owner === owner) held.expiresAt = expiresAt;
  }

  /** Aggregations whose lease holds now: every other IN_PROGRESS record was cut short. */
  live(): string[] {
    const now = this.now();
    return [...this.leases].filter(([, lease]) => lease.expiresAt > now).map(([id]) => id);
  }
}
