import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CreateFarmCommand, CreateQueueCommand, DeleteQueueCommand, GetQueueCommand, ListQueuesCommand, UpdateQueueCommand, ValidationException, paginateListQueues,
  type CreateQueueCommandInput, type UpdateQueueCommandInput,
} from '@aws-sdk/client-deadline';
import { absentId, rejectsConflict, rejectsNaming, rejectsNotFound } from './support/service-errors.js';
import { startFarmtally, type Farmtally } from './support/server.js';

let ft: Farmtally;
before(async () => (ft = await startFarmtally()));
after(async () => ft.stop());

const newFarm = async (name = 'farm') => (await ft.client.send(new CreateFarmCommand({ displayName: name }))).farmId!;

describe('queues through the SDK', () => {
  test('create, get, list and delete a queue; every setting comes back as given', async () => {
    const farmId = await newFarm();
    const settings = {
      description: 'comp renders',
      defaultBudgetAction: 'STOP_SCHEDULING_AND_COMPLETE_TASKS',
      jobAttachmentSettings: { s3BucketName: 'studio-bucket', rootPrefix: 'jobs/comp' },
      roleArn: 'arn:aws:iam::123456789012:role/QueueRole',
      jobRunAsUser: { posix: { user: 'render', group: 'artists' }, runAs: 'QUEUE_CONFIGURED_USER' },
      requiredFileSystemLocationNames: ['Shared Assets'],
      allowedStorageProfileIds: [`sp-${'ab'.repeat(16)}`],
      schedulingConfiguration: { weightedBalanced: { priorityWeight: 2.5, errorWeight: -1, maxPriorityOverride: { alwaysScheduleFirst: {} } } },
    } satisfies Partial<CreateQueueCommandInput>;
    const before = Date.now();
    const { queueId } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'Comp', ...settings, tags: { team: 'comp' } }));
    assert.match(queueId!, /^queue-[0-9a-f]{32}$/);

    const got = await ft.client.send(new GetQueueCommand({ farmId, queueId }));
    assert.equal(got.farmId, farmId);
    assert.equal(got.queueId, queueId);
    assert.equal(got.displayName, 'Comp');
    // A budget action and no budget: a render manager should not schedule it (queue-budget-state.test.ts).
    assert.deepEqual([got.status, got.blockedReason], ['SCHEDULING_BLOCKED', 'NO_BUDGET_CONFIGURED']);
    for (const [member, value] of Object.entries(settings)) assert.deepEqual(got[member as keyof typeof got], value, member);
    assert.ok(got.createdAt instanceof Date && got.createdAt.getTime() >= before - 1000 && got.createdAt.getTime() <= Date.now() + 1000);
    assert.equal(got.createdBy, 'farmtally');

    const listed = await ft.client.send(new ListQueuesCommand({ farmId }));
    assert.deepEqual(listed.queues!.map((q) => [q.queueId, q.displayName, q.status, q.defaultBudgetAction]), [
      [queueId, 'Comp', 'SCHEDULING_BLOCKED', 'STOP_SCHEDULING_AND_COMPLETE_TASKS'],
    ]);
    assert.equal(listed.nextToken, undefined);

    await ft.client.send(new DeleteQueueCommand({ farmId, queueId }));
    await rejectsNotFound(ft.client.send(new GetQueueCommand({ farmId, queueId })), 'queue', queueId!);
    assert.deepEqual((await ft.client.send(new ListQueuesCommand({ farmId }))).queues, []);
  });

  test('a queue created with only a name gets the defaults the model requires', async () => {
    const farmId = await newFarm();
    const { queueId } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'Plain' }));
    const got = await ft.client.send(new GetQueueCommand({ farmId, queueId }));
    assert.equal(got.status, 'IDLE');
    assert.equal(got.blockedReason, undefined);
    assert.equal(got.defaultBudgetAction, 'NONE');
    assert.equal(got.description, undefined);
    assert.equal(got.schedulingConfiguration, undefined);
  });

  test('unknown farm or queue: ResourceNotFoundException naming the missing one', async () => {
    const farmId = await newFarm();
    const noFarm = absentId('farm');
    const noQueue = absentId('queue');
    await rejectsNotFound(ft.client.send(new CreateQueueCommand({ farmId: noFarm, displayName: 'q' })), 'farm', noFarm);
    await rejectsNotFound(ft.client.send(new GetQueueCommand({ farmId: noFarm, queueId: noQueue })), 'farm', noFarm);
    await rejectsNotFound(ft.client.send(new ListQueuesCommand({ farmId: noFarm })), 'farm', noFarm);
    await rejectsNotFound(ft.client.send(new GetQueueCommand({ farmId, queueId: noQueue })), 'queue', noQueue);
    await rejectsNotFound(ft.client.send(new DeleteQueueCommand({ farmId, queueId: noQueue })), 'queue', noQueue);
    // A queue is found only in its own farm.
    const { queueId } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'mine' }));
    const otherFarm = await newFarm();
    await rejectsNotFound(ft.client.send(new GetQueueCommand({ farmId: otherFarm, queueId })), 'queue', queueId!);
    await rejectsNotFound(ft.client.send(new DeleteQueueCommand({ farmId: otherFarm, queueId })), 'queue', queueId!);
    assert.equal((await ft.client.send(new GetQueueCommand({ farmId, queueId }))).displayName, 'mine');
  });

  test('a client token makes CreateQueue idempotent within its farm', async () => {
    const farmId = await newFarm();
    const request = { farmId, displayName: 'Idem', clientToken: 'queue-token-1' };
    const a = await ft.client.send(new CreateQueueCommand(request));
    const b = await ft.client.send(new CreateQueueCommand(request));
    assert.equal(b.queueId, a.queueId);
    assert.equal((await ft.client.send(new ListQueuesCommand({ farmId }))).queues!.length, 1);
    await rejectsConflict(ft.client.send(new CreateQueueCommand({ ...request, displayName: 'Other' })), 'CONFLICT_EXCEPTION', 'clientToken', 'queue-token-1');
    // The same token in another farm is another request.
    const otherFarm = await newFarm();
    const c = await ft.client.send(new CreateQueueCommand({ ...request, farmId: otherFarm }));
    assert.notEqual(c.queueId, a.queueId);
    assert.equal((await ft.client.send(new GetQueueCommand({ farmId: otherFarm, queueId: c.queueId }))).farmId, otherFarm);
  });

  test('bad input is a ValidationException naming each member, nested ones by path', async () => {
    const farmId = await newFarm();
    const create = (extra: Partial<CreateQueueCommandInput>) => ft.client.send(new CreateQueueCommand({ farmId, displayName: 'q', ...extra } as CreateQueueCommandInput));
    await rejectsNaming(create({ displayName: '' }), ['displayName']);
    await rejectsNaming(create({ displayName: 'x'.repeat(101) }), ['displayName']);
    await rejectsNaming(create({ description: 'd'.repeat(101), roleArn: 'arn:aws:iam::123:role/short-account' }), ['description', 'roleArn']);
    await rejectsNaming(create({ defaultBudgetAction: 'SPEND_MORE' as never }), ['defaultBudgetAction']);
    await rejectsNaming(create({ jobAttachmentSettings: { s3BucketName: 'b', rootPrefix: 'has space' } }), ['jobAttachmentSettings.rootPrefix']);
    await rejectsNaming(create({ jobAttachmentSettings: { rootPrefix: 'p' } as never }), ['jobAttachmentSettings.s3BucketName']);
    await rejectsNaming(create({ jobRunAsUser: { runAs: 'ROOT' as never, posix: { user: 'Render', group: 'g' } } }), ['jobRunAsUser.runAs', 'jobRunAsUser.posix.user']);
    await rejectsNaming(create({ jobRunAsUser: { runAs: 'WORKER_AGENT_USER', windows: { user: 'r', passwordArn: 'arn:aws:secretsmanager:x' } } }), [
      'jobRunAsUser.windows.passwordArn',
    ]);
    await rejectsNaming(create({ requiredFileSystemLocationNames: Array.from({ length: 21 }, (_, i) => `loc ${i}`) }), ['requiredFileSystemLocationNames']);
    await rejectsNaming(create({ requiredFileSystemLocationNames: ['ok', 'not-ok!'] }), ['requiredFileSystemLocationNames.2']);
    await rejectsNaming(create({ allowedStorageProfileIds: ['sp-123'] }), ['allowedStorageProfileIds.1']);
    await rejectsNaming(create({ schedulingConfiguration: {} as never }), ['schedulingConfiguration']);
    await rejectsNaming(create({ schedulingConfiguration: { priorityFifo: {}, priorityBalanced: {} } as never }), ['schedulingConfiguration']);
    await rejectsNaming(create({ schedulingConfiguration: { priorityBalanced: { renderingTaskBuffer: 1001 } } }), [
      'schedulingConfiguration.priorityBalanced.renderingTaskBuffer',
    ]);
    await rejectsNaming(create({ schedulingConfiguration: { weightedBalanced: { errorWeight: -10001, maxPriorityOverride: {} as never } } }), [
      'schedulingConfiguration.weightedBalanced.errorWeight',
      'schedulingConfiguration.weightedBalanced.maxPriorityOverride',
    ]);
    await rejectsNaming(ft.client.send(new CreateQueueCommand({ farmId: 'farm-1', displayName: 'q' })), ['farmId']);
    await rejectsNaming(ft.client.send(new GetQueueCommand({ farmId, queueId: `queue-${'a'.repeat(32)}x` })), ['queueId']);
    await rejectsNaming(ft.client.send(new ListQueuesCommand({ farmId, status: 'BUSY' as never })), ['status']);
    await rejectsNaming(ft.client.send(new ListQueuesCommand({ farmId, principalId: 'someone' })), ['principalId']);
    await rejectsNaming(ft.client.send(new ListQueuesCommand({ farmId, maxResults: 101 })), ['maxResults']);
    // Nothing was created by any of the refused requests.
    assert.deepEqual((await ft.client.send(new ListQueuesCommand({ farmId }))).queues, []);
  });

  test('ListQueues pages in creation order, filters by status, and keeps tokens to their farm and filter', async () => {
    const farmId = await newFarm();
    const otherFarm = await newFarm();
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await ft.client.send(new CreateQueueCommand({ farmId, displayName: `q-${i}` }))).queueId!);
    await ft.client.send(new CreateQueueCommand({ farmId: otherFarm, displayName: 'elsewhere' }));

    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateListQueues({ client: ft.client, pageSize: 3 }, { farmId })) {
      pages++;
      assert.ok(page.queues!.length <= 3);
      seen.push(...page.queues!.map((q) => q.queueId!));
    }
    assert.equal(pages, 3);
    assert.deepEqual(seen, created);

    // principalId is accepted (and ignored: farmtally has no Identity Center members).
    const principalId = '0123456789-01234567-89ab-cdef-0123-456789abcdef';
    const idle: string[] = [];
    for await (const page of paginateListQueues({ client: ft.client, pageSize: 2 }, { farmId, status: 'IDLE', principalId })) idle.push(...page.queues!.map((q) => q.queueId!));
    assert.deepEqual(idle, created);
    // farmtally schedules nothing, so no queue is SCHEDULING: the filter must leave none.
    assert.deepEqual((await ft.client.send(new ListQueuesCommand({ farmId, status: 'SCHEDULING' }))).queues, []);

    const first = await ft.client.send(new ListQueuesCommand({ farmId, maxResults: 2 }));
    assert.ok(first.nextToken);
    const second = await ft.client.send(new ListQueuesCommand({ farmId, maxResults: 2, nextToken: first.nextToken }));
    assert.deepEqual(second.queues!.map((q) => q.queueId), created.slice(2, 4));
    for (const misuse of [{ farmId: otherFarm }, { farmId, status: 'IDLE' as const }]) {
      await assert.rejects(ft.client.send(new ListQueuesCommand({ ...misuse, nextToken: first.nextToken })), (err) => {
        assert.ok(err instanceof ValidationException);
        assert.equal(err.fieldList![0]!.name, 'nextToken');
        return true;
      });
    }
  });
});

