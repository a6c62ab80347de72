/**
 * Streaming uploads: small objects in one request, large ones resumable, the MD5 of the
 * bytes checked before the upload is finalised so that a mismatch (or a failing source)
 * stores nothing and leaves any previous object in place, and an idle deadline so that a
 * stalled connection fails instead of hanging.
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SomError } from '@som/core';

/** A stream read up to a limit, to choose how to upload it. */
export interface SplitStream {
  /** True when the stream ended within the limit. */
  ended: boolean;
  /** All of the stream's bytes, those read first included, read lazily. */
  body: Readable;
}

const asBuffer = (chunk: unknown): Buffer =>
  Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);

/**
 * Read `source` up to `limit` bytes (or its end). The source is closed once `body` ends or
 * is destroyed.
 */
export async function splitHead(source: Readable, limit: number): Promise<SplitStream> {
  const iterator: AsyncIterator<unknown> = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < limit) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    const chunk = asBuffer(next.value);
    head.push(chunk);
    size += chunk.length;
  }
  async function* all(): AsyncGenerator<Buffer> {
    try {
      yield* head;
      while (!ended) {
        const next = await iterator.next();
        if (next.done) return;
        yield asBuffer(next.value);
      }
    } finally {
      await iterator.return?.();
    }
  }
  return { ended, body: Readable.from(all(), { objectMode: false }) };
}

/**
 * Passes bytes through while hashing them; at the end of the input, fails (so the upload
 * is never finalised) when `expectedMd5` is given and differs. Calls `onProgress` for
 * every chunk.
 */
export class Md5Check extends Transform {
  private readonly hash: Hash = createHash('md5');

  /**
   * @param key the object written, for messages.
   * @param expectedMd5 the MD5 (lowercase hex) the bytes must have, if known.
   * @param onProgress called as bytes move.
   */
  constructor(
    private readonly key: string,
    private readonly expectedMd5: string | undefined,
    private readonly onProgress: () => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.onProgress();
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.onProgress();
    const md5 = this.hash.digest('hex');
    if (this.expectedMd5 !== undefined && md5 !== this.expectedMd5) {
      callback(
        new SomError(
          'InvalidArgument',
          `md5 mismatch writing ${this.key}: expected ${this.expectedMd5}, received ${md5}; nothing stored`,
        ),
      );
      return;
    }
    callback();
  }
}

/** Options of {@link runUpload}. */
export interface RunUploadOptions {
  /** The object written, for messages. */
  key: string;
  /** The MD5 (lowercase hex) the bytes must have, if known. */
  expectedMd5?: string;
  /** Fail with DeadlineExceeded when nothing moves (nor completes) for this long. */
  idleMs: number;
  /** Abort the upload (Canceled). */
  signal?: AbortSignal;
}

/**
 * Pipe `body` through an {@link Md5Check} into `destination` (an upload stream). Rejects
 * with a SomError when the md5 differs (InvalidArgument), the idle deadline passes
 * (DeadlineExceeded) or `signal` aborts (Canceled); any other failure is rethrown as is.
 */
export async function runUpload(
  body: Readable,
  destination: NodeJS.WritableStream,
  options: RunUploadOptions,
): Promise<void> {
  const idle = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(), options.idleMs);
  };
  const signal = options.signal ? AbortSignal.any([options.signal, idle.signal]) : idle.signal;
  touch();
  try {
    await pipeline(body, new Md5Check(options.key, options.expectedMd5, touch), destination, {
      signal,
    });
  } catch (err) {
    if (idle.signal.aborted)
      throw new SomError(
        'DeadlineExceeded',
        `writing ${options.key}: no progress for ${options.idleMs} ms`,
        { cause: err },
      );
    if (options.signal?.aborted)
      throw new SomError('Canceled', `writing ${options.key} canceled; nothing stored`, {
        cause: err,
      });
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
