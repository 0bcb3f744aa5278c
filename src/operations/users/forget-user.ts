// ForgetUser, farmtally's extension (SPEC section 4; not served under --strict): a studio's
// answer to an erasure request. Replaces a user ID by a pseudonym wherever the farm's data
// holds it (sessions, jobs, budgets on the user, stored aggregation results), in one transaction ordered with
// ingest. The pseudonym is an HMAC of the farm and the user ID under the server's secret, so
// forgetting the same user again (after new sessions came in with the real ID, say) gives
// the same pseudonym, and the user's usage still adds up under one name. Answers
// {pseudonym, sessions}. Logged with the farm, the count and the pseudonym, never the ID.
import { createHmac } from 'node:crypto';
import { FarmId, SessionUserId } from '../common-shapes.js';
import { defineOperation } from '../operation.js';
import { requireFarm } from '../support.js';
import { structure, uri } from '../validation/shapes.js';

export const FORGET_USER_PATH = '/ingest/v1/farms/{farmId}/users/{userId}/forget';

/** What a pseudonym starts with: a name that says what it is, in reports too. */
export const PSEUDONYM_PREFIX = 'forgotten-';

/**
 * The user's pseudonym in the farm: `forgotten-` and 32 hex digits (128 bits of an HMAC-SHA256
 * under the server's secret): 42 characters, within a record's userId (1 to 128), the same
 * for the same farm, user and data folder, and not to be turned back into the ID without the secret.
 */
export function pseudonymOf(secret: Buffer, farmId: string, userId: string): string {
  const mac = createHmac('sha256', secret).update(`farmtally user pseudonym\n${farmId}\n${userId}`).digest('hex');
  return `${PSEUDONYM_PREFIX}${mac.slice(0, 32)}`;
}

export const forgetUser = defineOperation({
  name: 'ForgetUser',
  method: 'POST',
  path: FORGET_USER_PATH,
  extension: true,
  input: structure({
    farmId: uri(FarmId),
    userId: uri(SessionUserId),
  }),
  async handle({ farmId, userId }, ctx) {
    await requireFarm(ctx, farmId);
    const pseudonym = pseudonymOf(await ctx.store.serverSecret(), farmId, userId);
    // No aggregation of the farm runs meanwhile: none can store rows that still hold the ID.
    const { sessions } = await ctx.aggregations.exclusive(farmId, 'a user is being given a pseudonym', () => ctx.store.forgetUser(farmId, userId, pseudonym));
    ctx.log({ farmId, pseudonym, sessions }, 'user given a pseudonym');
    return { pseudonym, sessions };
  },
});
