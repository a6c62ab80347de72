/**
 * Durable file writes: stream to a new temporary file with backpressure while hashing (see
 * md5.ts), and fsync files and directories so a completed write survives a crash. Directory
 * fsyncs are shared: one fsync makes every rename done before it started durable. Writes
 * whose durability is deferred skip their fsyncs and are made durable together later (see
 * {@link DeferredSyncs}).
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
import { nativeCode } from './errors';
import { startMd5, type Md5 } from './md5';

const openFd = promisify(open);
const writeFd = promisify(write);
const fstatFd = promisify(fstat) as (fd: number, options: StatOptions) => Promise<BigIntStats>;
const fsyncFd = promisify(fsync);
const closeFd = promisify(close);

/** Flags of a file that must not exist yet. */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

/** Writes numbered under one random prefix before a new prefix is drawn. */
const IDS_PER_PREFIX = 0x10000;

let idPrefix = '';
let idsUsed = IDS_PER_PREFIX;

/**
 * A fresh id for one write: 16 hex digits, a random prefix of 12 (drawn anew every
 * {@link IDS_PER_PREFIX} writes) and a counter of 4. Unique within the process and, with
 * 48 random bits, across processes sharing a root; drawing 8 random bytes for every write
 * cost more than the rest of naming its files.
 */
export function newWriteId(): string {
  if (idsUsed === IDS_PER_PREFIX) {
    idPrefix = randomBytes(6).toString('hex');
    idsUsed = 0;
  }
  return idPrefix + (idsUsed++).toString(16).padStart(4, '0');
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
  /**
   * Settles when the file is closed, and fsynced when it was written with `sync` (the fsync
   * starts as soon as the bytes are written).
   */
  closed: Promise<void>;
  /** Whether `closed` includes its fsync. */
  synced: boolean;
}

/** Settles when `temp` is fsynced and closed (fsyncing it now when it was written without). */
export async function tempDurable(temp: TempFile): Promise<void> {
  await temp.closed;
  if (!temp.synced) await syncFile(temp.path);
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
 * Stream `body` into a new file in `dir`, hashing it on the way; with `sync` its fsync
 * starts at once (see {@link TempFile.closed}). On any failure (the source, the disk,
 * `signal`) the file is removed and the error thrown.
 */
export async function writeTemp(
  dir: string,
  body: Readable,
  sync: boolean,
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
    const closed = sync ? fsyncFd(fd).finally(() => closeFd(fd)) : closeFd(fd);
    closed.catch(() => undefined); // awaited by the caller; never an unhandled rejection
    return { path, size, md5: await md5.digest(), stats, closed, synced: sync };
  } catch (err) {
    md5?.discard();
    await closeFd(fd).catch(() => undefined);
    await rm(path, { force: true });
    throw err;
  }
}

/** Create `path` (it must not exist) holding `text`, fsynced when `sync`. */
export async function writeNewFile(path: string, text: string, sync = true): Promise<void> {
  const fd = await openFd(path, CREATE_NEW, 0o666);
  try {
    await writeAll(fd, Buffer.from(text));
    if (sync) await fsyncFd(fd);
  } finally {
    await closeFd(fd);
  }
}

/** fsync what `path` names (opened with `flags`). */
async function syncPath(path: string, flags: number): Promise<void> {
  const fd = await openFd(path, flags | constants.O_NOFOLLOW);
  try {
    await fsyncFd(fd);
  } finally {
    await closeFd(fd);
  }
}

/** fsync a file, making its bytes durable. */
function syncFile(path: string): Promise<void> {
  return syncPath(path, constants.O_RDONLY);
}

/** fsync a directory, making the renames and links in it durable. */
function syncDirectory(dir: string): Promise<void> {
  return syncPath(dir, constants.O_RDONLY | constants.O_DIRECTORY);
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

/**
 * What deferred writes left to make durable: files written and directories changed without
 * fsync since the last flush. `flush` fsyncs them all at once, in parallel (the disk then
 * flushes its cache a few times for the whole batch instead of once or twice per object).
 * Files and directories are named by path: one that is gone by then (deleted, replaced,
 * pruned) has nothing left to make durable, and one that replaced it is fsynced instead,
 * which does no harm.
 */
export class DeferredSyncs {
  private files = new Set<string>();
  private dirs = new Set<string>();

  /**
   * @param syncs the shared directory fsyncs (a directory flushed is synced by one of them).
   * @param syncOneFile fsyncs one file (replaceable to test the bookkeeping alone).
   */
  constructor(
    private readonly syncs: DirectorySyncs,
    private readonly syncOneFile: (path: string) => Promise<void> = syncFile,
  ) {}

  /** Remember files written and directories changed without fsync. */
  add(files: readonly string[], dirs: readonly string[]): void {
    for (const file of files) this.files.add(file);
    for (const dir of dirs) this.dirs.add(dir);
  }

  /** fsync everything added before this call; rejects with the first failure (after all settle). */
  async flush(): Promise<void> {
    const { files, dirs } = this;
    if (files.size === 0 && dirs.size === 0) return;
    this.files = new Set();
    this.dirs = new Set();
    const results = await Promise.allSettled([
      ...[...files].map((file) => goneIsDone(this.syncOneFile(file))),
      ...[...dirs].map((dir) => goneIsDone(this.syncs.sync(dir))),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }
}

/** `sync`, where a file or directory that is gone has nothing left to make durable. */
async function goneIsDone(sync: Promise<void>): Promise<void> {
  try {
    await sync;
  } catch (err) {
    if (nativeCode(err) !== 'ENOENT') throw err;
  }
}
