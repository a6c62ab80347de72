/**
 * Durable file writes: stream to a new temporary file with backpressure while hashing, and
 * fsync files and directories so a completed write survives a crash. Directory fsyncs are
 * shared: one fsync makes every rename done before it started durable.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A fresh id for one write: 16 hex digits. */
export function newWriteId(): string {
  return randomBytes(8).toString('hex');
}

/** A temporary file holding a whole upload. */
export interface TempFile {
  /** Where it is. */
  path: string;
  /** Bytes written. */
  size: number;
  /** MD5 of the bytes, lowercase hex. */
  md5: string;
  /** Its status after the last write (inode, size, mtime: kept by rename and link). */
  stats: BigIntStats;
  /** Settles when the file is fsynced and closed (started as soon as the bytes are written). */
  durable: Promise<void>;
}

/** Write all of `bytes` at the handle's position (a write may take fewer bytes than given). */
async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  for (let offset = 0; offset < bytes.length;) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset, null);
    offset += bytesWritten;
  }
}

/**
 * Stream `body` into a new file in `dir`, hashing it on the way; its fsync starts at once
 * (see {@link TempFile.durable}). On any failure (the source, the disk, `signal`) the file
 * is removed and the error thrown.
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
    const sink = new Writable({
      write(chunk: Buffer | string, _encoding, callback) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        hash.update(bytes);
        size += bytes.length;
        writeAll(handle, bytes).then(() => callback(), callback);
      },
    });
    await pipeline(body, sink, ...(signal ? [{ signal }] : []));
    const stats = await handle.stat({ bigint: true });
    const durable = handle.sync().finally(() => handle.close());
    durable.catch(() => undefined); // awaited by the caller; never an unhandled rejection
    return { path, size, md5: hash.digest('hex'), stats, durable };
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
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Directory fsyncs shared between concurrent writers of a directory. */
export class DirectorySyncs {
  private readonly queues = new Map<string, { waiting?: Promise<void>; tail: Promise<void> }>();

  /**
   * @param syncOne fsyncs one directory (replaceable to test the scheduling alone).
   */
  constructor(private readonly syncOne: (dir: string) => Promise<void> = syncDirectory) {}

  /**
   * Resolve once `dir` was fsynced by a sync started after this call: a sync queued but not
   * yet started is joined, one in progress is not (it may have begun before the caller's rename).
   */
  sync(dir: string): Promise<void> {
    const queue = this.queues.get(dir) ?? { tail: Promise.resolve() };
    this.queues.set(dir, queue);
    if (queue.waiting !== undefined) return queue.waiting;
    const started = queue.tail.then(() => {
      queue.waiting = undefined; // writers arriving from now on need the next sync
      return this.syncOne(dir);
    });
    const tail = started.catch(() => undefined);
    queue.waiting = started;
    queue.tail = tail;
    void tail.then(() => {
      if (queue.tail === tail) this.queues.delete(dir);
    });
    return started;
  }
}
