// CreateQueue's and UpdateQueue's nested members, with the constraints the API model gives them.
import { StorageProfileId } from '../common-shapes.js';
import { enumOf, float, integer, list, optional, required, string, structure, union } from '../validation/shapes.js';

export const DefaultQueueBudgetAction = enumOf(['NONE', 'STOP_SCHEDULING_AND_COMPLETE_TASKS', 'STOP_SCHEDULING_AND_CANCEL_TASKS']);

export const JobAttachmentSettings = structure({
  s3BucketName: required(string({ min: 1, max: 255 })),
  rootPrefix: required(string({ min: 1, max: 63, pattern: '[a-zA-Z0-9-_/]+' })),
});

const PosixName = string({ min: 0, max: 31, pattern: '(?:[a-z][a-z0-9-]{0,30})?' });
export const JobRunAsUser = structure({
  posix: optional(structure({ user: required(PosixName), group: required(PosixName) })),
  windows: optional(
    structure({
      user: required(string({ min: 0, max: 111, pattern: '[^"\'/\\[\\]:;|=,+*?<>\\s]*' })),
      passwordArn: required(
        string({
          min: 20,
          max: 2048,
          pattern: 'arn:(aws[a-zA-Z-]*):secretsmanager:[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\\d{1}:\\d{12}:secret:[a-zA-Z0-9-/_+=.@]{1,2028}',
        }),
      ),
    }),
  ),
  runAs: required(enumOf(['QUEUE_CONFIGURED_USER', 'WORKER_AGENT_USER'])),
});

export const FileSystemLocationName = string({ min: 1, max: 64, pattern: '[0-9A-Za-z ]*' });
export const RequiredFileSystemLocationNames = list(FileSystemLocationName, { min: 0, max: 20 });
export const AllowedStorageProfileIds = list(StorageProfileId, { min: 0, max: 20 });
/** The two lists' bound in GetQueue's answer: a queue holds at most this many of each. */
export const MAX_QUEUE_LIST_ENTRIES = 20;

const RenderingTaskBuffer = integer({ min: 0, max: 1000 });
export const SchedulingConfiguration = union({
  priorityFifo: optional(structure({})),
  priorityBalanced: optional(structure({ renderingTaskBuffer: optional(RenderingTaskBuffer) })),
  weightedBalanced: optional(
    structure({
      priorityWeight: optional(float({ min: 0, max: 10000 })),
      errorWeight: optional(float({ min: -10000, max: 10000 })),
      submissionTimeWeight: optional(float({ min: 0, max: 10000 })),
      renderingTaskWeight: optional(float({ min: -10000, max: 10000 })),
      renderingTaskBuffer: optional(RenderingTaskBuffer),
      maxPriorityOverride: optional(union({ alwaysScheduleFirst: optional(structure({})) })),
      minPriorityOverride: optional(union({ alwaysScheduleLast: optional(structure({})) })),
    }),
  ),
});
