// The operator's rate card (SPEC section 5): USD per hour by instance type, license
// product, and customer-managed worker hour (globally or per fleet). The farm's
// costScaleFactor is applied by the caller, not here.

export interface RateCard {
  instanceTypes: Record<string, number>;
  licenseProducts: Record<string, number>;
  customerManagedWorkerHour: number;
  customerManagedFleets: Record<string, number>;
}

/** With no pricing file: the real service's own estimate of 1 USD per customer-managed worker hour. */
export const DEFAULT_RATE_CARD: RateCard = Object.freeze({
  instanceTypes: {},
  licenseProducts: {},
  customerManagedWorkerHour: 1.0,
  customerManagedFleets: {},
}) as RateCard;

const KEYS = ['instanceTypes', 'licenseProducts', 'customerManagedWorkerHour', 'customerManagedFleets'] as const;
const FLEET_ID = /^fleet-[0-9a-f]{32}$/;

const isRate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

function rateMap(json: unknown, key: string, errors: string[], keyCheck?: (k: string) => string | undefined): Record<string, number> {
  if (json === undefined) return {};
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    errors.push(`${key} must be an object of name: USD per hour`);
    return {};
  }
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(json)) {
    const bad = keyCheck?.(k);
    if (bad) errors.push(`${key}.${k}: ${bad}`);
    else if (!isRate(v)) errors.push(`${key}.${k} must be a number >= 0 (USD per hour), not ${JSON.stringify(v)}`);
    else out[k] = v;
  }
  return out;
}

export function parseRateCard(json: unknown): RateCard | { errors: string[] } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { errors: ['the rate card must be a JSON object'] };
  const errors: string[] = [];
  for (const key of Object.keys(json)) {
    if (!(KEYS as readonly string[]).includes(key)) errors.push(`unknown key ${key}; the keys are ${KEYS.join(', ')}`);
  }
  const o = json as Record<string, unknown>;
  const card: RateCard = {
    instanceTypes: rateMap(o.instanceTypes, 'instanceTypes', errors),
    licenseProducts: rateMap(o.licenseProducts, 'licenseProducts', errors),
    customerManagedWorkerHour: 1.0,
    customerManagedFleets: rateMap(o.customerManagedFleets, 'customerManagedFleets', errors, (k) =>
      FLEET_ID.test(k) ? undefined : 'is not a fleet ID (fleet- and 32 hex digits)',
    ),
  };
  if (o.customerManagedWorkerHour !== undefined) {
    if (isRate(o.customerManagedWorkerHour)) card.customerManagedWorkerHour = o.customerManagedWorkerHour;
    else errors.push(`customerManagedWorkerHour must be a number >= 0 (USD per hour), not ${JSON.stringify(o.customerManagedWorkerHour)}`);
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
    const rate = usage.licenseProduct !== undefined ? card.licenseProducts[usage.licenseProduct] : undefined;
    return rate !== undefined ? { rate } : { rate: 0, missing: `license product ${usage.licenseProduct}` };
  }
  if (usage.fleetKind === 'customerManaged') return { rate: card.customerManagedFleets[usage.fleetId] ?? card.customerManagedWorkerHour };
  if (usage.instanceType === undefined) return { rate: 0, missing: `compute with no instance type on service-managed fleet ${usage.fleetId}` };
  const rate = card.instanceTypes[usage.instanceType];
  return rate !== undefined ? { rate } : { rate: 0, missing: `instance type ${usage.instanceType}` };
}
