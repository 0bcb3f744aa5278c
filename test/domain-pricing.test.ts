// The rate card: parsing (one case per line: input → card or errors) and hourly rates.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_RATE_CARD, hourlyRate, parseRateCard, type PricedUsage, type RateCard } from '../src/domain/pricing.js';

const FLEET_A = `fleet-${'a'.repeat(32)}`;
const FLEET_B = `fleet-${'b'.repeat(32)}`;
const card = (c: Partial<RateCard>): RateCard => ({ ...DEFAULT_RATE_CARD, ...c });

describe('parseRateCard: valid cards', () => {
  const cases: [string, unknown, RateCard][] = [
    ['empty object: the defaults', {}, card({})],
    ['the SPEC example', { instanceTypes: { 'c5.4xlarge': 0.68 }, licenseProducts: { maya: 0.5 }, customerManagedWorkerHour: 1.0, customerManagedFleets: { [FLEET_A]: 0.8 } },
      card({ instanceTypes: { 'c5.4xlarge': 0.68 }, licenseProducts: { maya: 0.5 }, customerManagedWorkerHour: 1, customerManagedFleets: { [FLEET_A]: 0.8 } })],
    ['zero rates are rates', { instanceTypes: { 't3.micro': 0 }, customerManagedWorkerHour: 0 }, card({ instanceTypes: { 't3.micro': 0 }, customerManagedWorkerHour: 0 })],
    ['only license products', { licenseProducts: { nuke: 1.25, houdini: 2 } }, card({ licenseProducts: { nuke: 1.25, houdini: 2 } })],
  ];
  for (const [name, json, expected] of cases) it(name, () => assert.deepEqual(parseRateCard(json), expected));

  it('the default card is 1 USD per customer-managed worker hour and nothing else', () => {
    assert.deepEqual(DEFAULT_RATE_CARD, { instanceTypes: {}, licenseProducts: {}, customerManagedWorkerHour: 1, customerManagedFleets: {} });
    assert.ok(Object.isFrozen(DEFAULT_RATE_CARD) && Object.isFrozen(DEFAULT_RATE_CARD.instanceTypes));
  });

  it('a product called __proto__ is an ordinary key', () => {
    const parsed = parseRateCard(JSON.parse('{"licenseProducts": {"__proto__": 3}}')) as RateCard;
    assert.equal(Object.getPrototypeOf(parsed.licenseProducts), Object.prototype);
    assert.deepEqual(hourlyRate(parsed, { usageType: 'LICENSE', fleetId: FLEET_A, fleetKind: 'customerManaged', licenseProduct: '__proto__' }), { rate: 3 });
  });
});

describe('parseRateCard: invalid cards name every problem', () => {
  const cases: [string, unknown, RegExp[]][] = [
    ['not an object', [], [/must be a JSON object/]],
    ['null', null, [/must be a JSON object/]],
    ['unknown key', { instanceType: {} }, [/unknown key instanceType; the keys are instanceTypes, licenseProducts, customerManagedWorkerHour, customerManagedFleets/]],
    ['negative rate', { instanceTypes: { 'c5.large': -1 } }, [/instanceTypes\.c5\.large must be a number >= 0/]],
    ['string rate', { licenseProducts: { maya: '0.5' } }, [/licenseProducts\.maya must be a number >= 0 .*not "0.5"/]],
    ['null rate', { licenseProducts: { maya: null } }, [/licenseProducts\.maya must be a number/]],
    ['map is a list', { instanceTypes: [1, 2] }, [/instanceTypes must be an object/]],
    ['worker hour is text', { customerManagedWorkerHour: 'one' }, [/customerManagedWorkerHour must be a number >= 0/]],
    ['worker hour is negative', { customerManagedWorkerHour: -0.5 }, [/customerManagedWorkerHour must be a number >= 0/]],
    ['fleet key is not a fleet ID', { customerManagedFleets: { 'fleet-123': 1 } }, [/customerManagedFleets\.fleet-123: is not a fleet ID/]],
    ['fleet key in upper case', { customerManagedFleets: { [`fleet-${'A'.repeat(32)}`]: 1 } }, [/is not a fleet ID/]],
    ['fleet key with a suffix', { customerManagedFleets: { [`${FLEET_A}x`]: 1 } }, [/is not a fleet ID/]],
    ['several problems at once', { extra: 1, instanceTypes: { a: -1 }, customerManagedWorkerHour: 'x' }, [/unknown key extra/, /instanceTypes\.a/, /customerManagedWorkerHour/]],
  ];
  for (const [name, json, patterns] of cases) {
    it(name, () => {
      const result = parseRateCard(json);
      assert.ok('errors' in result, JSON.stringify(result));
      assert.equal(result.errors.length, patterns.length, result.errors.join('\n'));
      patterns.forEach((p, i) => assert.match(result.errors[i]!, p));
    });
  }
  it('Infinity and NaN are not rates', () => {
    assert.ok('errors' in parseRateCard({ instanceTypes: { a: Infinity } }));
    assert.ok('errors' in parseRateCard({ customerManagedWorkerHour: NaN }));
  });
});

