// What the explorer's browser tests share: a farm whose queues are named by the test, with
// sessions of known minutes in them, and a column of the results table read by group name.
import { CreateQueueCommand } from '@aws-sdk/client-deadline';
import type { Page } from 'playwright-core';
import type { Farmtally } from './server.js';
import { farmWithParents, sessionRecord, type IngestRecord } from './session-records.js';
import { postSessions } from './statistics-farm.js';

/** A session the test names: its queue (by name), start (ISO 8601, UTC) and minutes; anything else as sessionRecord makes it. */
export interface NamedSession {
  queue: string;
  startedAt: string;
  minutes: number;
  more?: Partial<IngestRecord>;
}

/** A farm with queues named `queueNames` (in that order) holding `sessions`. */
export async function farmWithNamedQueues(ft: Farmtally, farmName: string, queueNames: readonly string[], sessions: readonly NamedSession[]): Promise<{ farmId: string; queueIds: string[] }> {
  const parents = await farmWithParents(ft.client, farmName);
  const queues: Record<string, string> = {};
  for (const name of queueNames) queues[name] = (await ft.client.send(new CreateQueueCommand({ farmId: parents.farmId, displayName: name }))).queueId!;
  const records = sessions.map((s) => {
    const start = Date.parse(s.startedAt);
    return sessionRecord({ ...parents, queueId: queues[s.queue]! }, { startedAt: new Date(start).toISOString(), endedAt: new Date(start + s.minutes * 60_000).toISOString(), ...s.more });
  });
  await postSessions(ft.url, parents.farmId, records);
  return { farmId: parents.farmId, queueIds: Object.values(queues) };
}

/** The results table's cells of `column` (its data-column) by group name, and its footer's. */
export async function tableColumn(page: Page, column: string): Promise<{ rows: Record<string, string>; total: string }> {
  const rows = await page.locator('table.groups tr.group-row').evaluateAll(
    (trs, name) => trs.map((tr: any) => [tr.querySelector('th.group-cell').textContent.trim(), tr.querySelector(`td[data-column=${name}]`).textContent.trim()]),
    column,
  );
  return { rows: Object.fromEntries(rows), total: (await page.locator(`table.groups tfoot td[data-column=${column}]`).textContent())!.trim() };
}
