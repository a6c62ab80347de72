/**
 * Writing output files atomically: bytes go to a temporary file beside the target, are
 * checked, then renamed into place. A failed or refused write leaves nothing behind, and
 * neither does a process that exits in the middle (its temporary files are removed as it
 * exits; only a kill that gives it no chance to can leave one).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, unlinkSync } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { closeFd, openFd, readFd, writevFd } from './descriptors';
import { closeSource, openSource, type SourceFile } from './in-place';
import { allInMemory, partsLength, readParts, type OutputPart } from './output-parts';

/** Size and MD5 (lowercase hex) of written bytes. */
export interface WrittenFile {
  size: number;
  md5: string;
}

/** Bytes read at once when comparing a file with bytes in memory. */
const COMPARE_CHUNK = 1 << 20;

/** A temporary name beside `path`, hidden and unique. */
export function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.som-${randomBytes(6).toString('hex')}.tmp`);
}

/** Temporary files that may exist: removed if the process exits before they are done with. */
const unfinished = new Set<string>();

/** Remove every unfinished temporary file (synchronously: the process is exiting). */
function removeUnfinished(): void {
  for (const temp of unfinished) {
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already gone
    }
  }
}

/**
 * Note that the temporary file `temp` may be written (here or by another thread): it is
 * removed if the process exits before the returned function is called (once it was renamed
 * or removed).
 */
export function trackTemporary(temp: string): () => void {
  if (unfinished.size === 0) process.on('exit', removeUnfinished);
  unfinished.add(temp);
  return () => {
    unfinished.delete(temp);
    if (unfinished.size === 0) process.off('exit', removeUnfinished);
  };
}

/** Write `parts` one after the other into the new file `path`. */
async function writeParts(path: string, parts: readonly OutputPart[]): Promise<void> {
  const fd = await openFd(path, 'wx');
  try {
    // Parts in memory go in one call; spans of a file are copied a window at a time.
    if (!allInMemory(parts)) {
      for await (const chunk of readParts(parts)) await writeAll(fd, [chunk]);
      return;
    }
    await writeAll(fd, parts);
  } finally {
    await closeFd(fd);
  }
}

/** Write all of `buffers` at the descriptor's position. */
async function writeAll(fd: number, buffers: readonly Buffer[]): Promise<void> {
  let pending = buffers.filter((part) => part.length > 0);
  while (pending.length > 0) {
    // A write may take fewer bytes than given: go on from where it stopped.
    let { bytesWritten } = await writevFd(fd, pending);
    while (pending.length > 0 && bytesWritten >= (pending[0] as Buffer).length) {
      bytesWritten -= (pending[0] as Buffer).length;
      pending = pending.slice(1);
    }
    if (bytesWritten > 0)
      pending = [(pending[0] as Buffer).subarray(bytesWritten), ...pending.slice(1)];
  }
}

/** Stream `source` into the new file `path`, hashing it on the way for `check`. */
async function writeChecked(
  path: string,
  source: Readable,
  check: (written: WrittenFile) => void,
): Promise<void> {
  const hash = createHash('md5');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  await pipeline(source, measure, createWriteStream(path, { flags: 'wx' }));
  check({ size, md5: hash.digest('hex') });
}

/**
 * Write `source` to `path` atomically, creating parent directories: a stream whose size and
 * MD5 `check` sees before the rename (when it throws, the temporary file is removed and
 * nothing is written), or bytes in parts, written in order without joining them. The
 * temporary file is `temp` (default {@link temporaryPathFor}), which must not exist.
 */
export async function writeFileAtomically(
  path: string,
  source: Readable | readonly OutputPart[],
  check: (written: WrittenFile) => void = () => undefined,
  temp = temporaryPathFor(path),
): Promise<void> {
  const done = trackTemporary(temp);
  try {
    await mkdir(dirname(path), { recursive: true });
    if (Array.isArray(source)) await writeParts(temp, source);
    else await writeChecked(temp, source as Readable, check);
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  } finally {
    done();
  }
}

/**
 * True when the file at `path` holds exactly the bytes of `parts` (false when it does not
 * exist): compared as read, without hashing either.
 */
export async function fileHolds(path: string, parts: readonly OutputPart[]): Promise<boolean> {
  let file: SourceFile;
  try {
    file = await openSource(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  try {
    const size = partsLength(parts);
    if (file.size !== size) return false;
    const buffer = Buffer.allocUnsafe(Math.min(COMPARE_CHUNK, Math.max(size, 1)));
    let position = 0;
    for await (const part of readParts(parts, COMPARE_CHUNK)) {
      for (let offset = 0; offset < part.length;) {
        const want = Math.min(buffer.length, part.length - offset);
        const { bytesRead } = await readFd(file.fd, buffer, 0, want, position);
        if (bytesRead === 0) return false; // shorter than its size said: changed meanwhile
        if (!buffer.subarray(0, bytesRead).equals(part.subarray(offset, offset + bytesRead)))
          return false;
        offset += bytesRead;
        position += bytesRead;
      }
    }
    return true;
  } finally {
    await closeSource(file);
  }
}