describe('hourlyRate', () => {
  const rates = card({ instanceTypes: { 'c5.4xlarge': 0.68, 'c7i.large': 0 }, licenseProducts: { maya: 0.5 }, customerManagedWorkerHour: 0.9, customerManagedFleets: { [FLEET_A]: 0.8 } });
  const sm = (instanceType?: string): PricedUsage => ({ usageType: 'COMPUTE', fleetId: FLEET_B, fleetKind: 'serviceManagedEc2', ...(instanceType !== undefined && { instanceType }) });
  const cases: [string, PricedUsage, { rate: number; missing?: string }][] = [
    ['service-managed compute: its instance type', sm('c5.4xlarge'), { rate: 0.68 }],
    ['an instance type priced at 0 is not missing', sm('c7i.large'), { rate: 0 }],
    ['an unpriced instance type', sm('c5.9xlarge'), { rate: 0, missing: 'instance type c5.9xlarge' }],
    ['no instance type on a service-managed fleet', sm(), { rate: 0, missing: `instance type (unknown) on service-managed fleet ${FLEET_B}` }],
    ['an inherited property name is not a rate', sm('toString'), { rate: 0, missing: 'instance type toString' }],
    ['customer-managed fleet with its own rate', { usageType: 'COMPUTE', fleetId: FLEET_A, fleetKind: 'customerManaged', instanceType: 'c5.4xlarge' }, { rate: 0.8 }],
    ['customer-managed fleet: the worker-hour rate, whatever the instance type', { usageType: 'COMPUTE', fleetId: FLEET_B, fleetKind: 'customerManaged', instanceType: 'c5.4xlarge' }, { rate: 0.9 }],
    ['customer-managed fleet with no instance type', { usageType: 'COMPUTE', fleetId: FLEET_B, fleetKind: 'customerManaged' }, { rate: 0.9 }],
    ['license: the product rate, whatever the fleet', { usageType: 'LICENSE', fleetId: FLEET_A, fleetKind: 'customerManaged', licenseProduct: 'maya' }, { rate: 0.5 }],
    ['an unpriced license product', { usageType: 'LICENSE', fleetId: FLEET_B, fleetKind: 'serviceManagedEc2', licenseProduct: 'nuke' }, { rate: 0, missing: 'license product nuke' }],
    ['product names are case-sensitive', { usageType: 'LICENSE', fleetId: FLEET_B, fleetKind: 'serviceManagedEc2', licenseProduct: 'Maya' }, { rate: 0, missing: 'license product Maya' }],
  ];
  for (const [name, usage, expected] of cases) it(name, () => assert.deepEqual(hourlyRate(rates, usage), expected));

  it('the default card prices customer-managed hours at 1 USD', () => {
    assert.deepEqual(hourlyRate(DEFAULT_RATE_CARD, { usageType: 'COMPUTE', fleetId: FLEET_A, fleetKind: 'customerManaged' }), { rate: 1 });
  });
});
