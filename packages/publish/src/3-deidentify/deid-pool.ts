/**
 * De-identifying files off the main thread: a pool of worker threads (one per CPU but one
 * by default) that read, de-identify and (when asked) hash files, and send the bytes back,
 * so that all this runs beside the uploads. Falls back to the main thread for small runs,
 * when `SOM_WORKERS=0`, or where the worker script is not built (tests run from sources).
 */
import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SomError, type ErrorCode, type Md5Need } from '@som/core';
import { QuarantineError, SelectorTally, type DeidAliases, type PixelQuarantine } from '@som/dicom';
import type { FileAliasLookup } from '@som/identifiers';
import { temporaryPathFor, trackTemporary } from './atomic-file';
import {
  aliasesOf,
  deidentifyInto,
  deidentifyPath,
  entityUidOf,
  type DeidNotes,
  type DeidentifiedFile,
  type WrittenOutput,
} from './deid-file';
import { FileFailure, type FileRefusal } from './failure';
import type { DeidChoices, DeidSettings } from './settings';
import type { ScannedFile } from '../1-scan/scan';

/**
 * What a worker starts with: the run's de-identification choices (it loads the recipe,
 * functions and variables itself), and the key itself (`--secret`, `SOM_SECRET`, a dry
 * run's temporary key) or the key file (which exists by then). Never printed.
 */
export type WorkerInit = DeidChoices & ({ secret: string } | { keyFile: string });

/** One file for a worker: to de-identify in memory (hashing it too or not), or into a file. */
export type WorkerJob = {
  id: number;
  /** The absolute path. */
  path: string;
  /** The path as reported. */
  source: string;
  aliases: DeidAliases;
} & ({ hash: boolean } | { target: string; temp: string });

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
  | {
      id: number;
      ok: false;
      code: ErrorCode;
      message: string;
      /** The kind of refusal, when the file was refused. */
      refusal?: FileRefusal;
      /** Set when the file was quarantined (see `QuarantineError`). */
      quarantine?: PixelQuarantine;
    };

/** De-identifies files (see deid-file.ts), in the main thread or in worker threads. */
export interface Deidentifier {
  /**
   * De-identify one file from the first pass, computing the MD5 of the output too as the
   * store needs it (default `unneeded`): always when `required`; when `useful`, only if the
   * threads are not behind (the Client hashes the others, so both sides stay busy).
   * @throws SomError naming what is wrong.
   */
  deidentify(file: ScannedFile, md5?: Md5Need): Promise<DeidentifiedFile>;
  /**
   * De-identify one file from the first pass into the file `target` (see {@link deidentifyInto}).
   * @throws SomError naming what is wrong; nothing is written then.
   */
  deidentifyInto(file: ScannedFile, target: string): Promise<WrittenOutput>;
  /** The entity uid (the patient's alias) of a file. @throws SomError naming why it has none. */
  entityUid(file: ScannedFile): string;
  /** The recipe rules that selected nothing in any file de-identified so far (see `SelectorTally`). */
  unmatchedSelectors(): string[];
  /** Stop the threads, if any. */
  close(): Promise<void>;
}

/** Runs can be this small and still start threads; smaller ones de-identify in the main thread. */
export const MIN_FILES_FOR_WORKERS = 16;

/**
 * A thread with more files than this waiting is behind the uploads: it leaves the hashing
 * that is only `useful` to the uploads.
 */
export const BEHIND_AT = 4;

/** What both kinds of deidentifier share: the aliases, and the tally of the rules that selected something. */
abstract class AliasedDeidentifier implements Deidentifier {
  private readonly tally: SelectorTally;

  constructor(
    protected readonly aliases: FileAliasLookup,
    settings: DeidSettings,
  ) {
    this.tally = new SelectorTally(settings.recipe);
  }

  entityUid(file: ScannedFile): string {
    return entityUidOf(aliasesOf(file, this.aliases));
  }

  unmatchedSelectors(): string[] {
    return this.tally.unmatched();
  }

  /** Count the rules that selected something in a de-identified file; returns it. */
  protected tallied<T extends DeidNotes>(result: T): T {
    this.tally.record(result.matchedRules);
    return result;
  }

