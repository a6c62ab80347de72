/**
 * De-identifying files off the main thread: a pool of worker threads (one per CPU but one
 * by default) that read, de-identify and (when asked) hash files, and send the bytes back,
 * so that all this runs beside the uploads. Falls back to the main thread for small runs,
 * when `SOM_WORKERS=0`, or where the worker script is not built (tests run from sources).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SomError, type ErrorCode } from '@som/core';
import type { DeidAliases } from '@som/dicom';
import type { AliasTable } from '@som/identifiers';
import {
  aliasesOf,
  deidentifyInto,
  deidentifyPath,
  entityUidOf,
  type DeidSettings,
  type DeidentifiedFile,
  type WrittenOutput,
} from './deid-file';
import type { ScannedFile } from '../1-scan/scan';

/**
 * What a worker starts with: the recipe file (layered over the default profile), and the
 * key itself (`--secret`, `SOM_SECRET`, a dry run's temporary key) or the key file (which
 * exists by then). Never printed.
 */
export type WorkerInit = { recipeFile?: string } & ({ secret: string } | { keyFile: string });

/** One file for a worker: to de-identify in memory (hashing it too or not), or into a file. */
export type WorkerJob = {
  id: number;
  /** The absolute path. */
  path: string;
  /** The path as reported. */
  source: string;
  aliases: DeidAliases;
} & ({ hash: boolean } | { target: string });

/** Bytes sent from a worker: `length` bytes from `offset` of `memory` (transferred). */
export interface SentBytes {
  memory: ArrayBuffer;
  offset: number;
  length: number;
}

/** A worker's answer. */
export type WorkerReply =
  | { id: number; ok: true; file: Omit<DeidentifiedFile, 'bytes'> & { bytes: SentBytes } }
  | { id: number; ok: true; output: WrittenOutput }
  | { id: number; ok: false; code: ErrorCode; message: string };

/**
 * Whether to compute the MD5 of a file beside its de-identification: `always`, `never`, or
 * `spare`: when the de-identification threads are not behind (otherwise the caller hashes
 * the file itself if it needs to, so that both sides of the upload stay busy).
 */
export type HashRequest = 'always' | 'never' | 'spare';

/** De-identifies files (see deid-file.ts), in the main thread or in worker threads. */
export interface Deidentifier {
  /**
   * De-identify one file from the first pass, computing the MD5 of the output too as `hash`
   * asks (default never).
   * @throws SomError naming what is wrong.
   */
  deidentify(file: ScannedFile, hash?: HashRequest): Promise<DeidentifiedFile>;
  /**
   * De-identify one file from the first pass into the file `target` (see {@link deidentifyInto}).
   * @throws SomError naming what is wrong; nothing is written then.
   */
  deidentifyInto(file: ScannedFile, target: string): Promise<WrittenOutput>;
  /** The entity uid (the patient's alias) of a file. @throws SomError NotFound without an alias. */
  entityUid(file: ScannedFile): string;
  /** Stop the threads, if any. */
  close(): Promise<void>;
}

/** Runs can be this small and still start threads; smaller ones de-identify in the main thread. */
export const MIN_FILES_FOR_WORKERS = 16;

/**
 * A thread with more files than this waiting is behind the uploads: it leaves the hashing
 * it was asked to do when it has time (`spare`) to the uploads.
 */
export const BEHIND_AT = 4;

/** What both kinds of deidentifier share: the aliases. */
abstract class AliasedDeidentifier implements Deidentifier {
  constructor(protected readonly aliases: AliasTable) {}

  entityUid(file: ScannedFile): string {
    return entityUidOf(aliasesOf(file, this.aliases));
  }

  abstract deidentify(file: ScannedFile, hash?: HashRequest): Promise<DeidentifiedFile>;
  abstract deidentifyInto(file: ScannedFile, target: string): Promise<WrittenOutput>;
  abstract close(): Promise<void>;
}

/** De-identifies in the main thread. */
class InlineDeidentifier extends AliasedDeidentifier {
  constructor(
    aliases: AliasTable,
    private readonly settings: DeidSettings,
  ) {
    super(aliases);
  }

  async deidentify(file: ScannedFile, hash: HashRequest = 'never'): Promise<DeidentifiedFile> {
    // The uploads run in this thread too: whoever hashes, this thread does.
    const aliases = aliasesOf(file, this.aliases);
    return deidentifyPath(file.absolute, file.path, aliases, this.settings, hash !== 'never');
  }

  async deidentifyInto(file: ScannedFile, target: string): Promise<WrittenOutput> {
    const aliases = aliasesOf(file, this.aliases);
    return deidentifyInto(file.absolute, file.path, aliases, this.settings, target);
  }

