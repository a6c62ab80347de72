/**
 * A de-identified file as parts to write in order: bytes in memory (a header, the elements
 * after the pixel data) and spans of the source file (its pixel data, copied byte for byte),
 * read a window at a time when written, so that a file of any size passes in flat memory.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { SomError } from '@som/core';

/** Bytes `start` to `end` of the file at `path`, as it was when de-identified. */
export interface FileSpan {
  readonly path: string;
  readonly start: number;
  readonly end: number;
  /** The file's size when it was de-identified. */
  readonly fileSize: number;
  /** Its modification time then (ms): a file changed since is not copied. */
  readonly modifiedMs: number;
}

/** One part of an output file. */
export type OutputPart = Buffer | FileSpan;

/** Bytes read at once from a span (the window each copy holds). */
export const SPAN_CHUNK_BYTES = 1024 * 1024;

/** The length of `parts` in bytes. */
export function partsLength(parts: readonly OutputPart[]): number {
  return parts.reduce((n, p) => n + (Buffer.isBuffer(p) ? p.length : p.end - p.start), 0);
}

/** The error of a source file that changed between its de-identification and its copy. */
function changed(): SomError {
  return new SomError(
    'FailedPrecondition',
    'changed while it was de-identified: its pixel data is not copied (run it again)',
  );
}

/**
 * The bytes of `span`, a fresh buffer of at most `chunk` bytes at a time; the next chunk is
 * read while the caller uses the one before (two chunks in memory at most).
 */
async function* readSpan(span: FileSpan, chunk: number): AsyncGenerator<Buffer> {
  const handle = await open(span.path, 'r');
  const readFrom = async (position: number): Promise<Buffer> => {
    const buffer = Buffer.allocUnsafe(Math.min(chunk, span.end - position));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) throw changed(); // it shrank meanwhile
    return buffer.subarray(0, bytesRead);
  };
  let next: Promise<Buffer> | undefined;
  try {
    const stat = await handle.stat();
    if (stat.size !== span.fileSize || stat.mtimeMs !== span.modifiedMs) throw changed();
    let position = span.start;
    if (position < span.end) next = readFrom(position);
    while (next !== undefined) {
      const bytes = await next;
      position += bytes.length;
      next = position < span.end ? readFrom(position) : undefined;
      yield bytes;
    }
  } finally {
    // A read still in flight (the caller stopped early) settles before the file is closed.
    await next?.catch(() => undefined);
    await handle.close();
  }
}

/** The bytes of `parts` in order: buffers as they are, spans read `chunk` bytes at a time. */
export async function* readParts(
  parts: readonly OutputPart[],
  chunk = SPAN_CHUNK_BYTES,
): AsyncGenerator<Buffer> {
  for (const part of parts) {
    if (Buffer.isBuffer(part)) {
      if (part.length > 0) yield part;
    } else yield* readSpan(part, chunk);
  }
}

/** The MD5 (lowercase hex) of `parts`, read as {@link readParts} does. */
export async function md5OfParts(parts: readonly OutputPart[]): Promise<string> {
  const hash = createHash('md5');
  for await (const bytes of readParts(parts)) hash.update(bytes);
  return hash.digest('hex');
}

/**
 * Parts as they arrive from another thread (whose Buffers arrive as Uint8Arrays), as
 * parts again.
 */
export function revivedParts(parts: readonly (Uint8Array | FileSpan)[]): OutputPart[] {
  return parts.map((p) =>
    p instanceof Uint8Array ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p,
  );
}

/** True when every part is in memory. */
export function allInMemory(parts: readonly OutputPart[]): parts is readonly Buffer[] {
  return parts.every((p) => Buffer.isBuffer(p));
}
