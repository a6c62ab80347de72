/**
 * Image records written in batches: an upload stores each object as soon as it can, and its
 * record goes with the next batch: when the batch is full, or when its oldest record has
 * waited {@link RECORD_BATCH_MAX_WAIT_MS} (so that records and progress keep up with the
 * objects also while the next image is slow to come). Before a batch is written, the objects
 * its records name are made durable together (`ObjectStore.flush`, a group commit), so that
 * no record ever names an object a crash could take.
 */
import { SomError, toSomError } from '../errors';
import type { RecordData } from '../metadata-store/driver';
import type { MetadataStore } from '../metadata-store/metadata-store';
import type { KeyPath } from '../names';
import type { ObjectStore } from '../object-store/object-store';

/** How many image records are written per batch. */
export const RECORD_BATCH_SIZE = 250;

/** Longest a stored object waits for its record batch (so progress and records keep up). */
export const RECORD_BATCH_MAX_WAIT_MS = 1000;

/**
 * What `promise` settles to; when `ms` (if given) pass first, `onTimeout` runs and the wait
 * goes on (`onTimeout` runs at most once).
 */
async function settledWithin<T>(
  promise: Promise<T>,
  ms: number | undefined,
  onTimeout: () => Promise<void>,
): Promise<T> {
  if (ms === undefined) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), Math.max(0, ms));
  });
  try {
    const first = await Promise.race([promise, timedOut]);
    if (first !== 'timeout') return first;
  } finally {
    clearTimeout(timer);
  }
  await onTimeout();
  return promise;
}

/**
 * Collects records with a tag each (what the caller reports once the record is written) and
 * writes them in batches. `onWritten` hears of every tag once: with no error when its batch
 * was written, with the batch's error when it was not.
 */
export class RecordBatcher<Tag> {
  private pending: { tag: Tag; key: KeyPath; data: RecordData }[] = [];
  /** When the oldest pending record was added (`Date.now()`). */
  private oldest = 0;

  /**
   * @param objects where the objects the records name are (made durable before each batch).
   * @param records where the batches go.
   * @param onWritten told of each record's fate, in the order added.
   */
  constructor(
    private readonly objects: ObjectStore,
    private readonly records: MetadataStore,
    private readonly onWritten: (tag: Tag, error?: SomError) => void,
  ) {}

  /** Add a record; writes the batch when it is full or its oldest record is due. */
  async add(tag: Tag, key: KeyPath, data: RecordData): Promise<void> {
    if (this.pending.length === 0) this.oldest = Date.now();
    this.pending.push({ tag, key, data });
    const due = Date.now() - this.oldest >= RECORD_BATCH_MAX_WAIT_MS;
    if (this.pending.length >= RECORD_BATCH_SIZE || due) await this.flush();
  }

  /** What `promise` settles to; the batch is written meanwhile if it falls due first. */
  async meanwhile<T>(promise: Promise<T>): Promise<T> {
    const wait =
      this.pending.length === 0 ? undefined : this.oldest + RECORD_BATCH_MAX_WAIT_MS - Date.now();
    return settledWithin(promise, wait, () => this.flush());
  }

  /**
   * Write every pending record now, once the objects stored before this call are durable
   * (a record whose object could not be made durable is not written: its image fails).
   */
  async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let error: SomError | undefined;
    try {
      await this.objects.flush();
    } catch (err) {
      const cause = toSomError(err, this.objects.name);
      error = new SomError(cause.code, `making the objects durable: ${cause.message}`, { cause });
    }
    try {
      if (error === undefined)
        await this.records.putMany(batch.map(({ key, data }) => ({ key, data })));
    } catch (err) {
      error = toSomError(err, 'writing image records');
    }
    for (const { tag } of batch) this.onWritten(tag, error);
  }
}
