// Steps many operations share: finding a parent resource or failing with the right
// ResourceNotFoundException, idempotent creates by client token, and list paging.
import { createHash } from 'node:crypto';
import type { Farm } from '../domain/resources.js';
import type { Page, PageRequest } from '../store/store.js';
import type { OperationContext } from './context.js';
import { conflict, notFound } from './errors.js';

export async function requireFarm(ctx: OperationContext, farmId: string): Promise<Farm> {
  const farm = await ctx.store.getFarm(farmId);
  if (!farm) throw notFound('farm', farmId, `Farm ${farmId} does not exist. List farms with ListFarms, or create one with CreateFarm.`);
  return farm;
}

export async function requireQueue(ctx: OperationContext, farmId: string, queueId: string) {
  await requireFarm(ctx, farmId);
  const queue = await ctx.store.getQueue(farmId, queueId);
  if (!queue) throw notFound('queue', queueId, `Queue ${queueId} does not exist in farm ${farmId}. List its queues with ListQueues.`);
  return queue;
}

/** Creates under way, by scope and client token: a retry sent while the first is still running waits for it. */
const creating = new Map<string, Promise<unknown>>();

/**
 * Runs `create` once per client token: a retry with the same token and the same request
 * gets the first call's ID back; the same token with a different request is a conflict.
 * Calls with the same token take turns, so two sent at once cannot both create.
 */
export async function idempotentCreate(
  ctx: OperationContext,
  scope: string,
  clientToken: string | undefined,
  request: unknown,
  create: () => Promise<string>,
): Promise<string> {
  if (clientToken === undefined) return create();
  const key = `${scope}\n${clientToken}`;
  const before = creating.get(key) ?? Promise.resolve();
  const turn = before.catch(() => undefined).then(() => createOnce(ctx, scope, clientToken, request, create));
  creating.set(key, turn);
  try {
    return await turn;
  } finally {
    if (creating.get(key) === turn) creating.delete(key);
  }
}

async function createOnce(ctx: OperationContext, scope: string, clientToken: string, request: unknown, create: () => Promise<string>): Promise<string> {
  const fingerprint = createHash('sha256').update(JSON.stringify(request)).digest('hex');
  const seen = await ctx.store.findClientToken(scope, clientToken);
  if (seen) {
    if (seen.fingerprint !== fingerprint) {
      throw conflict('CONFLICT_EXCEPTION', 'clientToken', clientToken, 'This clientToken was already used with different parameters. Use a new clientToken for a new request.');
    }
    return seen.resourceId;
  }
  const id = await create();
  await ctx.store.rememberClientToken(scope, clientToken, id, fingerprint);
  return id;
}

/** One page of a list, with nextToken issued and checked against this list's scope. */
export async function listPage<T>(
  ctx: OperationContext,
  scope: string,
  input: { nextToken?: string; maxResults?: number },
  fetch: (page: PageRequest) => Promise<Page<T>>,
): Promise<{ items: T[]; nextToken?: string }> {
  const after = input.nextToken !== undefined ? ctx.tokens.open(scope, input.nextToken) : undefined;
  const page = await fetch({ limit: input.maxResults ?? 100, after });
  return { items: page.items, nextToken: page.nextAfter !== undefined ? ctx.tokens.issue(scope, page.nextAfter) : undefined };
}

/** Epoch ms to the Date the JSON serializer writes as an ISO 8601 UTC string. */
export const iso = (ms: number | undefined): Date | undefined => (ms === undefined ? undefined : new Date(ms));

export function audit(a: { createdAt: number; createdBy: string; updatedAt?: number; updatedBy?: string }) {
  return { createdAt: iso(a.createdAt), createdBy: a.createdBy, updatedAt: iso(a.updatedAt), updatedBy: a.updatedBy };
}
