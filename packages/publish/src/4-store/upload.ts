/**
 * The second pass of `som upload`: per patient (entity), de-identify its files in memory
 * with bounded concurrency and hand them to `Client.uploadDataset` (object first, record
 * second, unchanged files skipped), then refresh the entity's aggregate fields.
 */
import {
  mapBounded,
  toSomError,
  type Client,
  type ImageInput,
  type ImageUploadResult,
  type Md5Need,
  type RecordData,
} from '@som/core';
import { Readable } from 'node:stream';
import type { ScannedFile } from '../1-scan/scan';
import { ByteBudget, FILE_BYTES_IN_MEMORY, memoryCost } from '../3-deidentify/byte-budget';
import type { DeidentifiedFile } from '../3-deidentify/deid-file';
import type { Deidentifier } from '../3-deidentify/deid-pool';
import { readParts } from '../3-deidentify/output-parts';
import {
  failureEntry,
  pixelsEntry,
  type FileReport,
  type Progress,
  type Report,
} from '../5-summarise/report';
import { refreshEntitySummary } from './entity-summary';

/**
 * Entities uploaded at once: while one finishes (its last records, its summary), the next
 * one's files are already being de-identified and stored.
 */
export const ENTITIES_AT_ONCE = 2;

/** Options of {@link uploadFiles}. */
export interface UploadOptions {
  /** The collection uid (created when absent). */
  collection: string;
  /** Files de-identified and uploaded at once. */
  concurrency: number;
  /** Fields added to every image record (`--metadata`). */
  metadata: RecordData;
  /** Fields added to every entity record (`--entity-metadata`). */
  entityMetadata?: RecordData;
  /** Stop starting files when aborted; files in flight finish. */
  signal: AbortSignal;
  /**
   * The bytes of files held in memory at once (default {@link FILE_BYTES_IN_MEMORY}): a file
   * holds its cost (see `memoryCost`) from the start of its de-identification until its
   * outcome is reported.
   */
  memoryBudget?: number;
  /**
   * Called with a stored file's size once its bytes are no longer referenced by the upload
   * (a caller may tune the process, e.g. collect garbage; the library never does).
   */
  onBytesReleased?: (bytes: number) => void;
}

/**
 * Reports outcomes, advances the progress by each file's size, and gives back the memory
 * budget a file held (see {@link deidentifyAll}) once its outcome is known.
 */
class Tracker {
  private readonly done = new Set<ScannedFile>();

  constructor(
    private readonly report: Report,
    private readonly progress: Progress,
    readonly budget: ByteBudget,
    readonly onBytesReleased: (bytes: number) => void = () => undefined,
  ) {}

  add(file: ScannedFile, entry: Omit<FileReport, 'path'>): void {
    this.budget.release(file);
    if (this.done.has(file)) return;
    this.done.add(file);
    this.report.add({ path: file.path, ...entry }, file);
    this.progress.advance(file.size);
  }

  /** Report every file of `files` not reported yet as not started. */
  interrupted(files: readonly ScannedFile[]): void {
    for (const file of files)
      this.add(file, { outcome: 'interrupted', reason: 'not started: the run was interrupted' });
  }
}

type Attempt =
  { file: ScannedFile; deid: DeidentifiedFile } | { file: ScannedFile; error: unknown };

/**
 * De-identify `files` with bounded concurrency (computing their MD5 too as `md5` asks),
 * yielding each outcome as it completes. Each file first takes its size from the tracker's
 * memory budget, given back when the tracker reports the file.
 */
function deidentifyAll(
  files: readonly ScannedFile[],
  deidentifier: Deidentifier,
  options: UploadOptions,
  tracker: Tracker,
  md5: Md5Need = 'unneeded',
): AsyncGenerator<Attempt> {
  return mapBounded(
    files,
    options.concurrency,
    async (file): Promise<Attempt> => {
      await tracker.budget.acquire(file, memoryCost(file));
      return deidentifier.deidentify(file, md5).then(
        (deid) => ({ file, deid }),
        (error: unknown) => ({ file, error }),
      );
    },
    options.signal,
  );
}

/** Files grouped by patient (original PatientID), in first-seen order. */
function byPatient(files: readonly ScannedFile[]): ScannedFile[][] {
  const groups = new Map<string, ScannedFile[]>();
  for (const file of files) {
    const group = groups.get(file.entityId);
    if (group) group.push(file);
    else groups.set(file.entityId, [file]);
  }
  return [...groups.values()];
}

/** `--dry-run`: de-identify every file in memory and report what would be stored. */
async function dryRunFiles(
  files: readonly ScannedFile[],
  deidentifier: Deidentifier,
  options: UploadOptions,
  tracker: Tracker,
): Promise<void> {
  for await (const attempt of deidentifyAll(files, deidentifier, options, tracker)) {
    if ('error' in attempt)
      tracker.add(attempt.file, failureEntry(attempt.file.path, attempt.error));
    else
      tracker.add(attempt.file, {
        outcome: 'would-write',
        entity: attempt.deid.entity,
        image: attempt.deid.image,
        size: attempt.deid.size,
        ...pixelsEntry(attempt.deid),
        ...noItem(attempt.deid),
      });
  }
  tracker.interrupted(files);
}

/** The report's mark of a file de-identified without an item alias. */
function noItem(deid: DeidentifiedFile): { noItemAlias?: true } {
  return deid.item === undefined ? { noItemAlias: true } : {};
}

