import type { FleetWithStatus } from '../../store/store.js';
import type { OperationContext } from '../context.js';
import { notFound } from '../errors.js';
import { requireFarm } from '../support.js';

/** The fleet, or ResourceNotFoundException naming the farm or the fleet, whichever is missing. */
export async function requireFleet(ctx: OperationContext, farmId: string, fleetId: string): Promise<FleetWithStatus> {
  await requireFarm(ctx, farmId);
  const fleet = await ctx.store.getFleet(farmId, fleetId);
  if (!fleet) throw notFound('fleet', fleetId, `Fleet ${fleetId} does not exist in farm ${farmId}. List its fleets with ListFleets.`);
  return fleet;
}
