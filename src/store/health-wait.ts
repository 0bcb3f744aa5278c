// A health probe's answer, or `late` once `ms` have passed without one: a load balancer's
// check must answer in bounded time even when the engine hangs.
import type { StoreHealth } from './store.js';

export async function within(outcome: Promise<StoreHealth>, ms: number, late: StoreHealth): Promise<StoreHealth> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([outcome, new Promise<StoreHealth>((resolve) => (timer = setTimeout(() => resolve(late), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
