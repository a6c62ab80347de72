/**
 * The files of a plan directory: `plan.json` (what was planned, how aliases and UIDs are
 * made) and `shards/<i>.jsonl` (one line per file of shard i: path, size, patient key),
 * and where the shards' reports go. A plan holds patient data (paths, original patient
 * IDs): its directories are created 0700 and its files 0600, and nothing here ever puts a
 * value read from a plan file into an error message.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SomError, isJsonObject, parseJson, validateUid } from '@som/core';
import type { AliasSourceKind } from '@som/identifiers';
import { temporaryPathFor } from '../3-deidentify/atomic-file';
import type { ScannedFile } from '../1-scan/scan';
import type { FileReport, Report, RunSummary } from '../5-summarise/report';
import type { ShardTotals } from './assign';
import { parseRunSettings, type RunSettings } from './settings';

/** The version of the plan format this som writes and reads. */
export const PLAN_FORMAT = 2;

/** Mode of a plan's directories: its owner only. */
export const PLAN_DIRECTORY_MODE = 0o700;
/** Mode of a plan's files: its owner only. */
export const PLAN_FILE_MODE = 0o600;

/** What `plan.json` holds. */
export interface Plan {
  /** {@link PLAN_FORMAT} of the som that wrote it. */
  format: number;
  /** The version of the som that wrote it (every shard must run the same). */
  som: string;
  /** When it was made (ISO 8601). */
  created: string;
  /** The collection the shards upload into. */
  collection: string;
  /** How many shards (N): indices 0 to N - 1. */
  shards: number;
  /** Files, bytes and patients of the whole plan. */
  totals: { files: number; bytes: number; patients: number };
  /** Patients, files and bytes of each shard, by index. */
  perShard: ShardTotals[];
  /** Fingerprint of the pseudonymisation key (it makes the local aliases and remaps UIDs). */
  keyFingerprint: string;
  /** `contentDigest` of the recipe, or null for the default profile alone. */
  recipeDigest: string | null;
  /** The other settings that decide what is stored: every shard must run with the same. */
  settings: RunSettings;
  /** Where the aliases come from: `dasher` (a response saved in the plan) or `local`. */
  aliasSource: AliasSourceKind;
}

/** One line of a shard file: a file to upload. */
export interface PlannedFile {
  /** Its absolute path. */
  path: string;
  /** Its size in bytes when planned. */
  size: number;
  /** The key of its patient (the original PatientID): every file of a patient is in one shard. */
  patient: string;
}

/** The paths inside a plan directory. */
export class PlanDirectory {
  /** @param dir the plan directory. */
  constructor(readonly dir: string) {}

  /** `plan.json`. */
  get planFile(): string {
    return join(this.dir, 'plan.json');
  }

  /** The DASHER response the shards read (when the aliases come from DASHER). */
  get aliasesFile(): string {
    return join(this.dir, 'aliases.json');
  }

  /** The report of the planning pass (files not planned, with their reasons). */
  get planningReport(): string {
    return join(this.dir, 'planning-report.json');
  }

  /** The directory of the shard files. */
  get shardsDir(): string {
    return join(this.dir, 'shards');
  }

  /** The directory of the shards' reports. */
  get reportsDir(): string {
    return join(this.dir, 'reports');
  }

  /** The file list of shard `index`. */
  shardFile(index: number): string {
    return join(this.shardsDir, `${index}.jsonl`);
  }

  /** The report of shard `index`'s last finished run. */
  reportFile(index: number): string {
    return join(this.reportsDir, `${index}.json`);
  }
}

/** Create `dir` (and its parents) with mode 0700. */
export async function makePrivateDirectory(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PLAN_DIRECTORY_MODE });
}

/**
 * Write `text` to `path` atomically with mode 0600: into a new temporary file beside it,
 * then renamed over it. Two writers of one path at once each leave a whole file.
 */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const temp = temporaryPathFor(path);
  try {
    const handle = await open(temp, 'wx', PLAN_FILE_MODE);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}

/** The text of a shard file's line for `file`. */
export function shardLine(file: PlannedFile): string {
  return `${JSON.stringify({ path: file.path, size: file.size, patient: file.patient })}\n`;
}

