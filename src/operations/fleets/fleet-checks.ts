// CreateFleet rules that span members, run after the shape's own checks pass: every range
// in the configuration (vCPUs, memory, accelerators, custom amounts) and the worker counts
// must have min <= max, or the fleet could never have a worker.
import type { FieldFailure } from '../errors.js';

function rangeFailures(value: unknown, path: string, out: FieldFailure[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => rangeFailures(item, `${path}.${i + 1}`, out));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const { min, max } = value as { min?: unknown; max?: unknown };
  if (typeof min === 'number' && typeof max === 'number' && min > max) {
    out.push({ name: path, message: `Value at '${path}' failed to satisfy constraint: min (${min}) must not be greater than max (${max})` });
  }
  for (const [key, child] of Object.entries(value)) rangeFailures(child, `${path}.${key}`, out);
}

export function fleetRangeFailures(input: { minWorkerCount?: number; maxWorkerCount: number; configuration: unknown }): FieldFailure[] {
  const failures: FieldFailure[] = [];
  if (input.minWorkerCount !== undefined && input.minWorkerCount > input.maxWorkerCount) {
    failures.push({
      name: 'minWorkerCount',
      message: `Value '${input.minWorkerCount}' at 'minWorkerCount' failed to satisfy constraint: must not be greater than maxWorkerCount (${input.maxWorkerCount})`,
    });
  }
  rangeFailures(input.configuration, 'configuration', failures);
  return failures;
}
