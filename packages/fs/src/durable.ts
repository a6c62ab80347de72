/**
 * Durable file writes: stream to a new temporary file with backpressure while hashing (see
 * md5.ts), and fsync files and directories so a completed write survives a crash. Directory
 * fsyncs are shared: one fsync makes every rename done before it started durable.
 *
 * Files are written through plain descriptors and the callback API (promisified): a
 * `FileHandle` and a stream pipeline per write cost about a third of a put's main-thread
 * time on the bench, for nothing a put needs.
 */
import { randomBytes } from 'node:crypto';
import {
  close,
  constants,
  fstat,
  fsync,
  open,
  write,
  type BigIntStats,
  type StatOptions,
} from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { SomError } from '@som/core';
import { startMd5, type Md5 } from './md5';

const openFd = promisify(open);
const writeFd = promisify(write);
const fstatFd = promisify(fstat) as (fd: number, options: StatOptions) => Promise<BigIntStats>;
const fsyncFd = promisify(fsync);
const closeFd = promisify(close);

/** Flags of a file that must not exist yet. */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

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

/** Write all of `bytes` at the descriptor's position (a write may take fewer bytes than given). */
async function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) {
    const { bytesWritten } = await writeFd(fd, bytes, offset, bytes.length - offset, null);
    offset += bytesWritten;
  }
}

/** The chunks of `body` as bytes; an abort of `signal` destroys `body` and ends with Canceled. */
async function* chunksOf(body: Readable, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
  const cancel = (): void => {
    body.destroy(new SomError('Canceled', 'the write was canceled', { cause: signal?.reason }));
  };
  if (signal?.aborted) cancel();
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for await (const chunk of body as AsyncIterable<Buffer | string>)
      yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  } finally {
    signal?.removeEventListener('abort', cancel);
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
  const fd = await openFd(path, CREATE_NEW, 0o666);
  let md5: Md5 | undefined;
  try {
    let size = 0;
    for await (const bytes of chunksOf(body, signal)) {
      md5 ??= startMd5(bytes.length);
      size += bytes.length;
      await Promise.all([md5.update(bytes), writeAll(fd, bytes)]);
    }
    md5 ??= startMd5(0);
    const stats = await fstatFd(fd, { bigint: true });
    const durable = fsyncFd(fd).finally(() => closeFd(fd));
    durable.catch(() => undefined); // awaited by the caller; never an unhandled rejection
    return { path, size, md5: await md5.digest(), stats, durable };
  } catch (err) {
    md5?.discard();
    await closeFd(fd).catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  }
}

/** Create `path` (it must not exist) holding `text`, fsynced. */
export async function writeNewFile(path: string, text: string): Promise<void> {
  const fd = await openFd(path, CREATE_NEW, 0o666);
  try {
    await writeAll(fd, Buffer.from(text));
    await fsyncFd(fd);
  } finally {
    await closeFd(fd);
  }
}

/** fsync a directory, making the renames and links in it durable. */
async function syncDirectory(dir: string): Promise<void> {
  const fd = await openFd(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fsyncFd(fd);
  } finally {
    await closeFd(fd);
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
