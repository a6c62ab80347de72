/**
 * The local-disk ObjectStore driver: the embedded default for objects
 * (`./som-data/objects`). See `docs/embedded-default.md` for the layout and guarantees.
 *
 * A put streams into a temporary file (hashing it) and checks the md5; then, under the
 * key's lock, it writes the new sidecar as a pending file beside the object (while the data
 * file is fsynced), renames the data file into place (or links it, for create-only, so
 * exactly one creator wins), renames the pending sidecar over the sidecar, and fsyncs the
 * directory. A crash between the two renames leaves the pending sidecar, which the next head
 * adopts (its file identity matches the data file).
 *
 * A put whose durability is deferred (a group commit) does the same without the fsyncs, and
 * leaves its files and directories to `flush`, which fsyncs them all at once. One that
 * replaces an object is made durable at once all the same: a crash of the machine must
 * never take an object some record may name (only new objects wait for the flush, and
 * their records wait for it too).
 */
import {
  close,
  constants,
  createReadStream,
  fstat,
  open as openCallback,
  type BigIntStats,
} from 'node:fs';
import { link, lstat, open, readdir, rename, rm, rmdir, unlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  SomError,
  type ErrorCode,
  type GetOptions,
  type ListOptions,
  type ListPage,
  type ObjectAttributes,
  type ObjectStoreDriver,
  type PutOptions,
} from '@som/core';
import { validateFsConfig, type FsObjectConfig } from './config';
import { Directories } from './directories';
import {
  DeferredSyncs,
  DirectorySyncs,
  newWriteId,
  tempDurable,
  writeNewFile,
  writeTemp,
  type TempFile,
} from './durable';
import { fsErrorCode, nativeCode } from './errors';
import { isPendingSidecarOf, pendingSidecarName } from './key-encoding';
import { KeyLocks } from './key-locks';
import { prepareRoot, type Layout, type ObjectLocation } from './layout';
import { listPage } from './listing';
import { attributesOf, describes, identityOf, readSidecar, type Sidecar } from './sidecar';

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** Bytes per read of a get stream. */
const READ_CHUNK_BYTES = 1 << 20;

const openFd = promisify(openCallback);
const fstatFd = promisify(fstat);
const closeFd = promisify(close);

/** How often a put retries when a concurrent delete removes its (empty) directory. */
const DIRECTORY_RETRIES = 3;

/**
 * A prepared root: its paths, its link-checked directories, its shared directory fsyncs,
 * and what deferred puts left to make durable.
 */
interface Prepared {
  layout: Layout;
  dirs: Directories;
  syncs: DirectorySyncs;
  deferred: DeferredSyncs;
}

/** Objects as files under one directory, attributes in sidecars beside them. */
export class FsObjectDriver implements ObjectStoreDriver {
  readonly name: string;
  readonly capabilities = {
    signedUrls: false,
    ifNotExists: true,
    copy: true,
    md5FromCaller: false,
    groupCommit: true,
  };
  private readonly root: string;
  private preparing?: Promise<Prepared>;
  private readonly locks = new KeyLocks();

  /**
   * @param config see {@link FsObjectConfig}; the directory is prepared on first use.
   */
  constructor(config: FsObjectConfig) {
    validateFsConfig(config);
    this.root = resolve(config.root);
    this.name = `fs:${this.root}`;
  }

  async put(key: string, body: Readable, options: PutOptions): Promise<ObjectAttributes> {
    // A flowing source (one with a 'data' listener) would run past us while we prepare:
    // hold it until the write pipeline takes it.
    body.pause();
    const prepared = await this.prepared();
    const location = prepared.layout.locate(key);
    if (options.ifNotExists && (await this.dataStats(prepared, location)) !== undefined) {
      throw new SomError('AlreadyExists', `${key} already exists`);
    }
    const deferred = options.durable === 'deferred';
    const temp = await writeTemp(prepared.layout.tempDir, body, !deferred, options.signal);
    let committed = false;
    try {
      if (options.md5 !== undefined && options.md5 !== temp.md5) {
        throw new SomError(
          'InvalidArgument',
          `md5 mismatch writing ${key}: expected ${options.md5}, received ${temp.md5}`,
        );
      }
      const sidecar: Sidecar = {
        version: 1,
        key,
        size: temp.size,
        md5: temp.md5,
        contentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
        metadata: { ...options.metadata },
        file: identityOf(temp.stats),
      };
      await this.locks.run(key, () =>
        this.commit(prepared, location, temp, sidecar, options.ifNotExists === true, deferred),
      );
      committed = true;
      return attributesOf(sidecar, temp.stats);
    } finally {
      await temp.closed.catch(() => undefined);
      if (!committed) await rm(temp.path, { force: true });
    }
  }