/** `first`, then the rest of `iterator`. */
async function* prepend<T>(first: T, iterator: AsyncIterator<T>): AsyncGenerator<T> {
  yield first;
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
}

/** Upload the files of one patient as one entity (none is made when no file de-identifies). */
async function uploadEntity(
  client: Client,
  files: readonly ScannedFile[],
  deidentifier: Deidentifier,
  options: UploadOptions,
  tracker: Tracker,
): Promise<void> {
  let entity: string;
  try {
    entity = deidentifier.entityUid(files[0] as ScannedFile);
  } catch (err) {
    for (const file of files) tracker.add(file, failureEntry(file.path, err));
    return;
  }
  const ref = { collection: options.collection, entity };
  const byImage = new Map<string, ScannedFile>();
  const withoutItem = new Set<ScannedFile>();
  const fileOf = new WeakMap<ImageInput, ScannedFile>();
  /** What was blanked in the pixels of the images that were cleaned, for their report entries. */
  const cleaned = new Map<string, Pick<FileReport, 'pixels'>>();
  async function* images(): AsyncGenerator<ImageInput> {
    // The MD5s are computed beside the de-identification when the store needs them (the
    // Client computes the ones it needs and is not given).
    const md5 = await client.md5Need(ref);
    for await (const attempt of deidentifyAll(files, deidentifier, options, tracker, md5)) {
      const { file } = attempt;
      if ('error' in attempt) {
        tracker.add(file, failureEntry(file.path, attempt.error));
        continue;
      }
      const { deid } = attempt;
      const first = byImage.get(deid.image);
      if (first !== undefined) {
        const reason = `de-identified to the same image uid as ${first.path}: not uploaded twice`;
        tracker.add(file, { outcome: 'failed', reason, entity, image: deid.image });
        continue;
      }
      byImage.set(deid.image, file);
      if (deid.item === undefined) withoutItem.add(file);
      if (deid.pixelCleaning !== undefined) cleaned.set(deid.image, pixelsEntry(deid));
      const input: ImageInput = {
        uid: deid.image,
        // A file de-identified around its pixel data streams from its parts (its pixel data
        // read from its file a window at a time on the way to the store).
        ...(deid.bytes !== undefined
          ? { bytes: deid.bytes }
          : { stream: Readable.from(readParts(deid.parts ?? []), { objectMode: false }) }),
        metadata: deid.searchable,
        userMetadata: options.metadata,
        ...(deid.md5 !== undefined ? { md5: deid.md5 } : {}),
      };
      fileOf.set(input, file);
      yield input;
    }
  }
  const iterator = images();
  const first = await iterator.next();
  if (first.done) return tracker.interrupted(files);
  const onImage = (result: ImageUploadResult): void => {
    const file = byImage.get(result.image.image);
    if (file === undefined) return;
    const where = { entity, image: result.image.image };
    if (result.outcome === 'failed') {
      tracker.add(file, { ...failureEntry(file.path, result.error), ...where });
    } else {
      const outcome = result.outcome === 'unchanged' ? 'unchanged' : 'written';
      tracker.add(file, {
        outcome,
        ...where,
        ...(result.size !== undefined ? { size: result.size } : {}),
        ...cleaned.get(result.image.image),
        ...(withoutItem.has(file) ? { noItemAlias: true as const } : {}),
      });
    }
  };
  try {
    const images = prepend(first.value, iterator);
    await client.uploadDataset({
      collection: ref.collection,
      uid: entity,
      ...(options.entityMetadata !== undefined
        ? { metadata: options.entityMetadata, keepMetadata: true }
        : {}),
      images,
      concurrency: options.concurrency,
      signal: options.signal,
      onImage,
      // A stored file's bytes leave the memory budget before its record is written with a
      // batch (which waits for more files: holding them until then could stall the run).
      onBytesDone: (source) => {
        const file = typeof source === 'string' ? undefined : fileOf.get(source);
        if (file === undefined) return;
        tracker.budget.release(file);
        tracker.onBytesReleased(file.size);
      },
    });
    await refreshEntitySummary(client, ref);
  } catch (err) {
    const { message: reason, code } = toSomError(err, `entity ${entity}`);
    for (const file of files) tracker.add(file, { outcome: 'failed', reason, code, entity });
  }
  tracker.interrupted(files);
}

/**
 * Upload `files` (from the first pass) into `options.collection`, one entity per patient;
 * every file's outcome goes to `report`. Without a client (`--dry-run`) nothing is stored.
 */
export async function uploadFiles(
  client: Client | undefined,
  files: readonly ScannedFile[],
  deidentifier: Deidentifier,
  options: UploadOptions,
  report: Report,
  progress: Progress,
): Promise<void> {
  const budget = new ByteBudget(options.memoryBudget ?? FILE_BYTES_IN_MEMORY);
  const tracker = new Tracker(report, progress, budget, options.onBytesReleased);
  for (const file of files) {
    if (file.duplicateOf !== undefined)
      tracker.add(file, {
        outcome: 'failed',
        reason: `same patient and SOP Instance UID as ${file.duplicateOf}: not uploaded twice`,
      });
  }
  const unique = files.filter((file) => file.duplicateOf === undefined);
  if (client === undefined) return dryRunFiles(unique, deidentifier, options, tracker);
  const entities = mapBounded(
    byPatient(unique),
    ENTITIES_AT_ONCE,
    (group) => uploadEntity(client, group, deidentifier, options, tracker),
    options.signal,
  );
  for await (const _entity of entities) {
    // each file's outcome went to the tracker as it happened
  }
  tracker.interrupted(unique);
}
