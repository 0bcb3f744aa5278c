import type { DemoIds } from '../../src/demo/generate.js';
import type { ClusterTarget, ScratchDatabases } from './scratch.js';

export interface IngestPathOptions {
  target: ClusterTarget;
  scratch: ScratchDatabases;
  farmId: string;
  ids: DemoIds;
  sessions: number;
  runs: number;
  scratches: ScratchDatabases[];
  log: (line: string) => void;
}

export async function measureIngestPath(_o: IngestPathOptions): Promise<string> {
  return '';
}