  async get(key: string, options: GetOptions): Promise<Readable> {
    const { layout, dirs } = await this.prepared();
    const location = layout.locate(key);
    if (!(await dirs.isPlain(location.dir, key))) throw notFound(key);
    const fd = await openFd(location.data, constants.O_RDONLY | constants.O_NOFOLLOW).catch(
      (err: unknown) => {
        throw nativeCode(err) === 'ELOOP' ? linkAtKey(key) : err;
      },
    );
    const stats = await fstatFd(fd).catch(async (err: unknown) => {
      await closeFd(fd);
      throw err;
    });
    const start = options.range?.start ?? 0;
    const end = Math.min(options.range?.end ?? Infinity, stats.size - 1);
    if (!stats.isFile() || start > end) {
      await closeFd(fd);
      if (!stats.isFile()) throw notFound(key);
      return Readable.from([]);
    }
    // A plain descriptor reads faster than a FileHandle stream; reading exactly to the last
    // byte saves a read that finds the end of the file. The stream closes the descriptor.
    return createReadStream('', {
      fd,
      start,
      end,
      highWaterMark: READ_CHUNK_BYTES,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  async head(key: string): Promise<ObjectAttributes> {
    const prepared = await this.prepared();
    const location = prepared.layout.locate(key);
    const stats = await this.dataStats(prepared, location);
    if (stats === undefined) throw notFound(key);
    const sidecar = await readSidecar(location.sidecar, key);
    if (sidecar !== undefined && describes(sidecar, stats)) return attributesOf(sidecar, stats);
    return this.locks.run(key, () => this.repair(prepared, location));
  }

  async delete(key: string): Promise<void> {
    const prepared = await this.prepared();
    const location = prepared.layout.locate(key);
    await this.locks.run(key, async () => {
      const missing = (await this.dataStats(prepared, location)) === undefined;
      // Without its data file the object does not exist, but a sidecar left beside it goes too.
      if (!missing) await unlink(location.data);
      else if ((await lstat(location.sidecar).catch(() => undefined)) === undefined)
        throw notFound(key);
      await rm(location.sidecar, { force: true });
      for (const name of await readdir(location.dir)) {
        if (isPendingSidecarOf(name, location.dataName))
          await rm(join(location.dir, name), { force: true });
      }
      await prepared.syncs.sync(location.dir);
      await pruneEmptyDirectories(prepared, location.dir);
      if (missing) throw notFound(key);
    });
  }

  async list(options: ListOptions): Promise<ListPage> {
    const { layout, dirs } = await this.prepared();
    return listPage(layout, dirs, options);
  }

  async copy(from: string, to: string): Promise<ObjectAttributes> {
    const source = await this.head(from);
    const bytes = await this.get(from, {});
    // A copy is a put of the source's bytes, checked against the source's md5.
    return this.put(to, bytes, {
      contentType: source.contentType,
      metadata: source.metadata,
      md5: source.md5,
    });
  }

  /** fsync every file and directory the deferred puts acknowledged so far left unsynced. */
  async flush(): Promise<void> {
    if (this.preparing === undefined) return; // nothing was written
    await (await this.prepared()).deferred.flush();
  }

  /** Make the deferred puts durable (see {@link flush}). */
  async close(): Promise<void> {
    await this.flush();
  }

  errorCode(err: unknown): ErrorCode {
    return fsErrorCode(err);
  }

  /** The prepared root (prepared once; a failure is retried by the next call). */
  private async prepared(): Promise<Prepared> {
    this.preparing ??= prepareRoot(this.root).then(
      (layout) => {
        const syncs = new DirectorySyncs();
        return {
          layout,
          dirs: new Directories(layout.root),
          syncs,
          deferred: new DeferredSyncs(syncs),
        };
      },
      (err: unknown) => {
        this.preparing = undefined;
        throw err;
      },
    );
    return this.preparing;
  }

  /** Status of the data file at `location`; undefined when there is none. */
  private async dataStats(
    { dirs }: Prepared,
    location: ObjectLocation,
  ): Promise<BigIntStats | undefined> {
    if (!(await dirs.isPlain(location.dir, location.key))) return undefined;
    const stats = await lstat(location.data, { bigint: true }).catch((err: unknown) => {
      if (nativeCode(err) === 'ENOENT') return undefined;
      throw err;
    });
    if (stats?.isSymbolicLink()) throw linkAtKey(location.key);
    return stats?.isFile() ? stats : undefined;
  }

  /**
   * Make `temp` the object at `location` with `sidecar` (the key's lock is held): durable
   * when this resolves, unless `deferred` and the key holds no object yet (then `flush`
   * makes it durable).
   */
  private async commit(
    { dirs, syncs, deferred: later }: Prepared,
    location: ObjectLocation,
    temp: TempFile,
    sidecar: Sidecar,
    createOnly: boolean,
    deferred: boolean,
  ): Promise<void> {
    const pending = join(location.dir, pendingSidecarName(location.dataName, newWriteId()));
    let grown: string[] = [];
    let now = !deferred;
    for (let attempt = 1; ; attempt++) {
      grown = [...grown, ...(await dirs.make(location.dirNames, location.key))];
      // A replaced object stops being: the new one must be durable first (link cannot replace).
      now ||= !createOnly && (await lstat(location.data).catch(() => undefined)) !== undefined;
      try {
        // The data file's fsync (started when its bytes were written) runs meanwhile.
        await Promise.all([
          writeNewFile(pending, JSON.stringify(sidecar), now),
          now ? tempDurable(temp) : temp.closed,
        ]);
        break;
      } catch (err) {
        // A concurrent delete pruned the directory just made: make it again.
        if (nativeCode(err) !== 'ENOENT' || attempt === DIRECTORY_RETRIES) throw err;
        dirs.forget(location.dir);
      }
    }
    try {
      if (createOnly) {
        await link(temp.path, location.data);
        await unlink(temp.path); // its second name
      } else {
        await rename(temp.path, location.data);
      }
    } catch (err) {
      await rm(pending, { force: true });
      if (createOnly && nativeCode(err) === 'EEXIST') {
        throw new SomError('AlreadyExists', `${location.key} already exists`, { cause: err });
      }
      throw err;
    }
    await rename(pending, location.sidecar).catch((err: unknown) => {
      // Another process's head adopted it already (it found the new data file first).
      if (nativeCode(err) !== 'ENOENT') throw err;
    });
    const changed = [...new Set([location.dir, ...grown])];
    if (now) await Promise.all(changed.map((dir) => syncs.sync(dir)));
    else later.add([location.data, location.sidecar], changed);
  }

  /**
   * Give the data file at `location` a sidecar that describes it (the key's lock is held):
   * adopt the pending sidecar of an interrupted put, else re-hash the file, keeping the old
   * sidecar's content type and metadata when the bytes are the ones it describes.
   */
  private async repair(prepared: Prepared, location: ObjectLocation): Promise<ObjectAttributes> {
    const stats = await this.dataStats(prepared, location);
    if (stats === undefined) throw notFound(location.key);
    const current = await readSidecar(location.sidecar, location.key);
    if (current !== undefined && describes(current, stats)) return attributesOf(current, stats);
    for (const name of await readdir(location.dir)) {
      if (!isPendingSidecarOf(name, location.dataName)) continue;
      const pending = await readSidecar(join(location.dir, name), location.key);
      if (pending !== undefined && describes(pending, stats)) {
        await rename(join(location.dir, name), location.sidecar);
        await prepared.syncs.sync(location.dir);
        return attributesOf(pending, stats);
      }
    }
    const { md5, size, stats: hashed } = await hashFile(location.data);
    const same = current !== undefined && current.md5 === md5 && current.size === size;
    const sidecar: Sidecar = {
      version: 1,
      key: location.key,
      size,
      md5,
      contentType: same ? current.contentType : DEFAULT_CONTENT_TYPE,
      metadata: same ? current.metadata : {},
      file: identityOf(hashed),
    };
    const pending = join(location.dir, pendingSidecarName(location.dataName, newWriteId()));
    await writeNewFile(pending, JSON.stringify(sidecar));
    await rename(pending, location.sidecar);
    await prepared.syncs.sync(location.dir);
    return attributesOf(sidecar, hashed);
  }
}

/** MD5 and size of a file, with the status of the very file hashed. */
async function hashFile(path: string): Promise<{ md5: string; size: number; stats: BigIntStats }> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  const stats = await handle.stat({ bigint: true });
  const hash = createHash('md5');
  let size = 0;
  await pipeline(
    handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES }),
    async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
      }
    },
  );
  return { md5: hash.digest('hex'), size, stats };
}

/** Remove `dir` and its parents up to (not including) the root while they are empty. */
async function pruneEmptyDirectories({ layout, dirs }: Prepared, dir: string): Promise<void> {
  const root = layout.root;
  for (
    let current = dir;
    current !== root && current.startsWith(`${root}/`);
    current = dirname(current)
  ) {
    try {
      await rmdir(current);
      dirs.forget(current);
    } catch (err) {
      if (['ENOTEMPTY', 'EEXIST', 'ENOENT', 'EBUSY'].includes(nativeCode(err) ?? '')) return;
      throw err;
    }
  }
}

function notFound(key: string): SomError {
  return new SomError('NotFound', `${key} not found`);
}

function linkAtKey(key: string): SomError {
  return new SomError(
    'InvalidArgument',
    `${key}: a symbolic link stands at this key; the fs store never follows links`,
  );
}
