// A completed result is served from memory at once (rows made ready for the wire when the
// aggregation completes) and stored after; these tests hold the two forms together: every
// page size reads the reference's rows, and after a restart the rows read from the data file
// are the same, even when the server is stopped the moment the result completed.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import type { StartSessionsStatisticsAggregationCommandInput } from '@aws-sdk/client-deadline';
import { StartSessionsStatisticsAggregationCommand } from '@aws-sdk/client-deadline';
import { generateFarm, referenceAggregate } from './reference/aggregate-reference.js';
import { assertSameRows } from './support/same-rows.js';
import { startFarmtally } from './support/server.js';
import { readAggregation, runAggregation, serveGeneratedFarm, waitForAggregation } from './support/statistics-farm.js';

test('a result in pages of 1000, 100 and 7 is the reference\'s rows; after SIGTERM and a restart, the same rows from the data file', async () => {
  // 12 random sessions beside the generator's fixed ones (the whole span, a month, the long
  // ones) give some 10 000 hourly rows: eleven pages of 1000 and 1446 of 7, which is all
  // paging needs. 400 gave 61 000 rows, 8800 pages of 7 read twice, a minute of requests.
  const served = await serveGeneratedFarm(generateFarm(20261204, { sessions: 12 }));
  const { farm } = served;
  let ft = served.ft;
  try {
    const input: StartSessionsStatisticsAggregationCommandInput = {
      farmId: farm.farmId,
      resourceIds: { queueIds: farm.queues.map((q) => q.queueId) },
      startTime: new Date(farm.spanStartMs),
      endTime: new Date(farm.spanEndMs),
      period: 'HOURLY',
      groupBy: ['JOB_ID', 'USAGE_TYPE'],
      statistics: ['SUM', 'MIN', 'MAX', 'AVG'],
    };
    const inThousands = await runAggregation(ft.client, input, 1000);
    assert.equal(inThousands.status, 'COMPLETED', inThousands.statusMessage);
    assert.ok(inThousands.rows.length > 2000, `want several pages of 1000, got ${inThousands.rows.length} rows`);
    assert.equal(inThousands.pages, Math.ceil(inThousands.rows.length / 1000));
    const expected = referenceAggregate(farm.sessions, farm.rateCard, farm.costScaleFactor, {
      startMs: farm.spanStartMs, endMs: farm.spanEndMs, period: 'HOURLY', groupBy: ['JOB_ID', 'USAGE_TYPE'], statistics: input.statistics as never,
      queueIds: farm.queues.map((q) => q.queueId), asOfMs: Date.now(),
    });
    assertSameRows(inThousands.rows, expected.rows, 'pages of 1000');
    for (const size of [100, 7]) {
      const paged = await readAggregation(ft.client, farm.farmId, inThousands.aggregationId, size);
      assert.equal(paged.pages, Math.ceil(inThousands.rows.length / size));
      assert.deepEqual(paged.rows, inThousands.rows, `pages of ${size}`);
    }

    // A second result, the server stopped the moment it is COMPLETED: its rows may still be
    // being stored, and a clean stop waits for that.
    const { aggregationId: justDone } = await ft.client.send(new StartSessionsStatisticsAggregationCommand({ ...input, period: 'DAILY' }));
    assert.equal((await waitForAggregation(ft.client, farm.farmId, justDone!, 1000)).status, 'COMPLETED');
    assert.equal(await ft.stop(false), 0, ft.output());
    const stoppedAt = Date.now();

    ft = await startFarmtally({ dataDir: ft.dataDir });
    for (const size of [1000, 7]) {
      const again = await readAggregation(ft.client, farm.farmId, inThousands.aggregationId, size);
      assert.deepEqual(again.rows, inThousands.rows, `after the restart, pages of ${size}`);
    }
    const fromFile = await readAggregation(ft.client, farm.farmId, justDone!, 1000);
    assert.equal(fromFile.status, 'COMPLETED', `stopped ${Date.now() - stoppedAt} ms ago: ${fromFile.statusMessage}`);
    const expectedDaily = referenceAggregate(farm.sessions, farm.rateCard, farm.costScaleFactor, {
      startMs: farm.spanStartMs, endMs: farm.spanEndMs, period: 'DAILY', groupBy: ['JOB_ID', 'USAGE_TYPE'], statistics: input.statistics as never,
      queueIds: farm.queues.map((q) => q.queueId), asOfMs: Date.now(),
    });
    assertSameRows(fromFile.rows, expectedDaily.rows, 'the result stored while stopping');
  } finally {
    await ft.stop(false);
    rmSync(ft.dataDir, { recursive: true, force: true });
  }
});
