/**
 * MD5 of what a put writes, computed beside the write. A small object is hashed in the
 * calling thread; a large one (its first chunk at least {@link THREADED_FROM} bytes, on a
 * machine with at least {@link THREADED_FROM_CPUS} CPUs) in a helper thread shared by the
 * process: each chunk is copied into a slot of a shared ring buffer (a memory copy, a
 * twentieth of hashing it) and hashed there while the calling thread goes on writing.
 * Hashing was two thirds of a put's main-thread time, and the main thread is what an upload
 * waits for, when a CPU is free to run the helper.
 */
import { createHash, type Hash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** An MD5 being computed over the chunks given, in order. */
export interface Md5 {
  /** Add `bytes` (copied or hashed before the promise settles: the caller may reuse them after). */
  update(bytes: Uint8Array): Promise<void>;
  /** The MD5 of everything added, lowercase hex. */
  digest(): Promise<string>;
  /** Forget it (a failed write). */
  discard(): void;
}

/** Objects whose first chunk is at least this large are hashed in the helper thread. */
export const THREADED_FROM = 64 * 1024;

/**
 * The fewest CPUs with which large objects are hashed in the helper thread. On two, an
 * upload's main thread and its de-identification thread take both already: the helper
 * only adds its copy into the ring and its wakeups to the same hashing (an upload of 800
 * CT files took 0.15 to 0.4 s more CPU with it than hashing in the main thread, in
 * bench/upload.js).
 */
export const THREADED_FROM_CPUS = 3;

/** Slots of the ring buffer, and their size: at most this much is waiting to be hashed. */
const SLOTS = 8;
const SLOT_BYTES = 1 << 20;

/** The helper thread's script: hashes slots of the ring as told, in the order told. */
const HELPER_SCRIPT = join(__dirname, '..', 'workers', 'md5-helper.js');

type ToHelper =
  | { kind: 'update'; id: number; slot: number; offset: number; length: number }
  | { kind: 'digest' | 'discard'; id: number };

type FromHelper = { kind: 'free'; slot: number } | { kind: 'digest'; id: number; md5: string };

/** The helper thread and its ring buffer; started on first use, restarted after a failure. */
class Helper {
  private readonly ring = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
  private readonly bytes = new Uint8Array(this.ring);
  private worker: Worker | undefined;
  private free: number[] = [];
  private readonly slotWaiters: ((slot: number) => void)[] = [];
  private readonly digests = new Map<
    number,
    { resolve: (md5: string) => void; reject: (e: Error) => void }
  >();
  private nextId = 0;

  /** A new MD5 computed in the helper thread. */
  start(): Md5 {
    const worker = this.started();
    const id = this.nextId++;
    const alive = (): void => {
      if (this.worker !== worker) throw new Error('the MD5 helper thread stopped');
    };
    return {
      update: async (bytes) => {
        for (let offset = 0; offset < bytes.length; offset += SLOT_BYTES) {
          const piece = bytes.subarray(offset, offset + SLOT_BYTES);
          const slot = await this.slot();
          alive();
          this.bytes.set(piece, slot * SLOT_BYTES);
          this.post({ kind: 'update', id, slot, offset: slot * SLOT_BYTES, length: piece.length });
        }
      },
      digest: () =>
        new Promise<string>((resolve, reject) => {
          alive();
          this.digests.set(id, { resolve, reject });
          this.post({ kind: 'digest', id });
        }),
      discard: () => {
        if (this.worker === worker) this.post({ kind: 'discard', id });
      },
    };
  }

  private started(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(HELPER_SCRIPT, { workerData: { ring: this.ring } });
    worker.unref();
    worker.on('message', (message: FromHelper) => {
      if (message.kind === 'free') this.release(message.slot);
      else {
        this.digests.get(message.id)?.resolve(message.md5);
        this.digests.delete(message.id);
        this.holdProcess();
      }
    });
    const fail = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const { reject } of this.digests.values())
        reject(new Error(`the MD5 helper thread ${why}`));
      this.digests.clear();
      // The slots lent to the dead thread come back (writers waiting for one then fail).
      this.free = [];
      for (let slot = 0; slot < SLOTS; slot++) this.release(slot);
    };
    worker.on('error', (err) => fail(`failed: ${err.message}`));
    worker.on('exit', (code) => fail(`stopped (exit code ${code})`));
    this.free = Array.from({ length: SLOTS }, (_, slot) => slot);
    this.worker = worker;
    return worker;
  }

  private post(message: ToHelper): void {
    this.worker?.postMessage(message);
    this.holdProcess();
  }

  /** Keep the process alive while the helper has work the caller waits for, and only then. */
  private holdProcess(): void {
    if (this.free.length < SLOTS || this.digests.size > 0) this.worker?.ref();
    else this.worker?.unref();
  }

  /** A free slot of the ring (waiting for one when all are being hashed). */
  private slot(): Promise<number> {
    const slot = this.free.pop();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private release(slot: number): void {
    const waiter = this.slotWaiters.shift();
    if (waiter) waiter(slot);
    else this.free.push(slot);
    this.holdProcess();
  }
}

/** An MD5 computed in the calling thread. */
function inline(): Md5 {
  const hash: Hash = createHash('md5');
  return {
    update: async (bytes) => {
      hash.update(bytes);
    },
    digest: async () => hash.digest('hex'),
    discard: () => undefined,
  };
}

let helper: Helper | undefined;

/** The CPUs this process may use, read once (a system call each time it is asked). */
let cpusAvailable: number | undefined;

/**
 * An MD5 for an object whose first chunk has `firstChunk` bytes, on a machine with `cpus`
 * CPUs (see the module comment).
 */
export function startMd5(
  firstChunk: number,
  cpus = (cpusAvailable ??= availableParallelism()),
): Md5 {
  if (firstChunk < THREADED_FROM || cpus < THREADED_FROM_CPUS) return inline();
  helper ??= new Helper();
  return helper.start();
}
