/**
 * `som upload <paths...> --collection <uid>`: de-identify DICOM files in memory and upload
 * them, one entity per (aliased) patient. Re-running is safe: what is stored is skipped.
 */
import type { Command } from 'commander';
import { FIELD_NAME, RESERVED_FIELDS, SomError, validateUid, type RecordData } from '@som/core';
import { findAdapter, imageFieldsReader, prepareRun, uploadFiles } from '@som/publish';
import { GarbageCollector } from '../collect-garbage';
import { fieldType } from '../field-types';
import { RunOutput } from '../io/run-output';
import { EXIT, type Runtime } from '../runtime';
import { parseAssignment } from '../search-terms';
import { checkReachable, configFor, openClient, type GlobalOptions } from './common';

interface UploadCommandOptions extends GlobalOptions {
  collection: string;
  recipe?: string;
  ids?: string;
  concurrency?: string;
  dryRun?: boolean;
  metadata?: string[];
  json?: boolean;
  secret?: string;
}

/** The `--metadata` fields, checked before anything is read. */
export function metadataFields(assignments: readonly string[]): RecordData {
  const fields: RecordData = {};
  for (const text of assignments) {
    const [field, value] = parseAssignment(text, fieldType);
    if (!FIELD_NAME.test(field) || (RESERVED_FIELDS as readonly string[]).includes(field)) {
      throw new SomError(
        'InvalidArgument',
        `--metadata ${field}: ${(RESERVED_FIELDS as readonly string[]).includes(field) ? 'som maintains this field' : 'invalid field name'}`,
      );
    }
    fields[field] = value;
  }
  return fields;
}

async function upload(
  runtime: Runtime,
  inputs: string[],
  options: UploadCommandOptions,
): Promise<number> {
  const { output } = runtime;
  const config = configFor(runtime, options);
  const collection = validateUid('collection', options.collection);
  const metadata = metadataFields(options.metadata ?? []);
  const dryRun = options.dryRun === true;
  const run = new RunOutput(output, options.json === true, {
    command: 'upload',
    collection,
    dryRun,
  });
  const client = dryRun ? undefined : openClient(config, { imageFields: imageFieldsReader });
  try {
    if (client) await checkReachable(client);
    const { scan, deidentifier } = await prepareRun(
      inputs,
      config,
      (text) => output.message(text),
      run.report,
      {
        cwd: runtime.cwd,
        env: runtime.env,
        createKey: !dryRun,
        mainThreadBusy: !dryRun,
        signal: runtime.signal,
        ...(options.ids ? { ids: options.ids } : {}),
      },
    );
    const garbage = new GarbageCollector();
    const settings = {
      collection,
      concurrency: config.concurrency,
      metadata,
      signal: runtime.signal,
      sendMd5: findAdapter('objectStore', config.objectStore.type)?.remote === true,
      onBytesReleased: (bytes: number) => garbage.letGo(bytes),
    };
    try {
      await run.withProgress(dryRun ? 'dry run' : 'upload', scan.files, (progress) =>
        uploadFiles(client, scan.files, deidentifier, settings, run.report, progress),
      );
    } finally {
      await deidentifier.close();
    }
  } finally {
    await client?.close().catch(() => undefined);
  }
  const headline = `${dryRun ? 'dry run of ' : ''}upload to collection ${collection}`;
  const summary = await run.finish(
    runtime.signal.aborted,
    headline,
    dryRun ? 'checked' : 'uploaded',
  );
  return summary.ok ? EXIT.ok : EXIT.failed;
}

/** Add `som upload` to `program`; `done` receives the exit code. */
export function registerUpload(
  program: Command,
  runtime: Runtime,
  done: (code: number) => void,
): void {
  program
    .command('upload')
    .description(
      'de-identify DICOM files in memory and upload them: one entity per (aliased) patient; re-running is safe',
    )
    .argument(
      '<paths...>',
      'files and directories (walked; DICOM is recognised by content, not extension)',
    )
    .requiredOption('--collection <uid>', 'the collection to upload into (created when absent)')
    .option(
      '--recipe <file>',
      'a deid recipe whose rules decide before the default PS3.15 profile (env SOM_RECIPE)',
    )
    .option(
      '--ids <file>',
      'a DASHER response (JSON) with the aliases; default: the DASHER service when configured, else the local pseudonymiser',
    )
    .option('--concurrency <n>', 'files processed at once (default 8; env SOM_CONCURRENCY)')
    .option('--dry-run', 'de-identify in memory and report what would be stored; write nothing')
    .option(
      '--metadata <field=value...>',
      'add fields to every image record (values typed as in `som search`)',
    )
    .option(
      '--json',
      'print a JSON report: per file its path, outcome (written, unchanged, failed, skipped-not-DICOM, interrupted), reason, entity, image',
    )
    .option(
      '--secret <key>',
      'the pseudonymisation key (env SOM_SECRET; default: the key file beside the data, created on first use)',
    )
    .action(async (inputs: string[], _options: UploadCommandOptions, command: Command) => {
      done(await upload(runtime, inputs, command.optsWithGlobals<UploadCommandOptions>()));
    });
}
