// What the budget tests share: a rate card that prices the session churn's instance types
// and licenses, a farm of two queues and two fleets (one of each kind) made through the SDK,
// the statistics' cost SUM of one queue over a window, records on the wire, and CreateBudget
// as raw JSON for the extensions' members.
import assert from 'node:assert/strict';
import { CreateFarmCommand, CreateFleetCommand, CreateQueueCommand, GetBudgetCommand, type DeadlineClient } from '@aws-sdk/client-deadline';
import type { SessionRecord } from '../../src/domain/resources.js';
import { pricingFile } from './browser.js';
import { http } from './server.js';
import { runAggregation } from './statistics-farm.js';

export const HOUR = 3_600_000;

/** A --pricing file for the churn's instance types and licenses (houdini has no rate: it costs nothing). */
export const churnPricingFile = (): string =>
  pricingFile({ instanceTypes: { 'c5.4xlarge': 0.68, 'g4dn.xlarge': 0.526 }, licenseProducts: { maya: 0.5, nuke: 0.25 }, customerManagedWorkerHour: 0.3 });

export const wire = (r: SessionRecord) => ({ ...r, startedAt: new Date(r.startedAt).toISOString(), endedAt: r.endedAt === undefined ? undefined : new Date(r.endedAt).toISOString() });

export async function budgetFarm(client: DeadlineClient, costScaleFactor: number) {
  const { farmId } = await client.send(new CreateFarmCommand({ displayName: 'budget feed', costScaleFactor }));
  const queueIds: string[] = [];
  for (const name of ['lighting', 'fx']) queueIds.push((await client.send(new CreateQueueCommand({ farmId, displayName: name }))).queueId!);
  const capabilities = { vCpuCount: { min: 2 }, memoryMiB: { min: 4096 }, osFamily: 'LINUX' as const, cpuArchitectureType: 'x86_64' as const };
  const onPrem = await client.send(new CreateFleetCommand({
    farmId, displayName: 'on-prem', roleArn: 'arn:aws:iam::123456789012:role/FleetRole', maxWorkerCount: 4,
    configuration: { customerManaged: { mode: 'NO_SCALING', workerCapabilities: capabilities } },
  }));
  const spot = await client.send(new CreateFleetCommand({
    farmId, displayName: 'spot', roleArn: 'arn:aws:iam::123456789012:role/FleetRole', maxWorkerCount: 4,
    configuration: { serviceManagedEc2: { instanceCapabilities: capabilities, instanceMarketOptions: { type: 'spot' } } },
  }));
  return { farmId: farmId!, queueIds, fleetIds: [onPrem.fleetId!, spot.fleetId!] };
}

export async function statisticsSum(client: DeadlineClient, farmId: string, queueId: string, startMs: number, endMs: number): Promise<number> {
  return statisticsSumOver(client, farmId, { queueIds: [queueId] }, startMs, endMs);
}

/** The statistics' cost SUM over queues or fleets (at most ten, the API's bound). */
export async function statisticsSumOver(client: DeadlineClient, farmId: string, resourceIds: { queueIds: string[] } | { fleetIds: string[] }, startMs: number, endMs: number): Promise<number> {
  const result = await runAggregation(client, { farmId, resourceIds, startTime: new Date(startMs), endTime: new Date(endMs), groupBy: ['QUEUE_ID'], statistics: ['SUM'] });
  assert.equal(result.status, 'COMPLETED', result.statusMessage);
  return result.rows.reduce((s, r) => s + r.costInUsd.sum!, 0);
}

/** The statistics' cost SUM of one user's sessions over queues (at most ten): grouped by USER_ID, that user's rows. */
export async function statisticsSumOfUser(client: DeadlineClient, farmId: string, queueIds: string[], userId: string, startMs: number, endMs: number): Promise<number> {
  const result = await runAggregation(client, { farmId, resourceIds: { queueIds }, startTime: new Date(startMs), endTime: new Date(endMs), groupBy: ['USER_ID'], statistics: ['SUM'] });
  assert.equal(result.status, 'COMPLETED', result.statusMessage);
  return result.rows.filter((r) => r.userId === userId).reduce((s, r) => s + r.costInUsd.sum!, 0);
}

export const usageOf = async (client: DeadlineClient, farmId: string, budgetId: string) => (await client.send(new GetBudgetCommand({ farmId, budgetId }))).usages!.approximateDollarUsage!;

/** Equal within the last bits (engines sum in parallel). */
export const assertClose = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${what}: usage ${got}, statistics ${want}`);

export const budgetsPath = (farmId: string) => `/2023-10-12/farms/${farmId}/budgets`;

/** CreateBudget as raw JSON (the SDK cannot send a union member the model lacks: usageTrackingResource's fleetId and farmId). */
export async function createBudgetAsJson(url: string, farmId: string, usageTrackingResource: Record<string, string>, window: { startsAt: number; endsAt: number }, more: Record<string, unknown> = {}) {
  return http(url, 'POST', budgetsPath(farmId), {
    body: JSON.stringify({
      displayName: `budget ${JSON.stringify(usageTrackingResource)}`, usageTrackingResource, approximateDollarLimit: 1e6, actions: [],
      schedule: { fixed: { startTime: new Date(window.startsAt).toISOString(), endTime: new Date(window.endsAt).toISOString() } }, ...more,
    }),
  });
}
