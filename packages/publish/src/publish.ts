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
import { uploadFiles } from './4-store/upload';
import { Report, type RunSummary } from './5-summarise/report';
import { prepareRun } from './prepare';
import { callbackSink, runConfig, totalsOf, type RunOptions } from './run-options';

/** Options of {@link publish}. */
export interface PublishOptions extends RunOptions {
  /** Where to store (see `openClient`); not needed for a dry run. */
  client?: Client;
  /** The collection uid (created when absent). */
  collection: string;
  /** Fields added to every image record (besides the searchable fields of its header). */
  metadata?: RecordData;
  /** De-identify in memory and report `would-write` for each file; store nothing. */
  dryRun?: boolean;
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
 * and the run goes on.
 * @returns how many files had each outcome (`written`, `unchanged`, `failed`, ...), and the
 *   files not done.
 * @throws SomError InvalidArgument for bad options (before anything is read).
 */
export async function publish(
  paths: readonly string[],
  options: PublishOptions,
): Promise<RunSummary> {
  const dryRun = options.dryRun === true;
  const { client } = options;
  if (!dryRun && client === undefined)
    throw new SomError('InvalidArgument', 'publish needs a client to store into (or dryRun)');
  const collection = validateUid('collection', options.collection);
  const metadata = validateUserMetadata(options.metadata ?? {}, 'metadata');
  const config = runConfig(options, client);
  const signal = options.signal ?? new AbortController().signal;
  const report = new Report(callbackSink(options.onFile));
  const { scan, deidentifier } = await prepareRun(
    paths,
    config,
    (text) => options.onMessage?.(text),
    report,
    {
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? process.env,
      createKey: !dryRun,
      mainThreadBusy: !dryRun,
      signal,
      ...(options.ids !== undefined ? { ids: options.ids } : {}),
      ...(options.aliases !== undefined ? { aliases: options.aliases } : {}),
    },
  );
  try {
    options.onStart?.(totalsOf(scan.files));
    await uploadFiles(
      dryRun ? undefined : client,
      scan.files,
      deidentifier,
      {
        collection,
        concurrency: config.concurrency,
        metadata,
        signal,
        sendMd5: client?.objects.capabilities.md5FromCaller === true,
        ...(options.memoryBudget !== undefined ? { memoryBudget: options.memoryBudget } : {}),
        ...(options.onBytesReleased ? { onBytesReleased: options.onBytesReleased } : {}),
      },
      report,
      { advance: (bytes) => options.onProgress?.(bytes) },
    );
  } finally {
    await deidentifier.close();
  }
  return report.result(signal.aborted);
}