describe('UpdateQueue through the SDK', () => {
  const sp = (c: string) => `sp-${c.repeat(32)}`;

  test('every member it takes is updated and read back; what it does not name stays; updatedAt and updatedBy are set', async () => {
    const farmId = await newFarm();
    const { queueId } = await ft.client.send(new CreateQueueCommand({
      farmId, displayName: 'Comp', description: 'before', roleArn: 'arn:aws:iam::123456789012:role/Old',
      requiredFileSystemLocationNames: ['Shared', 'Scratch'], allowedStorageProfileIds: [sp('a')],
      schedulingConfiguration: { weightedBalanced: { priorityWeight: 2 } },
    }));
    const created = await ft.client.send(new GetQueueCommand({ farmId, queueId }));
    assert.equal(created.updatedAt, undefined);
    const before = Date.now();
    await ft.client.send(new UpdateQueueCommand({
      farmId, queueId, clientToken: 'update-1',
      displayName: 'Comp v2', description: 'after',
      defaultBudgetAction: 'STOP_SCHEDULING_AND_CANCEL_TASKS',
      jobAttachmentSettings: { s3BucketName: 'bucket-2', rootPrefix: 'jobs/v2' },
      roleArn: 'arn:aws:iam::123456789012:role/New',
      jobRunAsUser: { runAs: 'WORKER_AGENT_USER' },
      requiredFileSystemLocationNamesToAdd: ['Archive', 'Shared'],
      requiredFileSystemLocationNamesToRemove: ['Scratch', 'Never There'],
      allowedStorageProfileIdsToAdd: [sp('b'), sp('c')],
      allowedStorageProfileIdsToRemove: [sp('a')],
      schedulingConfiguration: { priorityBalanced: { renderingTaskBuffer: 3 } },
    }));
    const got = await ft.client.send(new GetQueueCommand({ farmId, queueId }));
    assert.deepEqual(
      {
        displayName: got.displayName, description: got.description, defaultBudgetAction: got.defaultBudgetAction, jobAttachmentSettings: got.jobAttachmentSettings,
        roleArn: got.roleArn, jobRunAsUser: got.jobRunAsUser, requiredFileSystemLocationNames: got.requiredFileSystemLocationNames,
        allowedStorageProfileIds: got.allowedStorageProfileIds, schedulingConfiguration: got.schedulingConfiguration,
      },
      {
        displayName: 'Comp v2', description: 'after', defaultBudgetAction: 'STOP_SCHEDULING_AND_CANCEL_TASKS', jobAttachmentSettings: { s3BucketName: 'bucket-2', rootPrefix: 'jobs/v2' },
        roleArn: 'arn:aws:iam::123456789012:role/New', jobRunAsUser: { runAs: 'WORKER_AGENT_USER' }, requiredFileSystemLocationNames: ['Shared', 'Archive'],
        // schedulingConfiguration is replaced whole, as the model says.
        allowedStorageProfileIds: [sp('b'), sp('c')], schedulingConfiguration: { priorityBalanced: { renderingTaskBuffer: 3 } },
      },
    );
    assert.ok(got.updatedAt instanceof Date && got.updatedAt.getTime() >= before - 1000 && got.updatedAt.getTime() <= Date.now() + 1000);
    assert.equal(got.updatedBy, 'farmtally');
    assert.deepEqual([got.createdAt, got.createdBy], [created.createdAt, created.createdBy]);
    const listed = (await ft.client.send(new ListQueuesCommand({ farmId }))).queues![0]!;
    assert.deepEqual([listed.displayName, listed.defaultBudgetAction, listed.updatedBy], ['Comp v2', 'STOP_SCHEDULING_AND_CANCEL_TASKS', 'farmtally']);

    // Sent again (a retry, same token): the same queue. A name alone changes only the name.
    await ft.client.send(new UpdateQueueCommand({ farmId, queueId, clientToken: 'update-1', requiredFileSystemLocationNamesToAdd: ['Archive', 'Shared'] }));
    await ft.client.send(new UpdateQueueCommand({ farmId, queueId, displayName: 'Comp v3' }));
    const again = await ft.client.send(new GetQueueCommand({ farmId, queueId }));
    assert.deepEqual(again.requiredFileSystemLocationNames, ['Shared', 'Archive']);
    assert.deepEqual([again.displayName, again.description, again.roleArn], ['Comp v3', 'after', 'arn:aws:iam::123456789012:role/New']);
    // Removing every entry leaves an empty list; adding to a list never set starts one.
    const { queueId: plain } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'Plain' }));
    await ft.client.send(new UpdateQueueCommand({ farmId, queueId, requiredFileSystemLocationNamesToRemove: ['Shared', 'Archive'] }));
    await ft.client.send(new UpdateQueueCommand({ farmId, queueId: plain, allowedStorageProfileIdsToAdd: [sp('d')] }));
    assert.deepEqual((await ft.client.send(new GetQueueCommand({ farmId, queueId }))).requiredFileSystemLocationNames, []);
    assert.deepEqual((await ft.client.send(new GetQueueCommand({ farmId, queueId: plain }))).allowedStorageProfileIds, [sp('d')]);
  });

  test('unknown farm or queue: ResourceNotFoundException naming the missing one; a queue only in its farm', async () => {
    const farmId = await newFarm();
    const noFarm = absentId('farm');
    const noQueue = absentId('queue');
    await rejectsNotFound(ft.client.send(new UpdateQueueCommand({ farmId: noFarm, queueId: noQueue, displayName: 'x' })), 'farm', noFarm);
    await rejectsNotFound(ft.client.send(new UpdateQueueCommand({ farmId, queueId: noQueue, displayName: 'x' })), 'queue', noQueue);
    const { queueId } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'mine' }));
    const otherFarm = await newFarm();
    await rejectsNotFound(ft.client.send(new UpdateQueueCommand({ farmId: otherFarm, queueId, displayName: 'x' })), 'queue', queueId!);
    await ft.client.send(new DeleteQueueCommand({ farmId, queueId }));
    await rejectsNotFound(ft.client.send(new UpdateQueueCommand({ farmId, queueId, displayName: 'x' })), 'queue', queueId!);
  });

  test("bad input is a ValidationException naming each member, with the model's constraints; nothing is changed", async () => {
    const farmId = await newFarm();
    const { queueId } = await ft.client.send(new CreateQueueCommand({ farmId, displayName: 'q', requiredFileSystemLocationNames: ['a'] }));
    const update = (extra: Partial<UpdateQueueCommandInput>) => ft.client.send(new UpdateQueueCommand({ farmId, queueId, ...extra } as UpdateQueueCommandInput));
    await rejectsNaming(update({ displayName: '' }), ['displayName']);
    await rejectsNaming(update({ displayName: 'x'.repeat(101), description: 'd'.repeat(101) }), ['displayName', 'description']);
    await rejectsNaming(update({ defaultBudgetAction: 'SPEND_MORE' as never, roleArn: 'arn:aws:iam::123:role/short-account' }), ['defaultBudgetAction', 'roleArn']);
    await rejectsNaming(update({ jobAttachmentSettings: { s3BucketName: '', rootPrefix: 'p' } }), ['jobAttachmentSettings.s3BucketName']);
    await rejectsNaming(update({ jobRunAsUser: { posix: { user: 'Root', group: 'g' } } as never }), ['jobRunAsUser.runAs', 'jobRunAsUser.posix.user']);
    await rejectsNaming(update({ requiredFileSystemLocationNamesToAdd: ['ok', 'not-ok!'], requiredFileSystemLocationNamesToRemove: [''] }), [
      'requiredFileSystemLocationNamesToAdd.2', 'requiredFileSystemLocationNamesToRemove.1',
    ]);
    await rejectsNaming(update({ allowedStorageProfileIdsToAdd: ['sp-1'], allowedStorageProfileIdsToRemove: Array.from({ length: 21 }, () => sp('a')) }), [
      'allowedStorageProfileIdsToAdd.1', 'allowedStorageProfileIdsToRemove',
    ]);
    await rejectsNaming(update({ schedulingConfiguration: { priorityFifo: {}, priorityBalanced: {} } as never }), ['schedulingConfiguration']);
    await rejectsNaming(update({ schedulingConfiguration: { weightedBalanced: { priorityWeight: 10001 } } }), ['schedulingConfiguration.weightedBalanced.priorityWeight']);
    await rejectsNaming(ft.client.send(new UpdateQueueCommand({ farmId, queueId: 'queue-1', displayName: 'x' })), ['queueId']);
    // More than 20 after the update: the answer's list could not hold them.
    const many = Array.from({ length: 20 }, (_, i) => `loc ${i}`);
    await rejectsNaming(update({ requiredFileSystemLocationNamesToAdd: many }), ['requiredFileSystemLocationNamesToAdd']);
    const got = await ft.client.send(new GetQueueCommand({ farmId, queueId }));
    assert.deepEqual([got.displayName, got.requiredFileSystemLocationNames, got.updatedAt], ['q', ['a'], undefined]);
    // Removing one makes room.
    await update({ requiredFileSystemLocationNamesToAdd: many, requiredFileSystemLocationNamesToRemove: ['a'] });
    assert.deepEqual((await ft.client.send(new GetQueueCommand({ farmId, queueId }))).requiredFileSystemLocationNames, many);
  });
});
