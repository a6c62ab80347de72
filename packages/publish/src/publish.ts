/**
 * `publish(paths, options)`: what `som upload` does, as a library call. The stages in order:
 * scan the inputs (headers only), get the aliases, de-identify every file in memory, store
 * it as Collection / Entity / Images with its searchable fields and the entity aggregates,
 * and summarise every file's outcome.
 */
import {
  SomError,
  validateUid,
  validateUserMetadata,
  type Client,
  type RecordData,
} from '@som/core';
import { collectionKeyStamp } from '@som/identifiers';
import { claimCollection } from './4-store/collection-key';
import { uploadFiles } from './4-store/upload';
import { PendingFiles, Report, type RunSummary } from './5-summarise/report';
import type { Scan } from './1-scan/scan';
import type { SomConfig } from './config/types';
import { keepPlannedFiles } from './scale-out/plan-files';
import { loadSettings, scanRun, startRun, type LoadedSettings } from './prepare';
import {
  callbackSink,
  deidChoices,
  runConfig,
  sayUnmatched,
  totalsOf,
  type RunOptions,
} from './run-options';

/** Options of {@link publish}. */
export interface PublishOptions extends RunOptions {
  /**
   * Where to store (see `openClient`), or a function opening it, called only once the inputs
   * are known to hold DICOM files (so that a run with nothing to store creates no store);
   * the caller closes the client either way. Not needed for a dry run.
   */
  client?: Client | (() => Promise<Client>);
  /** The collection uid (created when absent). */
  collection: string;
  /** Fields added to every image record (besides the searchable fields of its header). */
  metadata?: RecordData;
  /** Fields added to every entity record (besides the aggregates of its images). */
  entityMetadata?: RecordData;
  /**
   * Add to a collection made with another pseudonymisation key or alias source: its
   * patients get new aliases, so those already stored appear a second time. The collection
   * then records this run's key. Without it such a run is refused before anything is stored.
   */
  newKey?: boolean;
  /** De-identify in memory and report `would-write` for each file; store nothing. */
  dryRun?: boolean;
  /**
   * Upload only the files listed here (absolute path -> original PatientID), each only if
   * its header still names that patient; any other file fails with the reason. A shard of
   * a plan uploads its files so: a file changed since planning may be another shard's.
   */
  planned?: ReadonlyMap<string, string>;
  /** Bytes of files held in memory at once (default 64 MiB; a larger file runs alone). */
  memoryBudget?: number;
  /**
   * Called with a stored file's size once the run no longer references its bytes: a caller
   * may tune the process there (the `som` command collects garbage); the library never does.
   */
  onBytesReleased?: (bytes: number) => void;
}

/**
 * De-identify the DICOM files under `paths` and store them into `options.collection`, one
 * entity per (aliased) patient; rerunning is safe (what is stored already is `unchanged`).
 * A file that cannot be fully de-identified is never stored: it is `failed` with its reason,
 * and the run goes on. Inputs without any DICOM file store nothing (`noDicomFiles`).
 * @returns how many files had each outcome (`written`, `unchanged`, `failed`, ...), and the
 *   files not done.
 * @throws SomError InvalidArgument for bad options (before anything is read);
 *   `CollectionKeyMismatchError` (FailedPrecondition) when the collection was made with
 *   another key or alias source and `newKey` is not set (before anything is stored). Any
 *   error that stops the run once the inputs are read comes after every file not done
 *   was reported `interrupted` (`onFile`).
 */
export async function publish(
  paths: readonly string[],
  options: PublishOptions,
): Promise<RunSummary> {
  const dryRun = options.dryRun === true;
  if (!dryRun && options.client === undefined)
    throw new SomError('InvalidArgument', 'publish needs a client to store into (or dryRun)');
  const collection = validateUid('collection', options.collection);
  const metadata = validateUserMetadata(options.metadata ?? {}, 'metadata');
  const entityMetadata = validateUserMetadata(options.entityMetadata ?? {}, 'entity metadata');
  const opener = typeof options.client === 'function' ? options.client : undefined;
  const given = typeof options.client === 'function' ? undefined : options.client;
  const config = runConfig(options, given);
  const signal = options.signal ?? new AbortController().signal;
  const log = (text: string): void => options.onMessage?.(text);
  const loaded = await loadSettings(config, deidChoices(options), log);
  const pending = new PendingFiles();
  const report = new Report([pending, ...callbackSink(options.onFile)], {
    strict: options.strict === true,
  });
  const scan = await scanRun(paths, config, report, {
    ...options,
    cwd: options.cwd ?? process.cwd(),
    signal,
  });
  if (options.planned !== undefined)
    scan.files = keepPlannedFiles(scan.files, options.planned, report);
  if (scan.files.length === 0)
    return report.result(signal.aborted, {
      recipeWarnings: loaded.recipeWarnings,
      unmatchedSelectors: [],
    });
  pending.expect(scan.files);
  let unmatchedSelectors: string[];
  try {
    unmatchedSelectors = await storeFiles(scan, loaded, config, report, {
      ...options,
      signal,
      collection,
      metadata,
      entityMetadata,
      // The stores are opened (and the collection checked) before the key file is created.
      openClient: async () => (dryRun ? undefined : (given ?? (await opener?.()))),
    });
  } catch (err) {
    // Every file gets its outcome, also when an error stops the run (then thrown).
    pending.interrupt(report, 'not started: the run stopped on an error');
    throw err;
  }
  sayUnmatched(unmatchedSelectors, options.onMessage);
  return report.result(signal.aborted, {
    recipeWarnings: loaded.recipeWarnings,
    unmatchedSelectors,
  });
}

/** {@link PublishOptions} checked, for {@link storeFiles}. */
interface StoreOptions extends PublishOptions {
  signal: AbortSignal;
  metadata: RecordData;
  entityMetadata: RecordData;
  /** The client to store into; undefined for a dry run. */
  openClient: () => Promise<Client | undefined>;
}

/**
 * The second pass of {@link publish}: de-identify the scanned files and store them (every
 * file's outcome goes to `report`). Returns the recipe's rules that selected nothing.
 */
async function storeFiles(
  scan: Scan,
  loaded: LoadedSettings,
  config: SomConfig,
  report: Report,
  options: StoreOptions,
): Promise<string[]> {
  const dryRun = options.dryRun === true;
  const { collection, metadata, entityMetadata, signal } = options;
  const log = (text: string): void => options.onMessage?.(text);
  const client = await options.openClient();
  const { deidentifier, key, aliasSource } = await startRun(scan, loaded, config, log, {
    ...options,
    env: options.env ?? process.env,
    createKey: !dryRun,
    mainThreadBusy: !dryRun,
  });
  try {
    if (client !== undefined) {
      const stamp = collectionKeyStamp(key, aliasSource);
      await claimCollection(client, collection, stamp, options.newKey === true);
    }
    options.onStart?.(totalsOf(scan.files));
    await uploadFiles(
      client,
      scan.files,
      deidentifier,
      {
        collection,
        concurrency: config.concurrency,
        metadata,
        entityMetadata,
        signal,
        ...(options.memoryBudget !== undefined ? { memoryBudget: options.memoryBudget } : {}),
        ...(options.onBytesReleased ? { onBytesReleased: options.onBytesReleased } : {}),
      },
      report,
      { advance: (bytes) => options.onProgress?.(bytes) },
    );
    return deidentifier.unmatchedSelectors();
  } finally {
    await deidentifier.close();
  }
}
