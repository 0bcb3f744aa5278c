// The extension DeleteFarm, DeleteQueue and DeleteFleet share (`?withSessions=true`, not
// under --strict): the resource and every session naming it go in one transaction, jobs
// left with no session too (for a farm: its queues, fleets, jobs and sessions, all of it).
// Without it, a resource with sessions is the model's ConflictException, and nothing is deleted.
import type { DeletedSessions, ResourceWithSessions } from '../store/store.js';
import type { OperationContext } from './context.js';
import { conflict } from './errors.js';

/** Whether the request asked for the extension and the server serves extensions. */
export const deletesSessions = (withSessions: boolean | undefined, ctx: OperationContext): boolean => withSessions === true && !ctx.settings.strict;

/** The model's ConflictException for a resource some session names, saying how to delete it anyway where that is served. */
export function inUse(kind: 'farm' | 'queue' | 'fleet', id: string, ctx: OperationContext) {
  const how = ctx.settings.strict
    ? ' (This server runs with --strict, which does not serve withSessions=true, the extension that deletes a resource with its sessions.)'
    : ` To delete it with every session naming it, send the request again with the query parameter withSessions=true (this cannot be undone).`;
  const Kind = kind[0]!.toUpperCase() + kind.slice(1);
  return conflict('RESOURCE_IN_USE', kind, id, `${Kind} ${id} has session records, so it was not deleted: its usage history would be lost.${how}`);
}

/** Deletes the resource with its sessions, and logs what went; undefined when it does not exist. */
export async function deleteWithSessions(ctx: OperationContext, resource: ResourceWithSessions): Promise<DeletedSessions | undefined> {
  const deleted = await ctx.store.deleteWithSessions(resource);
  if (deleted) {
    const id = resource.kind === 'farm' ? {} : { [`${resource.kind}Id`]: resource.id };
    ctx.log({ farmId: resource.farmId, ...id, sessionsDeleted: deleted.sessions, jobsDeleted: deleted.jobs }, `${resource.kind} deleted with its sessions`);
  }
  return deleted;
}
