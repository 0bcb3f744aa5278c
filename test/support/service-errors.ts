// Assertions on the service errors the SDK raises, so tests say which error and which
// field or resource they expect in one line.
import assert from 'node:assert/strict';
import { ConflictException, ResourceNotFoundException, ValidationException } from '@aws-sdk/client-deadline';

/** Rejects with ValidationException FIELD_VALIDATION_FAILED whose fieldList names exactly `fields` (any order). */
export async function rejectsNaming(call: Promise<unknown>, fields: string[]): Promise<ValidationException> {
  let caught: unknown;
  await assert.rejects(call, (err) => ((caught = err), true));
  assert.ok(caught instanceof ValidationException, `expected ValidationException, got ${String(caught)}`);
  assert.equal(caught.reason, 'FIELD_VALIDATION_FAILED');
  assert.deepEqual((caught.fieldList ?? []).map((f) => f.name).sort(), [...fields].sort(), caught.message);
  return caught;
}

/** Rejects with ResourceNotFoundException for that resource. */
export async function rejectsNotFound(call: Promise<unknown>, resourceType: string, resourceId: string): Promise<void> {
  await assert.rejects(call, (err) => {
    assert.ok(err instanceof ResourceNotFoundException, `expected ResourceNotFoundException, got ${String(err)}`);
    assert.equal(err.resourceType, resourceType);
    assert.equal(err.resourceId, resourceId);
    return true;
  });
}

/** Rejects with ConflictException with that reason, about that resource. */
export async function rejectsConflict(call: Promise<unknown>, reason: string, resourceType: string, resourceId: string): Promise<void> {
  await assert.rejects(call, (err) => {
    assert.ok(err instanceof ConflictException, `expected ConflictException, got ${String(err)}`);
    assert.equal(err.reason, reason);
    assert.equal(err.resourceType, resourceType);
    assert.equal(err.resourceId, resourceId);
    return true;
  });
}

/** A well-formed ID that no resource has. */
export const absentId = (prefix: string): string => `${prefix}-${'0'.repeat(32)}`;
