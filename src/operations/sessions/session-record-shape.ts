// A session record's members and their constraints (the model's where it has them): what
// the ingest operation validates each record against, and, as data, what the store's bulk
// load checks a whole body against. The compiler holds the members to the domain's list of
// record fields, and the required ones to its list of required fields.
import { REQUIRED_SESSION_RECORD_FIELDS, type SameKeys, type SessionRecordField } from '../../domain/session-record.js';
import { FleetId, InstanceType, JobId, QueueId, SessionId, SessionUserId, WorkerId } from '../common-shapes.js';
import { memberRules } from '../validation/member-rules.js';
import { list, optional, required, string, structure, timestamp, type Member } from '../validation/shapes.js';

const members = {
  sessionId: required(SessionId),
  queueId: required(QueueId),
  jobId: required(JobId),
  jobName: required(string({ min: 1, max: 128 })),
  userId: required(SessionUserId),
  fleetId: required(FleetId),
  workerId: required(WorkerId),
  instanceType: optional(InstanceType),
  startedAt: required(timestamp()),
  endedAt: optional(timestamp()),
  licenseProducts: optional(list(string({ min: 1, max: 100 }), { max: 100 })),
} satisfies Record<SessionRecordField, Member>;

type RequiredMembers = { [K in keyof typeof members]: (typeof members)[K]['required'] extends true ? K : never }[keyof typeof members];
// Both directions: every required member is listed as required in the domain, and every listed one is required here.
const sameRequired: SameKeys<RequiredMembers, (typeof REQUIRED_SESSION_RECORD_FIELDS)[number]> = true;
void sameRequired;

export const SessionRecordShape = structure(members);

/** The shape's constraints as data for the store's bulk load: licenseProducts is kept as a set (licenseProductSet). */
export const RECORD_MEMBER_RULES = memberRules(SessionRecordShape.members, ['licenseProducts']);