  abstract deidentify(file: ScannedFile, md5?: Md5Need): Promise<DeidentifiedFile>;
  abstract deidentifyInto(file: ScannedFile, target: string): Promise<WrittenOutput>;
  abstract close(): Promise<void>;
}

/** De-identifies in the main thread. */
class InlineDeidentifier extends AliasedDeidentifier {
  constructor(
    aliases: FileAliasLookup,
    private readonly settings: DeidSettings,
  ) {
    super(aliases, settings);
  }

  async deidentify(file: ScannedFile, md5: Md5Need = 'unneeded'): Promise<DeidentifiedFile> {
    // The uploads run in this thread too: whoever hashes, this thread does.
    const aliases = aliasesOf(file, this.aliases);
    return this.tallied(
      await deidentifyPath(file.absolute, file.path, aliases, this.settings, md5 !== 'unneeded'),
    );
  }

  async deidentifyInto(file: ScannedFile, target: string): Promise<WrittenOutput> {
    const aliases = aliasesOf(file, this.aliases);
    return this.tallied(
      await deidentifyInto(file.absolute, file.path, aliases, this.settings, target),
    );
  }

  async close(): Promise<void> {}
}

interface Pending {
  /** What the thread was asked to do. */
  job: WorkerJob;
  resolve: (reply: WorkerReply & { ok: true }) => void;
  reject: (err: unknown) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * The heap a de-identification thread may use: a thread that needs more is stopped (its
 * files fail) instead of taking the whole process down with it.
 */
export const THREAD_HEAP_MB = 2048;

/** The error of a file in flight when the threads were stopped. */
function canceled(): SomError {
  return new SomError('Canceled', 'not finished: the de-identification threads were stopped');
}

/** Why a thread stopped, in words and without its message (which might quote a file's value). */
function stopReason(event: { error: Error } | { exitCode: number }): {
  why: string;
  code: ErrorCode;
} {
  if ('exitCode' in event)
    return { why: `stopped (exit code ${event.exitCode})`, code: 'Internal' };
  const nodeCode = (event.error as NodeJS.ErrnoException).code;
  if (nodeCode === 'ERR_WORKER_OUT_OF_MEMORY')
    return {
      why: `ran out of memory (its heap may take ${THREAD_HEAP_MB} MB)`,
      code: 'ResourceExhausted',
    };
  return { why: `failed (${nodeCode ?? event.error.name})`, code: 'Internal' };
}

/**
 * De-identifies in worker threads, each given the next job when it has the fewest. A thread
 * that stops (a crash, its heap exhausted, a recipe function ending it) fails only its file:
 * when it had several in flight, each is run again alone on a thread of its own, one at a
 * time, and only the one that stops that thread too fails; stopped threads are replaced.
 */
class DeidPool extends AliasedDeidentifier {
  private readonly threads: (Thread | undefined)[];
  private nextId = 0;
  /** The thread that runs suspects, one at a time (see {@link isolate}). */
  private isolated: Thread | undefined;
  /** The suspects' queue: each runs once the one before it settled. */
  private suspects: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    aliases: FileAliasLookup,
    settings: DeidSettings,
    private readonly script: string,
    private readonly init: WorkerInit,
    size: number,
  ) {
    super(aliases, settings);
    this.threads = Array.from({ length: size }, () => undefined);
  }

