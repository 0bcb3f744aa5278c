// StartSessionsStatisticsAggregation / GetSessionsStatisticsAggregation: every input rule,
// in extended mode and in --strict mode (exactly the service's rules).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateFarmCommand, CreateFleetCommand, CreateQueueCommand, GetSessionsStatisticsAggregationCommand,
  StartSessionsStatisticsAggregationCommand, ValidationException, type StartSessionsStatisticsAggregationCommandInput,
} from '@aws-sdk/client-deadline';
import { absentId, rejectsNaming, rejectsNotFound } from './support/service-errors.js';
import { http, startFarmtally, type Farmtally } from './support/server.js';
import { sessionRecord } from './support/session-records.js';
import { postSessions } from './support/statistics-farm.js';

let ext: Farmtally;
let strict: Farmtally;
before(async () => {
  [ext, strict] = await Promise.all([startFarmtally(), startFarmtally({ args: ['--strict'] })]);
});
after(async () => Promise.all([ext.stop(), strict.stop()]));

const FLEET_CONFIG = {
  customerManaged: { mode: 'NO_SCALING' as const, workerCapabilities: { vCpuCount: { min: 1 }, memoryMiB: { min: 1024 }, osFamily: 'LINUX' as const, cpuArchitectureType: 'x86_64' as const } },
};

async function farmWithQueue(ft: Farmtally) {
  const { farmId } = await ft.client.send(new CreateFarmCommand({ displayName: 'stats' }));
  const { queueId } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'q' }));
  const { fleetId } = await ft.client.send(
    new CreateFleetCommand({ farmId, displayName: 'f', roleArn: 'arn:aws:iam::123456789012:role/F', maxWorkerCount: 1, configuration: FLEET_CONFIG }),
  );
  return { farmId: farmId!, queueId: queueId!, fleetId: fleetId! };
}

function request(ids: { farmId: string; queueId: string }, change: Partial<StartSessionsStatisticsAggregationCommandInput> = {}) {
  return {
    farmId: ids.farmId,
    resourceIds: { queueIds: [ids.queueId] },
    startTime: new Date('2025-01-01T00:00:00Z'),
    endTime: new Date('2025-02-01T00:00:00Z'),
    groupBy: ['QUEUE_ID'],
    statistics: ['SUM'],
    ...change,
  } as StartSessionsStatisticsAggregationCommandInput;
}

const start = (ft: Farmtally, input: StartSessionsStatisticsAggregationCommandInput) => ft.client.send(new StartSessionsStatisticsAggregationCommand(input));

