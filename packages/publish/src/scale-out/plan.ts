/**
 * `planRun`: the first pass of a distributed run, once. Walk the inputs in sorted order,
 * read only the headers, group the files by patient, resolve the aliases once (DASHER: one
 * round, saved in the plan; local: only the key's fingerprint), and split the patients
 * into shards by bytes. Memory holds the patients and studies, never the files: the file
 * list goes through a spool file in the plan directory.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { readFile, readdir, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
  SomError,
  mapBounded,
  validateUid,
  validateUserMetadata,
  type RecordData,
} from '@som/core';
import {
  keyFingerprint,
  readDasherResponseFile,
  type AliasSource,
  type AliasSourceKind,
  type DasherRequest,
} from '@som/identifiers';
import { IdentifierCollector } from '../1-scan/identity';
import { examine, type Examined } from '../1-scan/scan';
import { walkInputs, type InputFile } from '../1-scan/walk';
import { aliasSource, runKey } from '../2-aliases/aliases';
import { DEID_REPORT_NAME, Report, type RunSummary } from '../5-summarise/report';
import { dataDirectories, loadSettings } from '../prepare';
import { callbackSink, deidChoices, runConfig, type RunOptions } from '../run-options';
import { assignShards, type PatientTotals } from './assign';
import {
  PLAN_FILE_MODE,
  PLAN_FORMAT,
  PlanDirectory,
  makePrivateDirectory,
  planText,
  reportText,
  shardLine,
  writePrivateFile,
  type Plan,
  type PlannedFile,
} from './plan-files';
import { contentDigest, runSettings } from './settings';

/** The most shards a plan may have. */
export const MAX_SHARDS = 100_000;

/** Shard files written at once by one pass over the spool (each an open file). */
const SHARD_FILES_AT_ONCE = 256;

/** Options of {@link planRun}. */
export interface PlanOptions extends Pick<
  RunOptions,
  | 'config'
  | 'cwd'
  | 'env'
  | 'secret'
  | 'recipe'
  | 'functions'
  | 'variables'
  | 'profile'
  | 'pixelFilter'
  | 'pixelText'
  | 'ids'
  | 'aliases'
  | 'concurrency'
  | 'signal'
  | 'onFile'
  | 'onMessage'
  | 'itemLevel'
  | 'entitySource'
  | 'itemSource'
> {
  /** The collection the shards will upload into. */
  collection: string;
  /** The number of shards N (1 to {@link MAX_SHARDS}). */
  shards: number;
  /** The plan directory to create (it must not exist, or be empty). */
  out: string;
  /** The version of som making the plan (every shard must run the same). */
  somVersion: string;
  /** Fields the shards add to every image record (every shard must add the same). */
  metadata?: RecordData;
  /** Fields the shards add to every entity record (every shard must add the same). */
  entityMetadata?: RecordData;
}

/** What {@link planRun} made. */
export interface PlanResult {
  /** The plan directory (absolute). */
  dir: string;
  /** What `plan.json` holds (none when the run was interrupted: no plan was written). */
  plan?: Plan;
  /** The files planning could not use (failed or not DICOM); the others are in the plan. */
  notPlanned: RunSummary;
}

/** Check the plan directory is new or empty, then create it 0700. */
async function newPlanDirectory(dir: string): Promise<void> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw new SomError('InvalidArgument', `--out ${dir}: ${err.code ?? 'cannot be read'}`);
  });
  if (entries.length > 0)
    throw new SomError(
      'InvalidArgument',
      `--out ${dir} is not empty: a plan goes into a new directory (a new plan of the same files may go beside the old one)`,
    );
  await makePrivateDirectory(dir);
}

