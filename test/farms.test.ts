import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateFarmCommand, DeleteFarmCommand, GetFarmCommand, ListFarmsCommand, ResourceNotFoundException,
  UpdateFarmCommand, ValidationException, paginateListFarms,
} from '@aws-sdk/client-deadline';
import { startFarmtally, type Farmtally } from './support/server.js';

let ft: Farmtally;
before(async () => (ft = await startFarmtally()));
after(async () => ft.stop());

describe('farms through the SDK', () => {
  test('create, get, update, list and delete a farm', async () => {
    const { farmId } = await ft.client.send(new CreateFarmCommand({ displayName: 'Studio', description: 'main farm' }));
    assert.match(farmId!, /^farm-[0-9a-f]{32}$/);
    const got = await ft.client.send(new GetFarmCommand({ farmId }));
    assert.equal(got.displayName, 'Studio');
    assert.equal(got.description, 'main farm');
    assert.equal(got.costScaleFactor, 1);
    assert.ok(got.createdAt instanceof Date && Math.abs(got.createdAt.getTime() - Date.now()) < 60_000);
    assert.equal(typeof got.createdBy, 'string');

    await ft.client.send(new UpdateFarmCommand({ farmId, costScaleFactor: 0.5, displayName: 'Renamed' }));
    const updated = await ft.client.send(new GetFarmCommand({ farmId }));
    assert.equal(updated.costScaleFactor, 0.5);
    assert.equal(updated.displayName, 'Renamed');
    assert.equal(updated.description, 'main farm');
    assert.ok(updated.updatedAt instanceof Date);

    const listed = await ft.client.send(new ListFarmsCommand({}));
    assert.ok(listed.farms!.some((f) => f.farmId === farmId && f.displayName === 'Renamed'));

    await ft.client.send(new DeleteFarmCommand({ farmId }));
    await assert.rejects(ft.client.send(new GetFarmCommand({ farmId })), (err) => {
      assert.ok(err instanceof ResourceNotFoundException);
      assert.equal(err.resourceType, 'farm');
      assert.equal(err.resourceId, farmId);
      return true;
    });
  });

  test('CreateFarm calls sent at once with one client token create one farm', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => ft.client.send(new CreateFarmCommand({ displayName: 'At once', clientToken: 'token-at-once' }))));
    assert.equal(new Set(answers.map((a) => a.farmId)).size, 1);
    const farms = await ft.client.send(new ListFarmsCommand({ maxResults: 100 }));
    assert.equal(farms.farms!.filter((f) => f.displayName === 'At once').length, 1);
  });

  test('a client token makes CreateFarm idempotent', async () => {
    const a = await ft.client.send(new CreateFarmCommand({ displayName: 'Idem', clientToken: 'token-1' }));
    const b = await ft.client.send(new CreateFarmCommand({ displayName: 'Idem', clientToken: 'token-1' }));
    assert.equal(a.farmId, b.farmId);
    const c = await ft.client.send(new CreateFarmCommand({ displayName: 'Idem' }));
    assert.notEqual(c.farmId, a.farmId);
    await assert.rejects(ft.client.send(new CreateFarmCommand({ displayName: 'Other', clientToken: 'token-1' })), { name: 'ConflictException' });
  });

  test('ListFarms pages with maxResults and nextToken, each farm once, in creation order', async () => {
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await ft.client.send(new CreateFarmCommand({ displayName: `page-${i}` }))).farmId!);
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateListFarms({ client: ft.client, pageSize: 3 }, {})) {
      pages++;
      assert.ok(page.farms!.length <= 3);
      seen.push(...page.farms!.map((f) => f.farmId!));
    }
    assert.ok(pages >= 3);
    assert.equal(new Set(seen).size, seen.length);
    const order = seen.filter((id) => created.includes(id));
    assert.deepEqual(order, created);
  });

  test('bad input is a ValidationException naming each field', async () => {
    await assert.rejects(ft.client.send(new CreateFarmCommand({ displayName: '' })), (err) => {
      assert.ok(err instanceof ValidationException);
      assert.equal(err.reason, 'FIELD_VALIDATION_FAILED');
      assert.deepEqual(err.fieldList!.map((f) => f.name), ['displayName']);
      return true;
    });
    await assert.rejects(ft.client.send(new CreateFarmCommand({ displayName: 'x', costScaleFactor: 101, kmsKeyArn: 'nope' })), (err) => {
      assert.ok(err instanceof ValidationException);
      assert.deepEqual(err.fieldList!.map((f) => f.name).sort(), ['costScaleFactor', 'kmsKeyArn']);
      return true;
    });
    await assert.rejects(ft.client.send(new GetFarmCommand({ farmId: 'farm-123' })), (err) => {
      assert.ok(err instanceof ValidationException);
      assert.equal(err.fieldList![0]!.name, 'farmId');
      assert.match(err.message, /farm-\[0-9a-f\]\{32\}/);
      return true;
    });
    // A well-formed ID with anything after it must not pass: patterns are matched whole.
    await assert.rejects(ft.client.send(new GetFarmCommand({ farmId: `farm-${'a'.repeat(32)}x` })), ValidationException);
    await assert.rejects(ft.client.send(new ListFarmsCommand({ maxResults: 0 })), ValidationException);
    await assert.rejects(ft.client.send(new ListFarmsCommand({ maxResults: 101 })), ValidationException);
    await assert.rejects(ft.client.send(new ListFarmsCommand({ nextToken: 'forged' })), (err) => {
      assert.ok(err instanceof ValidationException);
      assert.equal(err.fieldList![0]!.name, 'nextToken');
      return true;
    });
    await assert.rejects(ft.client.send(new UpdateFarmCommand({ farmId: `farm-${'0'.repeat(32)}` })), ResourceNotFoundException);
    await assert.rejects(ft.client.send(new DeleteFarmCommand({ farmId: `farm-${'0'.repeat(32)}` })), ResourceNotFoundException);
  });
});