async function waitDone(ft: Farmtally, farmId: string, aggregationId: string) {
  for (;;) {
    const page = await ft.client.send(new GetSessionsStatisticsAggregationCommand({ farmId, aggregationId }));
    if (page.status !== 'IN_PROGRESS') return page;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('StartSessionsStatisticsAggregation input', () => {
  test('resourceIds: exactly one of queueIds and fleetIds, 1 to 10 unique well-formed IDs', async () => {
    const ids = await farmWithQueue(ext);
    const q = (n: number) => `queue-${n.toString(16).padStart(32, '0')}`;
    await rejectsNaming(start(ext, request(ids, { resourceIds: { queueIds: [ids.queueId], fleetIds: [ids.fleetId] } as never })), ['resourceIds']);
    await rejectsNaming(start(ext, request(ids, { resourceIds: {} as never })), ['resourceIds']);
    await rejectsNaming(start(ext, request(ids, { resourceIds: { queueIds: [] } })), ['resourceIds.queueIds']);
    await rejectsNaming(start(ext, request(ids, { resourceIds: { queueIds: Array.from({ length: 11 }, (_, i) => q(i)) } })), ['resourceIds.queueIds']);
    await rejectsNaming(start(ext, request(ids, { resourceIds: { queueIds: [ids.queueId, ids.queueId] } })), ['resourceIds.queueIds']);
    await rejectsNaming(start(ext, request(ids, { resourceIds: { queueIds: [ids.queueId, 'queue-12'] } })), ['resourceIds.queueIds.2']);
    await rejectsNaming(start(ext, request(ids, { resourceIds: { fleetIds: [`${ids.fleetId}0`] } })), ['resourceIds.fleetIds.1']);
    // A queue ID where fleet IDs go is malformed there.
    await rejectsNaming(start(ext, request(ids, { resourceIds: { fleetIds: [ids.queueId] } })), ['resourceIds.fleetIds.1']);
  });

  test('the range is half-open and must not be empty: startTime < endTime', async () => {
    const ids = await farmWithQueue(ext);
    const t = new Date('2025-01-01T00:00:00Z');
    await rejectsNaming(start(ext, request(ids, { startTime: t, endTime: t })), ['endTime']);
    await rejectsNaming(start(ext, request(ids, { startTime: new Date('2025-02-01T00:00:00Z'), endTime: t })), ['endTime']);
    const missing = await http(ext.url, 'POST', `/2023-10-12/farms/${ids.farmId}/sessions-statistics-aggregation`, {
      body: JSON.stringify({ resourceIds: { queueIds: [ids.queueId] }, groupBy: ['QUEUE_ID'], statistics: ['SUM'], startTime: 'yesterday' }),
    });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.fieldList.map((f: { name: string }) => f.name).sort(), ['endTime', 'startTime']);
  });

  test('period, groupBy and statistics: enums, lengths and uniqueness', async () => {
    const ids = await farmWithQueue(ext);
    await rejectsNaming(start(ext, request(ids, { period: 'YEARLY' as never })), ['period']);
    await rejectsNaming(start(ext, request(ids, { groupBy: [] })), ['groupBy']);
    await rejectsNaming(start(ext, request(ids, { groupBy: ['QUEUE_ID', 'QUEUE_ID'] })), ['groupBy']);
    await rejectsNaming(start(ext, request(ids, { groupBy: ['PROJECT' as never] })), ['groupBy.1']);
    await rejectsNaming(start(ext, request(ids, { statistics: [] })), ['statistics']);
    await rejectsNaming(start(ext, request(ids, { statistics: ['SUM', 'SUM'] })), ['statistics']);
    await rejectsNaming(start(ext, request(ids, { statistics: ['MEDIAN' as never] })), ['statistics.1']);
    // Five entries break two rules (length and uniqueness): both are reported.
    await rejectsNaming(start(ext, request(ids, { statistics: ['SUM', 'MIN', 'MAX', 'AVG', 'SUM'] })), ['statistics', 'statistics']);
  });

  test('extended mode accepts more group-by fields and time zone forms; strict mode rejects them', async () => {
    const e = await farmWithQueue(ext);
    const s = await farmWithQueue(strict);
    const three = { groupBy: ['QUEUE_ID', 'USER_ID', 'USAGE_TYPE'] } as const;
    const { aggregationId } = await start(ext, request(e, { ...three, groupBy: [...three.groupBy] }));
    assert.equal((await waitDone(ext, e.farmId, aggregationId!)).status, 'COMPLETED');
    await rejectsNaming(start(strict, request(s, { groupBy: [...three.groupBy] })), ['groupBy']);

    for (const zone of ['UTC', 'UTC+8', 'UTC+05:45', 'Asia/Singapore', 'America/New_York', 'UTC-03:30']) {
      const { aggregationId: id } = await start(ext, request(e, { timezone: zone, period: 'DAILY' }));
      assert.equal((await waitDone(ext, e.farmId, id!)).status, 'COMPLETED', zone);
    }
    for (const zone of ['Mars/Olympus', 'UTC+25', 'UTC+05:75', '+08:00', '']) {
      await rejectsNaming(start(ext, request(e, { timezone: zone })), ['timezone']);
    }
    for (const zone of ['UTC+08:00', 'UTC-03:30', 'UTC+00:00', 'UTC+19:30']) {
      const { aggregationId: id } = await start(strict, request(s, { timezone: zone }));
      assert.equal((await waitDone(strict, s.farmId, id!)).status, 'COMPLETED', zone);
    }
    for (const zone of ['UTC', 'UTC+8', 'UTC+05:45', 'Asia/Singapore', 'UTC+08:15', 'utc+08:00', 'UTC+20:00', 'UTC+08:00 ']) {
      await rejectsNaming(start(strict, request(s, { timezone: zone })), ['timezone']);
    }
  });

  test('strict mode runs what the service takes in full: two group-by fields, the model\'s time zone form', async () => {
    // One 2-hour session with one license product: a COMPUTE and a LICENSE record, both on
    // local 2025-01-10 in UTC+08:00.
    const s = await farmWithQueue(strict);
    await postSessions(strict.url, s.farmId, [sessionRecord(s, { startedAt: '2025-01-10T01:00:00Z', endedAt: '2025-01-10T03:00:00Z', licenseProducts: ['maya'] })]);
    const { aggregationId } = await start(strict, request(s, { groupBy: ['QUEUE_ID', 'USAGE_TYPE'], statistics: ['SUM', 'MAX'], period: 'DAILY', timezone: 'UTC+08:00' }));
    const page = await waitDone(strict, s.farmId, aggregationId!);
    assert.equal(page.status, 'COMPLETED', page.statusMessage);
    const day = { aggregationStartTime: new Date('2025-01-09T16:00:00Z'), aggregationEndTime: new Date('2025-01-10T16:00:00Z') };
    assert.deepEqual(
      page.statistics!.map((r) => ({ ...r, costInUsd: undefined })),
      ['COMPUTE', 'LICENSE'].map((usageType) => ({
        ...day, queueId: s.queueId, usageType, count: 1, runtimeInSeconds: { sum: 7200, max: 7200 }, costInUsd: undefined,
      })),
    );
  });

  test('unknown farm, queue or fleet: ResourceNotFoundException naming it', async () => {
    const ids = await farmWithQueue(ext);
    await rejectsNotFound(start(ext, request({ ...ids, farmId: absentId('farm') })), 'farm', absentId('farm'));
    await rejectsNotFound(start(ext, request(ids, { resourceIds: { queueIds: [ids.queueId, absentId('queue')] } })), 'queue', absentId('queue'));
    await rejectsNotFound(start(ext, request(ids, { resourceIds: { fleetIds: [absentId('fleet')] } })), 'fleet', absentId('fleet'));
    // A queue of another farm is not in this one.
    const other = await farmWithQueue(ext);
    await rejectsNotFound(start(ext, request(ids, { resourceIds: { queueIds: [other.queueId] } })), 'queue', other.queueId);
  });
});

describe('GetSessionsStatisticsAggregation input', () => {
  test('aggregationId, maxResults and nextToken are checked', async () => {
    const ids = await farmWithQueue(ext);
    const get = (input: { aggregationId: string; maxResults?: number; nextToken?: string; farmId?: string }) =>
      ext.client.send(new GetSessionsStatisticsAggregationCommand({ farmId: ids.farmId, ...input }));
    const { aggregationId } = await start(ext, request(ids));
    assert.match(aggregationId!, /^[0-9a-f]{32}$/);
    await waitDone(ext, ids.farmId, aggregationId!);
    await rejectsNaming(get({ aggregationId: 'XYZ' }), ['aggregationId']);
    await rejectsNaming(get({ aggregationId: `${aggregationId}0` }), ['aggregationId']);
    await rejectsNotFound(get({ aggregationId: '0'.repeat(32) }), 'aggregation', '0'.repeat(32));
    await rejectsNaming(get({ aggregationId: aggregationId!, maxResults: 0 }), ['maxResults']);
    await rejectsNaming(get({ aggregationId: aggregationId!, maxResults: 1001 }), ['maxResults']);
    await rejectsNaming(get({ aggregationId: aggregationId!, nextToken: 'not-a-token' }), ['nextToken']);
    // The aggregation is found only in its own farm.
    const other = await farmWithQueue(ext);
    await rejectsNotFound(get({ aggregationId: aggregationId!, farmId: other.farmId }), 'aggregation', aggregationId!);
    await rejectsNotFound(get({ aggregationId: aggregationId!, farmId: absentId('farm') }), 'farm', absentId('farm'));
    const noId = await http(ext.url, 'GET', `/2023-10-12/farms/${ids.farmId}/sessions-statistics-aggregation`);
    assert.equal(noId.status, 400);
    assert.deepEqual(noId.body.fieldList.map((f: { name: string }) => f.name), ['aggregationId']);
  });

  test('maxResults: up to 1000 rows a page in extended mode; strict mode keeps the model\'s 100', async () => {
    // One session over 150 hours: 150 HOURLY rows.
    const rowsOf = async (ft: Farmtally) => {
      const ids = await farmWithQueue(ft);
      await postSessions(ft.url, ids.farmId, [sessionRecord(ids, { startedAt: '2025-01-01T00:00:00Z', endedAt: '2025-01-07T06:00:00Z' })]);
      const { aggregationId } = await start(ft, request(ids, { period: 'HOURLY' }));
      await waitDone(ft, ids.farmId, aggregationId!);
      return (maxResults: number) => ft.client.send(new GetSessionsStatisticsAggregationCommand({ farmId: ids.farmId, aggregationId, maxResults }));
    };
    const extended = await rowsOf(ext);
    const whole = await extended(1000);
    assert.equal(whole.statistics!.length, 150);
    assert.equal(whole.nextToken, undefined);
    assert.equal((await extended(100)).statistics!.length, 100);
    const strictly = await rowsOf(strict);
    assert.equal((await strictly(100)).statistics!.length, 100);
    const refused = await strictly(101).then(() => assert.fail('maxResults 101 was taken by a strict server'), (err) => err);
    assert.equal(refused.name, 'ValidationException');
    assert.deepEqual(refused.fieldList.map((f: { name: string }) => f.name), ['maxResults']);
    assert.match(refused.fieldList[0].message, /^Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100/);
  });

  test('an empty farm completes with no rows and no nextToken', async () => {
    const ids = await farmWithQueue(ext);
    const { aggregationId } = await start(ext, request(ids, { period: 'DAILY', statistics: ['SUM', 'AVG'] }));
    const page = await waitDone(ext, ids.farmId, aggregationId!);
    assert.equal(page.status, 'COMPLETED');
    assert.deepEqual(page.statistics, []);
    assert.equal(page.nextToken, undefined);
  });

  test('a request the SDK would not send: wrong JSON types are named, not crashes', async () => {
    const ids = await farmWithQueue(ext);
    const res = await http(ext.url, 'POST', `/2023-10-12/farms/${ids.farmId}/sessions-statistics-aggregation`, {
      body: JSON.stringify({ resourceIds: { queueIds: ids.queueId }, startTime: 1735689600, endTime: '2025-02-01T00:00:00Z', groupBy: 'QUEUE_ID', statistics: [1] }),
    });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body.fieldList.map((f: { name: string }) => f.name).sort(), ['groupBy', 'resourceIds.queueIds', 'startTime', 'statistics.1']);
    assert.ok(!(await http(ext.url, 'GET', '/2023-10-12/farms')).body.message);
  });
});

test('ValidationException is what the SDK raises for these', async () => {
  const ids = await farmWithQueue(ext);
  await assert.rejects(start(ext, request(ids, { groupBy: [] })), ValidationException);
});
