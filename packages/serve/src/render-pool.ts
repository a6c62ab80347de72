/**
 * Decoding images off the main thread: a small pool of worker threads running
 * workers/render-worker.js, each job given to the thread with the fewest pending. A thread
 * that dies fails its pending jobs and is replaced on the next job.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { SomError } from '@som/core';

/** The worker script (plain JavaScript, beside the package's sources and its build). */
export const RENDER_WORKER = join(__dirname, '..', 'workers', 'render-worker.js');

/** A window: the center and width of the values mapped to the grey ramp. */
export interface Window {
  center: number;
  width: number;
}

/** What to render. */
export interface RenderJob {
  /** The whole DICOM object. */
  bytes: Buffer;
  /** Frame index, from 0. */
  frame: number;
  /** Fit inside a square of this many pixels (undefined: the image's own size). */
  size?: number;
  /** Only ever make the image smaller to fit `size`. */
  shrinkOnly?: boolean;
  /** The window (undefined: the file's own, else from the pixel values). */
  window?: Window;
  /** Output format. */
  format: 'png' | 'jpeg';
  /** JPEG quality, 1-100. */
  quality: number;
}

/** A rendered frame. */
export interface Rendered {
  image: Buffer;
  /** Size of the frame before resizing. */
  width: number;
  height: number;
}

type Reply =
  | { id: number; ok: true; image: Uint8Array; width: number; height: number }
  | { id: number; ok: false; message: string };

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (r: Rendered) => void; reject: (e: Error) => void }>;
}

/** The default number of threads: one per CPU but one, at least one, at most 4. */
export function defaultRenderThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/** A pool of rendering threads, started on first use. */
export class RenderPool {
  private readonly threads: (Thread | undefined)[];
  private nextId = 1;

  /** @param size number of threads. */
  constructor(size = defaultRenderThreads()) {
    this.threads = new Array<Thread | undefined>(size).fill(undefined);
  }

  /** Render one frame; InvalidArgument (with a reason holding no file value) when it cannot be. */
  render(job: RenderJob): Promise<Rendered> {
    const index = this.leastBusy();
    const thread = this.threads[index] ?? this.start(index);
    const id = this.nextId++;
    return new Promise<Rendered>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      // The bytes are copied into a buffer of their own, which is moved to the thread.
      const bytes = new Uint8Array(job.bytes).buffer;
      thread.worker.postMessage(
        {
          id,
          bytes,
          frame: job.frame,
          size: job.size,
          shrinkOnly: job.shrinkOnly,
          window: job.window,
          format: job.format,
          quality: job.quality,
        },
        [bytes],
      );
    });
  }

  /** Stop every thread. */
  async close(): Promise<void> {
    const running = this.threads.filter((t): t is Thread => t !== undefined);
    this.threads.fill(undefined);
    await Promise.all(running.map((t) => t.worker.terminate()));
  }

  private leastBusy(): number {
    let best = 0;
    let fewest = Infinity;
    this.threads.forEach((thread, i) => {
      const load = thread?.pending.size ?? 0;
      if (load < fewest) [best, fewest] = [i, load];
    });
    return best;
  }

  private start(index: number): Thread {
    const worker = new Worker(RENDER_WORKER);
    const thread: Thread = { worker, pending: new Map() };
    this.threads[index] = thread;
    worker.unref();
    worker.on('message', (reply: Reply) => {
      const job = thread.pending.get(reply.id);
      if (job === undefined) return;
      thread.pending.delete(reply.id);
      if (reply.ok)
        job.resolve({
          image: Buffer.from(reply.image.buffer, reply.image.byteOffset, reply.image.length),
          width: reply.width,
          height: reply.height,
        });
      else job.reject(new SomError('InvalidArgument', `cannot render: ${reply.message}`));
    });
    const fail = (why: string): void => {
      if (this.threads[index] === thread) this.threads[index] = undefined;
      for (const job of thread.pending.values())
        job.reject(new SomError('Internal', `a rendering thread ${why}`));
      thread.pending.clear();
    };
    worker.on('error', () => fail('failed'));
    worker.on('exit', (code) => fail(`stopped (exit code ${code})`));
    return thread;
  }
}