const planError = (what: string, problem: string): SomError =>
  new SomError('InvalidArgument', `${what}: ${problem}; plan again with som plan`);

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** True for a valid collection, entity or image uid. */
function isUid(text: string): boolean {
  try {
    validateUid('collection', text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Read one line of a shard file.
 * @param where names the line in errors, e.g. `plan/shards/3.jsonl line 17`.
 * @throws SomError InvalidArgument when the line is not a planned file (the message never
 *   quotes the line).
 */
export function parseShardLine(text: string, where: string): PlannedFile {
  const value = parseJson(text, where);
  if (
    !isJsonObject(value) ||
    typeof value.path !== 'string' ||
    value.path === '' ||
    !isCount(value.size) ||
    typeof value.patient !== 'string'
  )
    throw planError(where, 'not a planned file (path, size and patient)');
  return { path: value.path, size: value.size, patient: value.patient };
}

/**
 * The files of `files` that are as planned: listed in `planned` (absolute path -> patient
 * key) with the patient their header names now. Each other file is reported failed: it
 * changed since planning (replaced, or a planned path now a directory), and its patient
 * may be another shard's, whose entity no two tasks may write at once.
 */
export function keepPlannedFiles(
  files: readonly ScannedFile[],
  planned: ReadonlyMap<string, string>,
  report: Report,
): ScannedFile[] {
  return files.filter((file) => {
    const patient = planned.get(file.absolute);
    if (patient === file.entityId) return true;
    report.add({
      path: file.path,
      outcome: 'failed',
      reason:
        patient === undefined
          ? 'not a file of the plan (it was not there when planned): plan again to upload it'
          : 'its patient is not the one it was planned with (the file changed since planning): plan again to upload it',
      code: 'FailedPrecondition',
    });
    return false;
  });
}

/** Every file of a shard file, streamed line by line (blank lines are ignored). */
export async function* readShardFile(file: string, shown: string): AsyncGenerator<PlannedFile> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() !== '') yield parseShardLine(line, `${shown} line ${number}`);
  }
}

function shardTotalsOf(value: unknown, index: number): ShardTotals | undefined {
  if (!isJsonObject(value)) return undefined;
  const { patients, files, bytes } = value;
  if (value.index !== index || !isCount(patients) || !isCount(files) || !isCount(bytes))
    return undefined;
  return { index, patients, files, bytes };
}

/**
 * Read the text of `plan.json`.
 * @param shown names the file in errors.
 * @throws SomError InvalidArgument when it is not a plan of {@link PLAN_FORMAT}.
 */
export function parsePlan(text: string, shown: string): Plan {
  const value = parseJson(text, shown);
  if (!isJsonObject(value)) throw planError(shown, 'not a plan');
  if (value.format !== PLAN_FORMAT)
    throw planError(
      shown,
      typeof value.format === 'number' && value.format > PLAN_FORMAT
        ? `a plan of format ${value.format}, newer than this som reads (${PLAN_FORMAT})`
        : 'not a plan of a format this som reads',
    );
  const { som, created, collection, shards, totals, perShard, keyFingerprint, aliasSource } = value;
  const digest = value.recipeDigest;
  function fail(field: string): never {
    throw planError(shown, `its field ${field} is missing or invalid`);
  }
  if (typeof som !== 'string') fail('som');
  if (typeof created !== 'string') fail('created');
  if (typeof collection !== 'string' || !isUid(collection)) fail('collection');
  if (!isCount(shards) || shards < 1) fail('shards');
  if (
    !isJsonObject(totals) ||
    !isCount(totals.files) ||
    !isCount(totals.bytes) ||
    !isCount(totals.patients)
  )
    fail('totals');
  if (!Array.isArray(perShard) || perShard.length !== shards) fail('perShard');
  const shardTotals = perShard.flatMap(
    (entry: unknown, index) => shardTotalsOf(entry, index) ?? [],
  );
  if (shardTotals.length !== shards) fail('perShard');
  if (typeof keyFingerprint !== 'string' || !/^[0-9a-f]{8,64}$/.test(keyFingerprint))
    fail('keyFingerprint');
  if (digest !== null && (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)))
    fail('recipeDigest');
  if (aliasSource !== 'dasher' && aliasSource !== 'local') fail('aliasSource');
  const settings = parseRunSettings(value.settings);
  if (settings === undefined) fail('settings');
  return {
    format: PLAN_FORMAT,
    som,
    created,
    collection,
    shards,
    totals: { files: totals.files, bytes: totals.bytes, patients: totals.patients },
    perShard: shardTotals,
    keyFingerprint,
    recipeDigest: digest,
    aliasSource,
    settings,
  };
}

/**
 * The text of a report in the plan directory: `header`'s fields, then `files` (the report
 * entries) and the summary (the counts of `summary`), as `som upload --json` lays them out.
 */
export function reportText(
  header: Record<string, unknown>,
  files: readonly FileReport[],
  summary: RunSummary,
): string {
  const counts = Object.fromEntries(Object.entries(summary).filter(([key]) => key !== 'problems'));
  return `${JSON.stringify({ ...header, files, summary: counts }, null, 2)}\n`;
}

/** The text of `plan.json` for `plan`. */
export function planText(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
