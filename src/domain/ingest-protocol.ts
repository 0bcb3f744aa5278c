// The ingest route's contract (SPEC section 4), known to the server that serves it and to
// every client that sends to it: where a farm's batches go, and the counts a batch answers.

/** The route's path, `{farmId}` standing for the farm. */
export const INGEST_PATH = '/ingest/v1/farms/{farmId}/sessions';

/** The path of `farmId`'s batches. */
export function ingestPath(farmId: string): string {
  return INGEST_PATH.replace('{farmId}', encodeURIComponent(farmId));
}

/** A committed batch's counts: every record received is created, updated or unchanged. */
export interface IngestCounts {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
}

/**
 * What a committed batch answers: its counts, and the ID that names its records for
 * deletion (DeleteSessions' `batchId`): a decimal number, never used twice by a data folder.
 */
export interface IngestAnswer extends IngestCounts {
  batchId: string;
}

/** A batch ID as the answer carries it and DeleteSessions takes it: 1 to 15 decimal digits. */
export const BATCH_ID_PATTERN = '[0-9]{1,15}';
