/**
 * Cutting a stream into parts of a fixed size, holding at most about two parts in memory:
 * what a multipart upload sends, part after part.
 */
import type { Readable } from 'node:stream';
import { SomError } from '@som/core';

/** One part: its bytes, and whether it is the last. */
export interface Part {
  bytes: Buffer;
  last: boolean;
}

/** Reads `stream` in parts of `partSize` bytes (the last may be shorter, or empty for an empty stream). */
export class PartReader {
  private readonly chunks: AsyncIterator<unknown>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private ended = false;
  private started = false;

  /**
   * @param stream the bytes.
   * @param partSize bytes per part.
   * @param what names the upload in errors.
   * @param signal stops reading with Canceled.
   */
  constructor(
    stream: Readable,
    private readonly partSize: number,
    private readonly what: string,
    private readonly signal?: AbortSignal,
  ) {
    this.chunks = stream[Symbol.asyncIterator]();
  }

  /** The next part, or undefined after the last. Rejects with the stream's error. */
  async next(): Promise<Part | undefined> {
    // Read one byte past the part, to know whether it is the last.
    while (!this.ended && this.pendingBytes <= this.partSize) {
      if (this.signal?.aborted) throw new SomError('Canceled', `${this.what} canceled`);
      const { done, value } = await this.chunks.next();
      if (done) this.ended = true;
      else {
        const chunk = Buffer.isBuffer(value) ? value : Buffer.from(value as string);
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
      }
    }
    if (this.started && this.pendingBytes === 0) return undefined;
    this.started = true;
    const all =
      this.pending.length === 1
        ? (this.pending[0] as Buffer)
        : Buffer.concat(this.pending, this.pendingBytes);
    const bytes = all.subarray(0, this.partSize);
    const rest = all.subarray(bytes.length);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return { bytes, last: this.ended && rest.length === 0 };
  }

  /** Stop reading: the stream is destroyed. */
  async close(): Promise<void> {
    await this.chunks.return?.();
  }
}