  async close(): Promise<void> {}
}

interface Pending {
  resolve: (reply: WorkerReply & { ok: true }) => void;
  reject: (err: unknown) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** De-identifies in worker threads, each given the next job when it has the fewest. */
class DeidPool extends AliasedDeidentifier {
  private readonly threads: (Thread | undefined)[];
  private nextId = 0;

  constructor(
    aliases: AliasTable,
    private readonly script: string,
    private readonly init: WorkerInit,
    size: number,
  ) {
    super(aliases);
    this.threads = Array.from({ length: size }, () => undefined);
  }

  private thread(index: number): Thread {
    const existing = this.threads[index];
    if (existing !== undefined) return existing;
    const thread: Thread = {
      worker: new Worker(this.script, { workerData: this.init }),
      pending: new Map(),
    };
    const fail = (why: string): void => {
      if (this.threads[index] === thread) this.threads[index] = undefined;
      for (const { reject } of thread.pending.values())
        reject(new SomError('Internal', `de-identification thread ${why}`));
      thread.pending.clear();
    };
    thread.worker.on('message', (reply: WorkerReply) => {
      const pending = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if (reply.ok) pending?.resolve(reply);
      else pending?.reject(new SomError(reply.code, reply.message));
    });
    thread.worker.on('error', (err) => fail(`failed: ${err.message}`));
    thread.worker.on('exit', (code) => fail(`stopped (exit code ${code})`));
    this.threads[index] = thread;
    return thread;
  }

  /** Give `file` to the thread with the fewest files; `task` says what to do given that thread's backlog. */
  private run(
    file: ScannedFile,
    task: (backlog: number) => { hash: boolean } | { target: string },
  ): Promise<WorkerReply & { ok: true }> {
    const aliases = aliasesOf(file, this.aliases);
    let best = 0;
    this.threads.forEach((t, i) => {
      if ((t?.pending.size ?? 0) < (this.threads[best]?.pending.size ?? 0)) best = i;
    });
    const thread = this.thread(best);
    const id = this.nextId++;
    const job: WorkerJob = {
      id,
      path: file.absolute,
      source: file.path,
      aliases,
      ...task(thread.pending.size),
    };
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage(job);
    });
  }

  async deidentify(file: ScannedFile, hash: HashRequest = 'never'): Promise<DeidentifiedFile> {
    const reply = await this.run(file, (backlog) => ({
      hash: hash === 'always' || (hash === 'spare' && backlog <= BEHIND_AT),
    }));
    if (!('file' in reply)) throw new SomError('Internal', 'a worker answered out of turn');
    const { memory, offset, length } = reply.file.bytes;
    return { ...reply.file, bytes: Buffer.from(memory, offset, length) };
  }

  async deidentifyInto(file: ScannedFile, target: string): Promise<WrittenOutput> {
    const reply = await this.run(file, () => ({ target }));
    if (!('output' in reply)) throw new SomError('Internal', 'a worker answered out of turn');
    return reply.output;
  }

  async close(): Promise<void> {
    const running = this.threads.filter((t): t is Thread => t !== undefined);
    this.threads.fill(undefined);
    await Promise.all(running.map((t) => t.worker.terminate()));
  }
}

/** The worker script (built next to this module; absent when running from sources). */
export const WORKER_SCRIPT = join(__dirname, 'deid-worker.js');

/**
 * How many threads to use: `SOM_WORKERS`, else one per CPU, but one fewer when the main
 * thread has work of its own (`mainThreadBusy`: an upload stores the files there; on 2 CPUs
 * one worker is then as fast as two and smaller); at most `concurrency`; none for small runs.
 */
export function workerCount(
  env: NodeJS.ProcessEnv,
  concurrency: number,
  files: number,
  mainThreadBusy: boolean,
): number {
  const asked = env.SOM_WORKERS;
  if (asked !== undefined && asked !== '') {
    const n = Number(asked);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new SomError(
        'InvalidArgument',
        `SOM_WORKERS must be a whole number (0 for none), not ${JSON.stringify(asked)}`,
      );
    return Math.min(n, concurrency);
  }
  const cpus = availableParallelism() - (mainThreadBusy ? 1 : 0);
  return files < MIN_FILES_FOR_WORKERS ? 0 : Math.min(Math.max(1, cpus), concurrency);
}

/** A deidentifier with `threads` worker threads (0: the main thread). */
export function startDeidentifier(
  aliases: AliasTable,
  settings: DeidSettings,
  init: WorkerInit,
  threads: number,
): Deidentifier {
  if (threads === 0 || !existsSync(WORKER_SCRIPT)) return new InlineDeidentifier(aliases, settings);
  return new DeidPool(aliases, WORKER_SCRIPT, init, threads);
}
