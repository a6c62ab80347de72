/**
 * A limit on the bytes of files held in memory at once. som reads each file whole (to
 * de-identify it and splice the result around its untouched pixel data), so a limit on the
 * number of files in flight alone does not bound memory: sixteen 300 MB multi-frame files
 * would need gigabytes. A file waits until its cost fits beside the files held; a file
 * costing more than the whole budget runs alone. Files are admitted in the order they asked.
 */

/** The bytes of files `som upload` and `som deid` hold in memory at once (see {@link ByteBudget}). */
export const FILE_BYTES_IN_MEMORY = 64 * 1024 * 1024;

/**
 * Bytes of memory a header byte may cost while its file is de-identified: a header of many
 * small items costs up to about 35 times its size (490,000 items of one UID each in 19.6 MB:
 * 660 MB above the 82 MB of a run of small files, peak resident memory of `som deid`),
 * however small its pixel data.
 */
export const HEADER_BYTE_COST = 40;

/** What de-identifying a file of `size` bytes whose header takes `headerBytes` may cost in memory. */
export function memoryCost(file: { size: number; headerBytes: number }): number {
  return file.size + HEADER_BYTE_COST * file.headerBytes;
}

interface Waiting {
  bytes: number;
  admit: () => void;
}

/** Bytes held by holders (one per file), granted first come, first served. */
export class ByteBudget {
  #used = 0;
  readonly #held = new Map<object, number>();
  readonly #waiting: Waiting[] = [];

  /** @param limit the bytes that may be held at once (a single holder may exceed it alone). */
  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`a byte budget must be at least 1 byte, not ${limit}`);
  }

  /** The bytes held now. */
  get used(): number {
    return this.#used;
  }

  /** Resolve once `bytes` fit, then hold them for `holder` until {@link release}. */
  acquire(holder: object, bytes: number): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push({
        bytes,
        admit: () => {
          this.#held.set(holder, (this.#held.get(holder) ?? 0) + bytes);
          this.#used += bytes;
          resolve();
        },
      });
      this.#admitWaiting();
    });
  }

  /** Give back everything `holder` holds (nothing happens when it holds nothing). */
  release(holder: object): void {
    const bytes = this.#held.get(holder);
    if (bytes === undefined) return;
    this.#held.delete(holder);
    this.#used -= bytes;
    this.#admitWaiting();
  }

  /** Run `work` holding `bytes`, released when it settles. */
  async with<T>(bytes: number, work: () => Promise<T>): Promise<T> {
    const holder = {};
    await this.acquire(holder, bytes);
    try {
      return await work();
    } finally {
      this.release(holder);
    }
  }

  /** Admit waiters in order while the first of them fits (anything fits in an empty budget). */
  #admitWaiting(): void {
    for (
      let next = this.#waiting[0];
      next !== undefined && (this.#used === 0 || this.#used + next.bytes <= this.limit);
      next = this.#waiting[0]
    ) {
      this.#waiting.shift();
      next.admit();
    }
  }
}