  /** A new thread; `onStop` runs once if it stops before {@link close}. */
  private spawn(onStop: (thread: Thread) => void): Thread {
    const worker = new Worker(this.script, {
      workerData: this.init,
      resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB },
    });
    const thread: Thread = { worker, pending: new Map() };
    let stopped = false;
    const stop = (event: { error: Error } | { exitCode: number }): void => {
      if (stopped) return;
      stopped = true;
      onStop(thread);
      const jobs = [...thread.pending.values()];
      thread.pending.clear();
      this.stoppedUnder(jobs, stopReason(event));
    };
    worker.on('message', (reply: WorkerReply) => {
      const pending = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if (pending === undefined) return;
      if (reply.ok) pending.resolve(reply);
      else if (reply.quarantine)
        pending.reject(new QuarantineError(pending.job.source, reply.quarantine));
      else pending.reject(new FileFailure(reply.code, reply.message, reply.refusal));
    });
    worker.on('error', (error) => stop({ error }));
    worker.on('exit', (exitCode) => stop({ exitCode }));
    return thread;
  }

  /**
   * The files in flight on a thread that stopped: the only one fails; several are suspects,
   * each run again alone (unless the pool was closed: they are canceled then).
   */
  private stoppedUnder(jobs: Pending[], reason: { why: string; code: ErrorCode }): void {
    if (this.closed) {
      for (const job of jobs) job.reject(canceled());
      return;
    }
    if (jobs.length === 1) {
      const [only] = jobs as [Pending];
      only.reject(
        new FileFailure(
          reason.code,
          `its de-identification thread ${reason.why} while de-identifying it`,
          'thread-stopped',
        ),
      );
      return;
    }
    for (const job of jobs) this.isolate(job);
  }

  /** Run `pending` once every suspect before it settled, alone on the suspects' thread. */
  private isolate(pending: Pending): void {
    const { job } = pending;
    this.suspects = this.suspects.then(async () => {
      // What the stopped thread left of its output file goes before it is written again.
      if ('temp' in job) await unlink(job.temp).catch(() => undefined);
      if (this.closed) return pending.reject(canceled());
      const thread = (this.isolated ??= this.spawn((t) => {
        if (this.isolated === t) this.isolated = undefined;
      }));
      await new Promise<void>((settled) => {
        const then =
          <T>(settle: (value: T) => void) =>
          (value: T): void => {
            settle(value);
            settled();
          };
        this.post(thread, { job, resolve: then(pending.resolve), reject: then(pending.reject) });
      });
    });
  }

  /** Send a job to `thread`. */
  private post(thread: Thread, pending: Pending): void {
    thread.pending.set(pending.job.id, pending);
    thread.worker.postMessage(pending.job);
  }

  /** The `index`-th thread, started when it is not running. */
  private thread(index: number): Thread {
    const existing = this.threads[index];
    if (existing !== undefined) return existing;
    const thread = this.spawn((t) => {
      if (this.threads[index] === t) this.threads[index] = undefined;
    });
    this.threads[index] = thread;
    return thread;
  }

  /** Give `file` to the thread with the fewest files; `task` says what to do given that thread's backlog. */
  private run(
    file: ScannedFile,
    task: (backlog: number) => { hash: boolean } | { target: string; temp: string },
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
    return new Promise((resolve, reject) => this.post(thread, { job, resolve, reject }));
  }

  async deidentify(file: ScannedFile, md5: Md5Need = 'unneeded'): Promise<DeidentifiedFile> {
    const reply = await this.run(file, (backlog) => ({
      hash: md5 === 'required' || (md5 === 'useful' && backlog <= BEHIND_AT),
    }));
    if (!('file' in reply)) throw new SomError('Internal', 'a worker answered out of turn');
    const { memory, offset, length } = reply.file.bytes;
    return this.tallied({ ...reply.file, bytes: Buffer.from(memory, offset, length) });
  }

  async deidentifyInto(file: ScannedFile, target: string): Promise<WrittenOutput> {
    // The temporary file is named here, so that this thread can remove it should the
    // process exit, or the worker stop, while it is being written.
    const temp = temporaryPathFor(target);
    const done = trackTemporary(temp);
    try {
      const reply = await this.run(file, () => ({ target, temp }));
      if (!('output' in reply)) throw new SomError('Internal', 'a worker answered out of turn');
      return this.tallied(reply.output);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    } finally {
      done();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const running = [...this.threads, this.isolated].filter((t): t is Thread => t !== undefined);
    this.threads.fill(undefined);
    this.isolated = undefined;
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
  aliases: FileAliasLookup,
  settings: DeidSettings,
  init: WorkerInit,
  threads: number,
): Deidentifier {
  if (threads === 0 || !existsSync(WORKER_SCRIPT)) return new InlineDeidentifier(aliases, settings);
  return new DeidPool(aliases, settings, WORKER_SCRIPT, init, threads);
}
