/**
 * `som upload <paths...> --collection <uid>`: de-identify DICOM files in memory and upload
 * them, one entity per (aliased) patient. Re-running is safe: what is stored is skipped.
 */
import type { Command } from 'commander';
import { FIELD_NAME, RESERVED_FIELDS, SomError, validateUid, type RecordData } from '@som/core';
import { openClient, publish } from '@som/publish';
import { GarbageCollector } from '../collect-garbage';
import { fieldType } from '../field-types';
import { RunOutput } from '../io/run-output';
import { EXIT, type Runtime } from '../runtime';
import { parseAssignment } from '../search-terms';
import { configFor, type GlobalOptions } from './common';
import { addRunFlags, type RunFlags } from './flags';
import { uploadShard, type ShardCommandOptions } from './shard';

interface UploadCommandOptions extends GlobalOptions, RunFlags {
  collection?: string;
  plan?: string;
  shard?: string;
  dryRun?: boolean;
  metadata?: string[];
  json?: boolean;
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

/** The options of a shard upload, refusing what the plan decides (paths, collection, aliases). */
function planOptions(
  inputs: readonly string[],
  options: UploadCommandOptions & { plan: string },
): ShardCommandOptions {
  const given = [
    ...(inputs.length > 0 ? ['paths'] : []),
    ...(['collection', 'ids', 'dryRun'] as const).filter((flag) => options[flag] !== undefined),
  ];
  if (given.length > 0)
    throw new SomError(
      'InvalidArgument',
      `--plan takes the files, collection and aliases from the plan: not with ${given.map((g) => (g === 'paths' ? 'paths' : g === 'dryRun' ? '--dry-run' : `--${g}`)).join(', ')}`,
    );
  return options;
}

async function upload(
  runtime: Runtime,
  inputs: string[],
  options: UploadCommandOptions,
): Promise<number> {
  if (inputs.length === 0)
    throw new SomError('InvalidArgument', 'give the paths to upload (or --plan <plan-dir>)');
  if (options.collection === undefined)
    throw new SomError('InvalidArgument', "required option '--collection <uid>' not specified");
  const config = configFor(runtime, options);
  const collection = validateUid('collection', options.collection);
  const metadata = metadataFields(options.metadata ?? []);
  const dryRun = options.dryRun === true;
  const run = new RunOutput(runtime.output, options.json === true, {
    command: 'upload',
    collection,
    dryRun,
  });
  const client = dryRun ? undefined : await openClient({ config });
  const garbage = new GarbageCollector();
  try {
    await publish(inputs, {
      ...(client !== undefined ? { client } : {}),
      config,
      collection,
      metadata,
      dryRun,
      cwd: runtime.cwd,
      env: runtime.env,
      signal: runtime.signal,
      ...(options.ids !== undefined ? { ids: options.ids } : {}),
      ...run.hooks(dryRun ? 'dry run' : 'upload'),
      onBytesReleased: (bytes) => garbage.letGo(bytes),
    });
  } finally {
    run.stopProgress();
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
  const command = program
    .command('upload')
    .description(
      'de-identify DICOM files in memory and upload them: one entity per (aliased) patient; re-running is safe',
    )
    .argument(
      '[paths...]',
      'files and directories (walked; DICOM is recognised by content, not extension)',
    )
    .option('--collection <uid>', 'the collection to upload into (created when absent)')
    .option(
      '--plan <plan-dir>',
      "upload one shard of a plan (made by som plan) instead of paths: the plan's collection, aliases and files",
    )
    .option(
      '--shard <i>',
      'with --plan: the shard index (default: the engine task index, e.g. SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX)',
    );
  addRunFlags(command)
    .option('--dry-run', 'de-identify in memory and report what would be stored; write nothing')
    .option(
      '--metadata <field=value...>',
      'add fields to every image record (values typed as in `som search`)',
    )
    .option(
      '--json',
      'print a JSON report: per file its path, outcome (written, unchanged, failed, skipped-not-DICOM, interrupted), reason, entity, image',
    )
    .action(async (inputs: string[], _options: UploadCommandOptions, command: Command) => {
      const options = command.optsWithGlobals<UploadCommandOptions>();
      done(
        options.plan !== undefined
          ? await uploadShard(runtime, planOptions(inputs, { ...options, plan: options.plan }))
          : await upload(runtime, inputs, options),
      );
    });
}
