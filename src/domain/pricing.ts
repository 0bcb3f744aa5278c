// The operator's rate card (SPEC section 5): USD per hour by instance type, license
// product, and customer-managed worker hour (globally or per fleet). Every key of the file
// is optional. A usage record with no rate costs 0, and hourlyRate says what was missing so
// that the aggregation's statusMessage can name it. The farm's costScaleFactor is applied
// by the caller (cost = seconds / 3600 * rate * costScaleFactor), not here.

export interface RateCard {
  instanceTypes: Record<string, number>;
  licenseProducts: Record<string, number>;
  customerManagedWorkerHour: number;
  customerManagedFleets: Record<string, number>;
}

/** With no pricing file: the real service's own estimate of 1 USD per customer-managed worker hour. */
export const DEFAULT_RATE_CARD: RateCard = Object.freeze({
  instanceTypes: Object.freeze({}),
  licenseProducts: Object.freeze({}),
  customerManagedWorkerHour: 1.0,
  customerManagedFleets: Object.freeze({}),
});

const KEYS = ['instanceTypes', 'licenseProducts', 'customerManagedWorkerHour', 'customerManagedFleets'] as const;
const FLEET_ID = /^fleet-[0-9a-f]{32}$/;

const isRate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function rateMap(json: unknown, key: string, errors: string[], keyCheck?: (k: string) => string | undefined): Record<string, number> {
  if (json === undefined) return {};
  if (!isObject(json)) {
    errors.push(`${key} must be an object of name: USD per hour`);
    return {};
  }
  const entries: [string, number][] = [];
  for (const [k, v] of Object.entries(json)) {
    const bad = keyCheck?.(k);
    if (bad) errors.push(`${key}.${k}: ${bad}`);
    else if (!isRate(v)) errors.push(`${key}.${k} must be a number >= 0 (USD per hour), not ${JSON.stringify(v)}`);
    else entries.push([k, v]);
  }
  // fromEntries, not assignment: a product called `__proto__` stays an ordinary key.
  return Object.fromEntries(entries);
}

/** The rate card from a parsed JSON file, or every problem found in it. */
export function parseRateCard(json: unknown): RateCard | { errors: string[] } {
  if (!isObject(json)) return { errors: ['the rate card must be a JSON object'] };
  const errors: string[] = [];
  for (const key of Object.keys(json)) {
    if (!(KEYS as readonly string[]).includes(key)) errors.push(`unknown key ${key}; the keys are ${KEYS.join(', ')}`);
  }
  const card: RateCard = {
    instanceTypes: rateMap(json.instanceTypes, 'instanceTypes', errors),
    licenseProducts: rateMap(json.licenseProducts, 'licenseProducts', errors),
    customerManagedWorkerHour: DEFAULT_RATE_CARD.customerManagedWorkerHour,
    customerManagedFleets: rateMap(json.customerManagedFleets, 'customerManagedFleets', errors, (k) =>
      FLEET_ID.test(k) ? undefined : 'is not a fleet ID (fleet- and 32 lower-case hex digits)',
    ),
  };
  if (json.customerManagedWorkerHour !== undefined) {
    if (isRate(json.customerManagedWorkerHour)) card.customerManagedWorkerHour = json.customerManagedWorkerHour;
    else errors.push(`customerManagedWorkerHour must be a number >= 0 (USD per hour), not ${JSON.stringify(json.customerManagedWorkerHour)}`);
  }
  return errors.length ? { errors } : card;
}

export interface PricedUsage {
  usageType: 'COMPUTE' | 'LICENSE';
  fleetId: string;
  fleetKind: 'customerManaged' | 'serviceManagedEc2';
  instanceType?: string;
  licenseProduct?: string;
}

/** The hourly rate of one usage record; `missing` names what the card had no rate for. */
export function hourlyRate(card: RateCard, usage: PricedUsage): { rate: number; missing?: string } {
  if (usage.usageType === 'LICENSE') {
    const rate = lookup(card.licenseProducts, usage.licenseProduct);
    return rate !== undefined ? { rate } : { rate: 0, missing: `license product ${usage.licenseProduct ?? '(unknown)'}` };
  }
  if (usage.fleetKind === 'customerManaged') {
    return { rate: lookup(card.customerManagedFleets, usage.fleetId) ?? card.customerManagedWorkerHour };
  }
  if (usage.instanceType === undefined) return { rate: 0, missing: `instance type (unknown) on service-managed fleet ${usage.fleetId}` };
  const rate = lookup(card.instanceTypes, usage.instanceType);
  return rate !== undefined ? { rate } : { rate: 0, missing: `instance type ${usage.instanceType}` };
}

// Own keys only: an instance type called `toString` has no rate unless the card gives one.
function lookup(rates: Record<string, number>, key: string | undefined): number | undefined {
  return key !== undefined && Object.hasOwn(rates, key) ? rates[key] : undefined;
}
