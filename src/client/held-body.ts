// A batch's body held until it is whole, so that its SHA-256 can be signed before its first
// byte is sent (over plain http a server takes no unsigned body: client/credentials.ts):
// hashed as it is written, in memory up to a bound, and past the bound in a temporary file
// of its own. The file is unlinked as soon as it is open (it is read back through the open
// handle), so nothing is left behind however the process ends; where the system cannot
// unlink an open file, it is removed when the body is let go.
import { createHash, randomBytes } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A batch's bytes held in memory; past them, the batch goes to a temporary file. */
export const HELD_IN_MEMORY_BYTES = 8 * 1024 * 1024;
/** Bytes read back from the file at a time. */
const READ_BYTES = 1 << 20;

export class HeldBody {
  /** The bytes written so far. */
  size = 0;
  private readonly hash = createHash('sha256');
  private hex: string | undefined;
  private chunks: Buffer[] = [];
  private file: { handle: FileHandle; path: string | undefined } | undefined;

  constructor(private readonly memoryBytes = HELD_IN_MEMORY_BYTES) {}

  /** Whether the body went past the memory bound into a temporary file. */
  get inFile(): boolean {
    return this.file !== undefined;
  }

  async write(bytes: Buffer): Promise<void> {
    if (this.hex !== undefined) throw new Error('the held body is complete: it takes no more bytes');
    if (bytes.length === 0) return;
    this.hash.update(bytes);
    if (!this.file && this.size + bytes.length <= this.memoryBytes) {
      this.chunks.push(Buffer.from(bytes)); // a copy: the caller may reuse its buffer
    } else {
      if (!this.file) await this.spill();
      await this.append(bytes);
    }
    this.size += bytes.length;
  }

  /** The SHA-256 in hex of every byte written; no more may be written after. */
  sha256(): string {
    this.hex ??= this.hash.digest('hex');
    return this.hex;
  }

  /** The bytes as written, from the first (a new buffer each, as they may wait in a socket's queue). */
  async *read(): AsyncGenerator<Buffer> {
    if (!this.file) {
      yield* this.chunks;
      return;
    }
    for (let position = 0; position < this.size; ) {
      const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, this.size - position));
      const { bytesRead } = await this.file.handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) throw new Error('the temporary file of a held batch ended early');
      position += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  }

  /** Lets the bytes go: the memory, and the file (closed, and removed if it still has a name). */
  async dispose(): Promise<void> {
    this.chunks = [];
    const file = this.file;
    this.file = undefined;
    if (!file) return;
    await file.handle.close().catch(() => undefined);
    if (file.path) await unlink(file.path).catch(() => undefined);
  }

  /** Moves what memory holds into a new temporary file, readable only by this user. */
  private async spill(): Promise<void> {
    const path = join(tmpdir(), `farmtally-batch-${process.pid}-${randomBytes(6).toString('hex')}`);
    const handle = await open(path, 'wx+', 0o600);
    let name: string | undefined = path;
    try {
      await unlink(path);
      name = undefined;
    } catch {
      // Windows: an open file keeps its name until it is closed; dispose removes it.
    }
    this.file = { handle, path: name };
    const held = this.chunks;
    this.chunks = [];
    this.size = 0;
    for (const chunk of held) {
      await this.append(chunk);
      this.size += chunk.length;
    }
  }

  /** Writes all of `bytes` at the end of the file (the file's end is `size`). */
  private async append(bytes: Buffer): Promise<void> {
    for (let done = 0; done < bytes.length; ) {
      const { bytesWritten } = await this.file!.handle.write(bytes, done, bytes.length - done, this.size + done);
      done += bytesWritten;
    }
  }
}
