/**
 * `runShard`: one task of a distributed run uploads the files of its shard with the same
 * pipeline as `publish` (the same per-patient upload, the same aliases and key), after
 * checking that it runs what the plan was made for: the same som, the same key, the same
 * recipe and settings, as many tasks as shards. A file is uploaded only if it still
 * belongs to the patient it was planned with (else another shard may hold that patient).
 * Its report goes to `<plan>/reports/<i>.json`, written whole or not at all, so that a
 * shard may run again after a kill, or twice at once.
 */
import { open, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { SomError, type Client, type ErrorCode, type RecordData } from '@som/core';
import { LocalPseudonymiser, keyFingerprint, type SecretKey } from '@som/identifiers';
import { runKey } from '../2-aliases/aliases';
import type { FileReport, RunSummary } from '../5-summarise/report';
import { publish } from '../publish';
import type { SomConfig } from '../config/types';
import { runConfig, type RunOptions } from '../run-options';
import {
  PLAN_FILE_MODE,
  PlanDirectory,
  makePrivateDirectory,
  parsePlan,
  readShardFile,
  reportText,
  writePrivateFile,
  type Plan,
} from './plan-files';
import { resolveShard } from './shard-index';
import { fileDigest, runSettings, settingsDifferences } from './settings';

/** Options of {@link runShard}. */
export interface ShardOptions extends Omit<RunOptions, 'ids' | 'aliases'> {
  /** Where to store. */
  client: Client;
  /** The plan directory. */
  plan: string;
  /** The shard index as given (`--shard`); default: the engine's variables. */
  shard?: string;
  /** The version of this som: the plan's must be the same. */
  somVersion: string;
  /** Fields added to every image record (the plan's). */
  metadata?: RecordData;
  /** Fields added to every entity record (the plan's). */
  entityMetadata?: RecordData;
  /** As in `publish`. */
  newKey?: boolean;
  /** As in `publish`. */
  memoryBudget?: number;
  /** As in `publish`. */
  onBytesReleased?: (bytes: number) => void;
}

/** What one run of a shard did. */
export interface ShardResult {
  /** The plan. */
  plan: Plan;
  /** The shard index. */
  index: number;
  /** What gave the index (`--shard` or an engine variable). */
  source: string;
  /** This run's attempt number at the shard (1 for the first run, counting runs that were killed). */
  attempt: number;
  /** Every file's outcome. */
  summary: RunSummary;
  /** True when some file failed for a reason a retry may fix (see {@link mayPassOnRetry}). */
  retryMayHelp: boolean;
  /** The report file, or undefined when the run was interrupted (no report is written). */
  reportFile?: string;
}

/** Read the plan of `dir`. */
export async function readPlan(paths: PlanDirectory): Promise<Plan> {
  let text: string;
  try {
    text = await readFile(paths.planFile, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new SomError(
      'InvalidArgument',
      missing
        ? `${paths.dir} is not a plan (no plan.json): make one with som plan, and wait for it to finish`
        : `${paths.planFile} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  return parsePlan(text, paths.planFile);
}

/** Codes of errors a later run may not meet: a service down, slow or throttled, a canceled call. */
const TRANSIENT_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'Unavailable',
  'DeadlineExceeded',
  'ResourceExhausted',
  'Canceled',
]);

/**
 * True when the file of `entry` failed for a reason a retry may fix: an error of a kind
 * in {@link TRANSIENT_CODES}, or an internal error of the stores (the file was
 * de-identified: its entry names its entity). A file that cannot be read or de-identified
 * fails the same way again: so does a file the de-identification refused (`refused`),
 * including one whose thread stopped on it (its heap ran out, or a `func:` ended it).
 */
export function mayPassOnRetry(entry: FileReport): boolean {
  if (entry.outcome !== 'failed' || entry.code === undefined || entry.refused !== undefined)
    return false;
  return (
    TRANSIENT_CODES.has(entry.code) || (entry.code === 'Internal' && entry.entity !== undefined)
  );
}

const mismatch = (what: string): SomError =>
  new SomError('InvalidArgument', `${what}: nothing was stored`);

/**
 * Claim this run's attempt number: the first n for which `attempts/<i>.<n>.json` can be
 * created (it records host, process and start), so that runs at once get different numbers.
 */
async function claimAttempt(paths: PlanDirectory, index: number, start: string): Promise<number> {
  const dir = join(paths.dir, 'attempts');
  await makePrivateDirectory(dir);
  for (let attempt = 1; ; attempt++) {
    try {
      const handle = await open(join(dir, `${index}.${attempt}.json`), 'wx', PLAN_FILE_MODE);
      await handle.writeFile(JSON.stringify({ host: hostname(), pid: process.pid, start }));
      await handle.close();
      return attempt;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** What {@link checkShard} found: the plan, the shard, and the key its aliases are made with. */
export interface ShardCheck {
  paths: PlanDirectory;
  plan: Plan;
  index: number;
  source: string;
  key: SecretKey;
  config: SomConfig;
}

/**
 * Check that this process may run a shard of the plan in `options.plan`, touching no store.
 * @throws SomError InvalidArgument when the plan cannot be read, the shard index is missing
 *   or out of range, the engine's task count is not the plan's, or the som version, the
 *   key's fingerprint or the recipe's digest differ from the plan's.
 */
export async function checkShard(options: Omit<ShardOptions, 'client'>): Promise<ShardCheck> {
  const paths = new PlanDirectory(resolve(options.cwd ?? process.cwd(), options.plan));
  const plan = await readPlan(paths);
  if (plan.som !== options.somVersion)
    throw mismatch(
      `the plan was made by som ${plan.som} and this is som ${options.somVersion}: run the shards with the som that planned, or plan again`,
    );
  const { index, source } = resolveShard(options.shard, options.env ?? process.env, plan.shards);
  const config = runConfig(options);
  const { key, origin } = await runKey(config, (text) => options.onMessage?.(text), false);
  if (keyFingerprint(key) !== plan.keyFingerprint)
    throw mismatch(
      `the pseudonymisation key (${origin}, fingerprint ${keyFingerprint(key)}) is not the one the plan was made with (fingerprint ${plan.keyFingerprint}): give the same key, e.g. as SOM_SECRET`,
    );
  const cwd = options.cwd ?? process.cwd();
  if ((await fileDigest(config.recipe, cwd, 'the recipe')) !== plan.recipeDigest)
    throw mismatch(
      `the recipe (${config.recipe ?? 'none: the default profile'}) is not the one the plan was made with (${plan.recipeDigest ?? 'none: the default profile'})`,
    );
  const differences = settingsDifferences(plan.settings, await runSettings({ ...options, cwd }));
  if (differences.length > 0)
    throw mismatch(
      `${differences.join(', ')} ${differences.length === 1 ? 'is' : 'are'} not what the plan was made with: give every shard the settings of som plan`,
    );
  return { paths, plan, index, source, key, config };
}

/**
 * Upload shard `i` of the plan in `options.plan` (see the module comment), after
 * {@link checkShard} (done here unless `checked` is given).
 * @throws SomError InvalidArgument as {@link checkShard}, before anything is stored. Errors
 *   of the stores propagate as from `publish`.
 */
export async function runShard(options: ShardOptions, checked?: ShardCheck): Promise<ShardResult> {
  const { paths, plan, index, source, key, config } = checked ?? (await checkShard(options));
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const start = new Date().toISOString();
  const attempt = await claimAttempt(paths, index, start);
  const planned = new Map<string, string>();
  for await (const file of readShardFile(paths.shardFile(index), paths.shardFile(index)))
    planned.set(file.path, file.patient);
  const entries: FileReport[] = [];
  const summary = await publish([...planned.keys()], {
    ...options,
    config,
    cwd,
    env,
    collection: plan.collection,
    planned,
    ...(plan.aliasSource === 'dasher'
      ? { ids: paths.aliasesFile }
      : { aliases: new LocalPseudonymiser({ key }) }),
    onFile: (entry) => {
      entries.push(entry);
      options.onFile?.(entry);
    },
  });
  const retryMayHelp = summary.problems.some(mayPassOnRetry);
  if (summary.stopped) return { plan, index, source, attempt, summary, retryMayHelp };
  await makePrivateDirectory(paths.reportsDir);
  const header = {
    command: 'upload',
    collection: plan.collection,
    shard: index,
    shards: plan.shards,
    attempt,
    host: hostname(),
    start,
    end: new Date().toISOString(),
  };
  const reportFile = paths.reportFile(index);
  await writePrivateFile(reportFile, reportText(header, entries, summary));
  return { plan, index, source, attempt, summary, retryMayHelp, reportFile };
}
