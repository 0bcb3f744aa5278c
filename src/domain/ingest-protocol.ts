// The ingest route's contract (SPEC section 4), known to the server that serves it and to
// every client that sends to it: where a farm's batches go, and the counts a batch answers.

/** The route's path, `{farmId}` standing for the farm. */
export const INGEST_PATH = '/ingest/v1/farms/{farmId}/sessions';

/** The path of `farmId`'s batches. */
export function ingestPath(farmId: string): string {
  return INGEST_PATH.replace('{farmId}', encodeURIComponent(farmId));
}

/** What a committed batch answers: every record received is created, updated or unchanged. */
export interface IngestCounts {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
}
