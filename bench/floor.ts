// The practical floor: Q1 (split-by-overlap DAILY in UTC+08:00 by queue and usage type,
// count/sum/min/max of runtime and cost) as one single-threaded loop over typed arrays.
// Loading the columns is not timed; only the scan is. Times are integer milliseconds held
// in doubles (exact up to 2^53), bucketed by shifting by the offset, as SPEC section 9 says.
import { hourlyRate, type RateCard } from '../src/domain/pricing.js';
import type { Lease } from '../src/store/duckdb/connections.js';
import type { Database } from '../src/store/duckdb/database.js';

/** One usage record per row: a session's COMPUTE record and one LICENSE record per product. */
export interface UsageColumns {
  length: number;
  start: Float64Array;
  end: Float64Array;
  queue: Uint8Array;
  /** 0 COMPUTE, 1 LICENSE */
  usage: Uint8Array;
  /** USD per hour × the farm's costScaleFactor */
  rate: Float64Array;
}

export async function loadUsage(db: Database, farmId: string, queueIds: readonly string[], rateCard: RateCard, costScaleFactor: number, asOfMs: number): Promise<UsageColumns> {
  const kinds = new Map((await db.all(`SELECT fleet_id, kind FROM fleets WHERE farm_id = $1`, [farmId])).map((r) => [r.fleet_id as string, r.kind as 'customerManaged']));
  const queueIndex = new Map(queueIds.map((id, i) => [id, i]));
  const sql = `
    WITH s AS (SELECT * FROM sessions WHERE farm_id = $1)
    SELECT started_at::DOUBLE AS s, coalesce(ended_at, $2)::DOUBLE AS e, queue_id, fleet_id, 'COMPUTE' AS usage_type, instance_type, NULL AS license_product FROM s
    UNION ALL
    SELECT started_at::DOUBLE, coalesce(ended_at, $2)::DOUBLE, queue_id, fleet_id, 'LICENSE', NULL, unnest(license_products) FROM s WHERE len(license_products) > 0`;
  const lease = await db.lease();
  try {
    return await readUsage(await lease.stream(sql, [farmId, asOfMs]), kinds, queueIndex, rateCard, costScaleFactor);
  } finally {
    lease.close();
  }
}

async function readUsage(
  result: Awaited<ReturnType<Lease['stream']>>,
  kinds: Map<string, 'customerManaged'>,
  queueIndex: Map<string, number>,
  rateCard: RateCard,
  costScaleFactor: number,
): Promise<UsageColumns> {
  let capacity = 1 << 16;
  let cols = allocate(capacity);
  let n = 0;
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const [s, e, q, f, u, it, lp] = chunk.getColumns() as [number[], number[], string[], string[], string[], (string | null)[], (string | null)[]];
    if (n + chunk.rowCount > capacity) {
      while (n + chunk.rowCount > capacity) capacity *= 2;
      cols = grow(cols, capacity);
    }
    for (let i = 0; i < chunk.rowCount; i++, n++) {
      const usageType = u[i] as 'COMPUTE' | 'LICENSE';
      const { rate } = hourlyRate(rateCard, {
        usageType, fleetId: f[i]!, fleetKind: kinds.get(f[i]!) ?? 'serviceManagedEc2', instanceType: it[i] ?? undefined, licenseProduct: lp[i] ?? undefined,
      });
      cols.start[n] = s[i]!;
      cols.end[n] = e[i]!;
      cols.queue[n] = queueIndex.get(q[i]!) ?? 255;
      cols.usage[n] = usageType === 'LICENSE' ? 1 : 0;
      cols.rate[n] = rate * costScaleFactor;
    }
  }
  return { ...grow(cols, n), length: n };
}

/** Columns for n usage records. */
export function allocate(n: number): UsageColumns {
  return { length: n, start: new Float64Array(n), end: new Float64Array(n), queue: new Uint8Array(n), usage: new Uint8Array(n), rate: new Float64Array(n) };
}

/** The columns resized to n records, the first ones kept. */
export function grow(c: UsageColumns, n: number): UsageColumns {
  const out = allocate(n);
  const keep = Math.min(n, c.start.length);
  out.start.set(c.start.subarray(0, keep));
  out.end.set(c.end.subarray(0, keep));
  out.queue.set(c.queue.subarray(0, keep));
  out.usage.set(c.usage.subarray(0, keep));
  out.rate.set(c.rate.subarray(0, keep));
  return out;
}

export interface FloorResult {
  ms: number;
  rows: number;
  count: number;
  runtimeMs: number;
}

/** Q1 over the loaded records: [startMs, endMs), fixed offset, fixed bucket width, `queues` queues. */
export function scanQ1(c: UsageColumns, startMs: number, endMs: number, offsetMs: number, widthMs: number, queues: number): FloorResult {
  const t0 = performance.now();
  const first = Math.floor((startMs + offsetMs) / widthMs);
  const buckets = Math.floor((endMs - 1 + offsetMs) / widthMs) - first + 1;
  const cells = buckets * queues * 2;
  const count = new Float64Array(cells);
  const sum = new Float64Array(cells);
  const min = new Float64Array(cells).fill(Infinity);
  const max = new Float64Array(cells);
  const costSum = new Float64Array(cells);
  const costMin = new Float64Array(cells).fill(Infinity);
  const costMax = new Float64Array(cells);
  const { start, end, queue, usage, rate } = c;
  for (let k = 0; k < c.length; k++) {
    if (queue[k]! >= queues) continue; // not one of the selected queues
    const s = start[k]! > startMs ? start[k]! : startMs;
    const e = end[k]! < endMs ? end[k]! : endMs;
    if (e <= s) continue;
    const last = Math.floor((e - 1 + offsetMs) / widthMs);
    const group = queue[k]! * 2 + usage[k]!;
    const r = rate[k]!;
    for (let i = Math.floor((s + offsetMs) / widthMs); i <= last; i++) {
      const bucketStart = i * widthMs - offsetMs;
      const bucketEnd = bucketStart + widthMs;
      const ms = (e < bucketEnd ? e : bucketEnd) - (s > bucketStart ? s : bucketStart);
      const cell = (i - first) * queues * 2 + group;
      const cost = ms * r;
      count[cell]! += 1;
      sum[cell]! += ms;
      if (ms < min[cell]!) min[cell] = ms;
      if (ms > max[cell]!) max[cell] = ms;
      costSum[cell]! += cost;
      if (cost < costMin[cell]!) costMin[cell] = cost;
      if (cost > costMax[cell]!) costMax[cell] = cost;
    }
  }
  // The rows: the cells that any record reached (what the API would page through).
  let rows = 0;
  let total = 0;
  let runtime = 0;
  for (let cell = 0; cell < cells; cell++) {
    if (count[cell]! === 0) continue;
    rows++;
    total += count[cell]!;
    runtime += sum[cell]!;
  }
  return { ms: performance.now() - t0, rows, count: total, runtimeMs: runtime };
}
