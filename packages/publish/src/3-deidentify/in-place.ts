/**
 * A de-identified file assembled in the memory of the file it came from. The de-identifier
 * returns the output as parts: new header bytes, then a slice of the input reaching to its
 * end (the pixel data, never copied). Reading the input with some room in front of it lets
 * the header parts be copied to just before that slice, so the whole output is one view of
 * the input's memory: no second buffer the size of the file, and one ArrayBuffer to hand to
 * another thread.
 */
import { errorKind } from '@som/core';
import { closeFd, fstatFd, openFd, readFd } from './descriptors';
import { FileFailure } from './failure';

/** Room left in front of a file read by {@link readWithHeadroom}: headers grow by less. */
export const HEADROOM = 64 * 1024;

/**
 * The largest file read into memory whole (1 GiB): a larger one that cannot be
 * de-identified around its pixel data (see around-pixels.ts) is refused as that file's
 * failure, before any of it is read.
 */
export const MAX_FILE_BYTES_IN_MEMORY = 1024 * 1024 * 1024;

/** The most bytes one read asks for (a read of 2 GiB or more fails inside Node). */
const MAX_READ_BYTES = 256 * 1024 * 1024;

/** The error of a file too large to be read into memory. */
export function tooLargeForMemory(size: number, limit: number, why = ''): FileFailure {
  return new FileFailure(
    'ResourceExhausted',
    `too large to de-identify in memory${why}: ${size} bytes, the limit is ${limit} bytes`,
    'too-large',
  );
}

/** Reads up to `length` bytes of a file at `position` into `target` from `offset`. */
export type ReadAt = (
  target: Buffer,
  offset: number,
  length: number,
  position: number,
) => Promise<{ bytesRead: number }>;

/**
 * Fill `target` with what `readAt` reads from `position` on, in reads of at most 256 MiB;
 * fewer bytes only at the end of the file. Returns how many were read.
 */
export async function readFully(readAt: ReadAt, target: Buffer, position: number): Promise<number> {
  let done = 0;
  while (done < target.length) {
    const want = Math.min(target.length - done, MAX_READ_BYTES);
    const { bytesRead } = await readAt(target, done, want, position + done);
    if (bytesRead === 0) break; // the end of the file (it may have shrunk)
    done += bytesRead;
  }
  return done;
}

/**
 * A file open for reading through a plain descriptor (cheaper than a `FileHandle`, which
 * reading a file a few hundred KB large in a few calls made show), with its size when opened.
 */
export interface SourceFile {
  readonly fd: number;
  readonly size: number;
}

/** Open the file at `path` for reading, and learn its size. */
export async function openSource(path: string): Promise<SourceFile> {
  const fd = await openFd(path, 'r');
  try {
    return { fd, size: (await fstatFd(fd)).size };
  } catch (err) {
    await closeFd(fd);
    throw err;
  }
}

/** Close a file opened by {@link openSource}. */
export function closeSource(file: SourceFile): Promise<void> {
  return closeFd(file.fd);
}

/**
 * The bytes of `file` in a buffer of their own with `headroom` free bytes in front of
 * them: the result starts `headroom` bytes into its ArrayBuffer and ends at its end.
 * @throws SomError ResourceExhausted when the file is larger than `limit` bytes or its
 *   memory cannot be had; nothing is read then.
 */
export async function readWithHeadroom(
  file: SourceFile,
  headroom = HEADROOM,
  limit = MAX_FILE_BYTES_IN_MEMORY,
): Promise<Buffer> {
  const { fd, size } = file;
  if (size > limit) throw tooLargeForMemory(size, limit);
  let memory: Buffer;
  try {
    memory = Buffer.allocUnsafeSlow(headroom + size);
  } catch (err) {
    throw new FileFailure(
      'ResourceExhausted',
      `${size} bytes of memory to read it are not to be had (${errorKind(err)})`,
      'too-large',
    );
  }
  // A file that shrank meanwhile holds what was read.
  const readAt: ReadAt = (target, offset, length, position) =>
    readFd(fd, target, offset, length, position);
  const got = await readFully(readAt, memory.subarray(headroom), 0);
  return memory.subarray(headroom, headroom + got);
}

/** Where the parts at the end of `parts` that are consecutive slices of `input`'s tail begin. */
function tailStart(parts: readonly Buffer[], input: Buffer): { index: number; offset: number } {
  let index = parts.length;
  let end = input.byteOffset + input.length;
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i] as Buffer;
    if (part.buffer !== input.buffer || part.byteOffset + part.length !== end) break;
    index = i;
    end = part.byteOffset;
  }
  return { index, offset: end };
}

/**
 * The file `parts` make, as one buffer. When they end with a slice of `input` reaching its
 * end and the parts before it fit in the memory in front of that slice (the `headroom`
 * bytes in front of `input`, which must be free, and the input's own bytes there), those
 * parts are copied in front of it and the result shares `input`'s memory, whose earlier
 * bytes are then overwritten: nothing may read `input` or the other parts afterwards.
 * Otherwise the parts are concatenated into a new buffer.
 */
export function assembleInPlace(
  parts: readonly Buffer[],
  input: Buffer,
  headroom = HEADROOM,
): Buffer {
  const tail = tailStart(parts, input);
  const head = parts.slice(0, tail.index);
  const headLength = head.reduce((n, part) => n + part.length, 0);
  const start = tail.offset - headLength;
  const first = input.byteOffset - headroom;
  if (tail.index === parts.length || first < 0 || start < first) return Buffer.concat(parts);
  const memory = Buffer.from(input.buffer, 0, input.byteOffset + input.length);
  // The head parts may be slices of the very bytes about to be overwritten: copy them first.
  Buffer.concat(head, headLength).copy(memory, start);
  return memory.subarray(start);
}
