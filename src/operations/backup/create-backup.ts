// CreateBackup, farmtally's extension: a consistent copy of everything the server stores,
// taken while it serves (every batch acknowledged before the copy began, none in part),
// sent as the response body. The copy is a data file: put it in an empty folder as
// `x-farmtally-file-name` says and `serve --data` that folder to restore it. It holds every
// farm, so only a caller granted every farm may take one. Served under --strict too: like
// ingest, it is how an operator runs the server, not part of the service's API.
import { accessDenied, validationError } from '../errors.js';
import { BlobOutput } from '../blob-output.js';
import { defineOperation } from '../operation.js';
import { structure } from '../validation/shapes.js';

export const BACKUP_PATH = '/backup/v1';

export const createBackup = defineOperation({
  name: 'CreateBackup',
  method: 'POST',
  path: BACKUP_PATH,
  input: structure({}),
  async handle(_input, ctx) {
    if (ctx.grantedFarms !== '*') {
      throw accessDenied(`A backup holds every farm, so ${ctx.caller} may not take one: it needs "farms": ["*"] in the credentials file (farmtally credentials update).`);
    }
    if (!ctx.store.backup) {
      throw validationError(
        'This server keeps its data in a cluster (ClickHouse and PostgreSQL), which farmtally does not copy: back them up with their own tools (ALTER TABLE ... FREEZE or clickhouse-backup on each shard, pg_dump for the state), or copy the data into an embedded store with farmtally copy.',
        [],
        'OTHER',
      );
    }
    const copy = await ctx.store.backup();
    return new BlobOutput(
      'application/octet-stream',
      copy.bytes,
      () => copy.chunks(),
      { 'x-farmtally-file-name': copy.fileName, 'x-farmtally-sessions': String(copy.sessions) },
      () => copy.release(),
    );
  },
});
