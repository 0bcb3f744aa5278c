// What every operation handler gets: the store, the server's settings and its clock.
import type { RateCard } from '../domain/pricing.js';
import type { Store } from '../store/store.js';
import type { PageTokens } from './page-tokens.js';

export interface ServerSettings {
  /** Reject exactly what the real service rejects (no extensions). */
  strict: boolean;
  rateCard: RateCard;
}

export interface OperationContext {
  store: Store;
  settings: ServerSettings;
  tokens: PageTokens;
  /** Who is calling: the principal's name, or `farmtally` in open mode. */
  caller: string;
  now(): number;
}
