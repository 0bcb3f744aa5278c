// The floor's columns (bench/floor.ts UsageColumns) read from the cluster: the farm's visible
// sessions in the snapshot, one usage record per row (COMPUTE, and LICENSE per product, as
// the DuckDB floor unnests them), streamed as TabSeparated. Not timed: only the scan is.
import { hourlyRate, type RateCard } from '../../src/domain/pricing.js';
import { int64, stringLiteral } from '../../src/store/clickhouse/sql-text.js';
import type { Snapshot } from '../../src/store/cluster/cluster-state.js';
import { visibleSql } from '../../src/store/cluster/session-rows.js';
import { allocate, grow, type UsageColumns } from '../floor.js';

export async function loadClusterUsage(
  url: string,
  database: string,
  farmId: string,
  snapshot: Snapshot,
  queueIds: readonly string[],
  customerManaged: ReadonlySet<string>,
  rateCard: RateCard,
  costScaleFactor: number,
  asOfMs: number,
): Promise<UsageColumns> {
  const sql = `SELECT started_at, ifNull(ended_at, ${int64(asOfMs)}) AS e, queue_id, fleet_id, ifNull(instance_type, '') AS it,
      arrayJoin(arrayConcat([''], license_products)) AS product
    FROM ${database}.sessions WHERE farm_id = ${stringLiteral(farmId)} AND ${visibleSql(database, farmId, snapshot)}
    FORMAT TabSeparated`;
  const res = await fetch(`${url}/?database=${encodeURIComponent(database)}`, { method: 'POST', body: sql });
  if (!res.ok || !res.body) throw new Error(`floor load: ${res.status} ${await res.text()}`);
  const queueIndex = new Map(queueIds.map((id, i) => [id, i]));
  const rates = new Map<string, number>();
  let capacity = 1 << 20;
  let cols = allocate(capacity);
  let n = 0;
  const take = (line: string) => {
    const [s, e, q, f, it, p] = line.split('\t') as [string, string, string, string, string, string];
    const key = `${f}\t${it}\t${p}`;
    let rate = rates.get(key);
    if (rate === undefined) {
      const usageType = p === '' ? 'COMPUTE' : 'LICENSE';
      rate = hourlyRate(rateCard, { usageType, fleetId: f, fleetKind: customerManaged.has(f) ? 'customerManaged' : 'serviceManagedEc2', instanceType: it || undefined, licenseProduct: p || undefined }).rate * costScaleFactor;
      rates.set(key, rate);
    }
    if (n === capacity) cols = grow(cols, (capacity *= 2));
    cols.start[n] = Number(s);
    cols.end[n] = Number(e);
    cols.queue[n] = queueIndex.get(q) ?? 255;
    cols.usage[n] = p === '' ? 0 : 1;
    cols.rate[n] = rate;
    n++;
  };
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const text = rest + decoder.decode(chunk, { stream: true });
    const lines = text.split('\n');
    rest = lines.pop()!;
    for (const line of lines) take(line);
  }
  if (rest) take(rest);
  return { ...grow(cols, n), length: n };
}