/** Write `text` to `stream`, waiting when its buffer is full. */
async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/** Close `stream` once everything written is flushed. */
async function close(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

/**
 * The examined files in walk order, though their headers are read `concurrency` at a time:
 * a result waits only for the files walked before it.
 */
async function* inWalkOrder(
  inputs: readonly string[],
  options: { cwd: string; exclude: string[]; concurrency: number; signal?: AbortSignal },
  collector: IdentifierCollector,
  report: Report,
): AsyncGenerator<Examined> {
  let walked = 0;
  async function* candidates(): AsyncGenerator<[InputFile, number]> {
    const walk = walkInputs(inputs, { ...options, skipDirectoriesHolding: DEID_REPORT_NAME });
    for await (const entry of walk) {
      if (entry.kind === 'problem')
        report.add({ path: entry.path, outcome: 'failed', reason: entry.reason });
      else if (entry.kind === 'skipped')
        report.add({ path: entry.path, outcome: 'skipped', reason: entry.reason });
      else yield [entry, walked++];
    }
  }
  const waiting = new Map<number, Examined>();
  let next = 0;
  for await (const [index, result] of mapBounded(
    candidates(),
    options.concurrency,
    async ([file, i]) => [i, await examine(file, i, collector)] as const,
    options.signal,
  )) {
    waiting.set(index, result);
    for (let ready = waiting.get(next); ready !== undefined; ready = waiting.get(next)) {
      waiting.delete(next++);
      yield ready;
    }
  }
}

/** Every line of the spool, in order. */
async function* spoolLines(spool: string): AsyncGenerator<string> {
  for await (const line of createInterface({ input: createReadStream(spool), crlfDelay: Infinity }))
    if (line !== '') yield line;
}

/**
 * Copy each spooled file into the shard file of its patient, in spool order:
 * {@link SHARD_FILES_AT_ONCE} shard files per pass over the spool.
 */
async function writeShardFiles(
  spool: string,
  paths: PlanDirectory,
  shardOf: ReadonlyMap<string, number>,
  shards: number,
): Promise<void> {
  await makePrivateDirectory(paths.shardsDir);
  for (let first = 0; first < shards; first += SHARD_FILES_AT_ONCE) {
    const streams = Array.from({ length: Math.min(SHARD_FILES_AT_ONCE, shards - first) }, (_, i) =>
      createWriteStream(paths.shardFile(first + i), { flags: 'wx', mode: PLAN_FILE_MODE }),
    );
    for await (const line of spoolLines(spool)) {
      const { patient } = JSON.parse(line) as PlannedFile;
      const stream = streams[(shardOf.get(patient) as number) - first];
      if (stream !== undefined) await write(stream, `${line}\n`);
    }
    await Promise.all(streams.map(close));
  }
}

/** Resolve the aliases of `request` once and save them as the DASHER response the shards read. */
async function saveDasherAliases(
  request: DasherRequest,
  ids: string | undefined,
  paths: PlanDirectory,
  source: () => AliasSource,
): Promise<void> {
  const response =
    ids !== undefined ? await readDasherResponseFile(ids) : await source().aliasesFor(request);
  await writePrivateFile(paths.aliasesFile, `${JSON.stringify(response, null, 2)}\n`);
}

/**
 * Plan a distributed upload of `inputs` into `options.collection` (see the module comment):
 * writes `<out>/plan.json`, `<out>/shards/<i>.jsonl` for i in 0..N-1, `<out>/aliases.json`
 * when the aliases come from DASHER, and `<out>/planning-report.json` (the files not
 * planned). Every file not planned is also given to `onFile`.
 * @throws SomError InvalidArgument for bad options or an `out` that is not empty (before
 *   anything is read).
 */
export async function planRun(
  inputs: readonly string[],
  options: PlanOptions,
): Promise<PlanResult> {
  const collection = validateUid('collection', options.collection);
  const { shards } = options;
  if (!Number.isSafeInteger(shards) || shards < 1 || shards > MAX_SHARDS)
    throw new SomError(
      'InvalidArgument',
      `the number of shards must be a whole number from 1 to ${MAX_SHARDS}, not ${shards}`,
    );
  const cwd = options.cwd ?? process.cwd();
  const config = runConfig(options);
  const log = (text: string): void => options.onMessage?.(text);
  // The settings the shards will run with are checked now, before any file is read.
  await loadSettings(config, deidChoices(options), log);
  const recipe = config.recipe !== undefined ? await readFile(config.recipe) : undefined;
  const settings = await runSettings({
    ...options,
    cwd,
    metadata: validateUserMetadata(options.metadata ?? {}, 'metadata'),
    entityMetadata: validateUserMetadata(options.entityMetadata ?? {}, 'entity metadata'),
  });
  const dir = resolve(cwd, options.out);
  await newPlanDirectory(dir);
  const paths = new PlanDirectory(dir);
  const report = new Report(callbackSink(options.onFile));

  // First pass: every usable file to the spool, with its patient's totals in memory.
  const spool = resolve(dir, '.files.spool');
  const spoolStream = createWriteStream(spool, { flags: 'wx', mode: PLAN_FILE_MODE });
  // Where the aliases will come from decides what is read of each header: a DASHER request
  // needs the timestamps and fields of every file, local aliases only the patient's key.
  const dasher =
    options.ids !== undefined || (options.aliases === undefined && config.dasher !== undefined);
  const kind: AliasSourceKind = options.aliases?.kind ?? (dasher ? 'dasher' : 'local');
  const collector = new IdentifierCollector(
    {
      ...(options.itemLevel !== undefined ? { itemLevel: options.itemLevel } : {}),
      ...(options.entitySource !== undefined ? { entitySource: options.entitySource } : {}),
      ...(options.itemSource !== undefined ? { itemSource: options.itemSource } : {}),
    },
    kind === 'dasher' ? 'request' : 'keys',
  );
  const patients = new Map<string, PatientTotals>();
  const walk = inWalkOrder(
    inputs,
    {
      cwd,
      exclude: [...dataDirectories(config), dir],
      concurrency: config.concurrency,
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    },
    collector,
    report,
  );
  for await (const result of walk) {
    if ('notDicom' in result) report.add({ path: result.path, outcome: 'skipped-not-DICOM' });
    else if ('skip' in result)
      report.add({ path: result.path, outcome: 'skipped', reason: result.skip });
    else if ('fail' in result)
      report.add({ path: result.path, outcome: 'failed', reason: result.fail });
    else {
      const { file } = result;
      const patient = patients.get(file.entityId) ?? { key: file.entityId, bytes: 0, files: 0 };
      patient.bytes += file.size;
      patient.files += 1;
      patients.set(file.entityId, patient);
      const planned: PlannedFile = { path: file.absolute, size: file.size, patient: file.entityId };
      await write(spoolStream, shardLine(planned));
    }
  }
  await close(spoolStream);
  const interrupted = options.signal?.aborted === true;
  if (interrupted) {
    await unlink(spool).catch(() => undefined);
    return { dir, notPlanned: report.result(true) };
  }

  // The aliases, once; the key (created on first use, as by an upload) only now that there are files.
  const { key } = await runKey(config, log, patients.size > 0);
  if (kind === 'dasher')
    await saveDasherAliases(
      collector.request(),
      options.ids,
      paths,
      () => options.aliases ?? aliasSource(config, key, log),
    );

  // Second pass: patients to shards, then each spooled file to its patient's shard.
  const { shardOf, shards: perShard } = assignShards(patients.values(), shards);
  await writeShardFiles(spool, paths, shardOf, shards);
  await unlink(spool);

  const plan: Plan = {
    format: PLAN_FORMAT,
    som: options.somVersion,
    created: new Date().toISOString(),
    collection,
    shards,
    totals: {
      files: perShard.reduce((sum, s) => sum + s.files, 0),
      bytes: perShard.reduce((sum, s) => sum + s.bytes, 0),
      patients: patients.size,
    },
    perShard: [...perShard],
    keyFingerprint: keyFingerprint(key),
    recipeDigest: contentDigest(recipe),
    settings,
    aliasSource: kind,
  };
  const notPlanned = report.result(false);
  await writePrivateFile(
    paths.planningReport,
    reportText({ command: 'plan', collection }, notPlanned.problems, notPlanned),
  );
  // plan.json last: a directory without it is a plan that was not finished.
  await writePrivateFile(paths.planFile, planText(plan));
  return { dir, plan, notPlanned };
}
