// A real, small file system for disk-full tests: a tmpfs mounted on a fresh folder (needs
// root, as CI and these machines have), with a filler file that leaves a chosen number of
// bytes free. Where mounting is not allowed the tests skip, saying why, unless
// FARMTALLY_REQUIRE_DISK_TESTS=1 (set by .ci/run) makes that a failure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  path: string;
  /** Bytes free now. */
  free(): number;
  /** Fills the disk until only `bytes` are free (rounded to its blocks). */
  fillLeaving(bytes: number): void;
  /** Removes the filler. */
  makeRoom(): void;
  unmount(): void;
}

/** Mounts a tmpfs of `megabytes`, or says why it cannot (the reason to skip). */
export function mountSmallDisk(megabytes: number): SmallDisk | string {
  const path = mkdtempSync(join(tmpdir(), 'farmtally-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (err) {
    rmSync(path, { recursive: true, force: true });
    const why = `cannot mount a small tmpfs here (${(err as Error).message.split('\n')[0]}); disk-full tests need root`;
    if (process.env.FARMTALLY_REQUIRE_DISK_TESTS === '1') throw new Error(why);
    return why;
  }
  const filler = join(path, 'filler');
  const free = () => {
    const s = statfsSync(path);
    return s.bavail * s.bsize;
  };
  return {
    path,
    free,
    fillLeaving(bytes) {
      writeFileSync(filler, Buffer.alloc(Math.max(0, free() - bytes)), { flag: 'a' });
    },
    makeRoom() {
      rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', ['-l', path], { stdio: 'pipe' });
      rmSync(path, { recursive: true, force: true });
    },
  };
}
