/**
 * Durable file writes: stream to a new temporary file with backpressure while hashing,
 * fsync, and fsync directories after renames, so a completed write survives a crash.
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstat, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BigIntStats } from 'node:fs';

/** A fresh id for one write: 16 hex digits. */
export function newWriteId(): string {
  return randomBytes(8).toString('hex');
}

/** A temporary file holding a whole upload, fsynced. */
export interface TempFile {
  /** Where it is. */
  path: string;
  /** Bytes written. */
  size: number;
  /** MD5 of the bytes, lowercase hex. */
  md5: string;
  /** Its status after the last write (inode, size, mtime: kept by rename and link). */
  stats: BigIntStats;
}

/**
 * Stream `body` into a new file in `dir`, hashing it on the way, then fsync. On any failure
 * (the source, the disk, `signal`) the file is removed and the error is thrown.
 */
export async function writeTemp(
  dir: string,
  body: Readable,
  signal?: AbortSignal,
): Promise<TempFile> {
  const path = join(dir, newWriteId());
  const handle = await open(path, 'wx');
  try {
    const hash = createHash('md5');
    let size = 0;
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer | string>) {
        for await (const chunk of source) {
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          hash.update(bytes);
          size += bytes.length;
          yield bytes;
        }
      },
      handle.createWriteStream({ flush: true }), // fsync, then close the handle
      ...(signal ? [{ signal }] : []),
    );
    return { path, size, md5: hash.digest('hex'), stats: await lstat(path, { bigint: true }) };
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  }
}

/** Create `path` (it must not exist) holding `text`, fsynced. */
export async function writeNewFile(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a directory, making the renames and links in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
