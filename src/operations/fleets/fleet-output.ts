import type { FleetWithStatus } from '../../store/store.js';
import { audit } from '../support.js';
import { fleetCapabilities } from './fleet-capabilities.js';

// farmtally runs no workers: a fleet reports none (workerCount 0) and no scaling activity.
export const fleetSummary = (f: FleetWithStatus) => ({
  fleetId: f.fleetId,
  farmId: f.farmId,
  displayName: f.displayName,
  status: f.status,
  workerCount: 0,
  minWorkerCount: f.details.minWorkerCount ?? 0,
  maxWorkerCount: f.details.maxWorkerCount,
  configuration: f.details.configuration,
  ...audit(f),
});

export const fleetDetail = (f: FleetWithStatus) => ({
  ...fleetSummary(f),
  description: f.description,
  roleArn: f.details.roleArn,
  hostConfiguration: f.details.hostConfiguration,
  capabilities: fleetCapabilities(f.details.configuration as Record<string, unknown>),
});
