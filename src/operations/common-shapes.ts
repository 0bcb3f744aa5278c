// Shapes that many operations share, with the constraints the API model gives them.
import { MODEL_PAGE_MAX } from '../domain/aggregation-limits.js';
import { boolean, enumOf, float, header, integer, map, query, string, uri } from './validation/shapes.js';

export const FarmId = string({ pattern: 'farm-[0-9a-f]{32}' });
export const QueueId = string({ pattern: 'queue-[0-9a-f]{32}' });
export const FleetId = string({ pattern: 'fleet-[0-9a-f]{32}' });
export const JobId = string({ pattern: 'job-[0-9a-f]{32}' });
export const SessionId = string({ pattern: 'session-[0-9a-f]{32}' });
export const WorkerId = string({ pattern: 'worker-[0-9a-f]{32}' });
export const StorageProfileId = string({ pattern: 'sp-[0-9a-f]{32}' });
export const AggregationId = string({ pattern: '[0-9a-f]{32}' });

export const ResourceName = string({ min: 1, max: 100 });
export const Description = string({ min: 0, max: 100 });
export const ClientToken = string({ min: 1, max: 64 });
export const NextToken = string({ min: 0, max: 4096 });
export const MaxResults = integer({ min: 1, max: MODEL_PAGE_MAX });
export const CostScaleFactor = float({ min: 0, max: 100 });
export const Tags = map(string());
export const KmsKeyArn = string({ pattern: 'arn:(aws[a-zA-Z-]*):kms:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\\d{1}:\\d{12}:key/[\\w-]{1,120}' });
export const IamRoleArn = string({ pattern: 'arn:(aws[a-zA-Z-]*):iam::\\d{12}:role(/[!-.0-~]+)*/[\\w+=,.@-]+' });
export const InstanceType = string({ min: 1, max: 100 });
/** A session's userId: the model leaves it unconstrained; farmtally bounds it like a job name. */
export const SessionUserId = string({ min: 1, max: 128 });
export const IdentityCenterPrincipalId = string({
  min: 1,
  max: 47,
  pattern: '([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}',
});
export const QueueStatus = enumOf(['IDLE', 'SCHEDULING', 'SCHEDULING_BLOCKED']);
export const FleetStatus = enumOf(['ACTIVE', 'CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'CREATE_FAILED', 'UPDATE_FAILED', 'SUSPENDED']);

// Members bound to the URI, query string and headers, as most operations declare them.
export const farmIdInPath = uri(FarmId);
export const queueIdInPath = uri(QueueId);
export const fleetIdInPath = uri(FleetId);
export const jobIdInPath = uri(JobId);
export const sessionIdInPath = uri(SessionId);
export const clientTokenHeader = header('X-Amz-Client-Token', ClientToken);
export const paging = { nextToken: query(NextToken), maxResults: query(MaxResults) };
/**
 * DeleteFarm/DeleteQueue/DeleteFleet's extension: `?withSessions=true` deletes the resource
 * with every session naming it, where the model's answer is ConflictException. Ignored under
 * --strict, as the service ignores a query parameter it does not know.
 */
export const withSessionsQuery = query(boolean());
