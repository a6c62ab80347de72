/**
 * `finalizePlan`: after the shards of a plan: every shard reported? Sum the outcomes, list
 * every file that was not stored (by planning or by a shard), refresh the aggregate fields
 * of every entity of the collection, and verify the collection (repairing on request).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  isJsonObject,
  parseJson,
  type Client,
  type VerifyProblem,
  type VerifyReport,
} from '@som/core';
import {
  SUCCESS_OUTCOMES,
  type FileOutcome,
  type FileReport,
  type OutcomeCounts,
} from '../5-summarise/report';
import { PlanDirectory, type Plan } from './plan-files';
import { readPlan } from './shard';

/** Options of {@link finalizePlan}. */
export interface FinalizeOptions {
  /** The stores the shards uploaded into. */
  client: Client;
  /** The plan directory. */
  plan: string;
  /** Resolve a relative plan directory against this (default `process.cwd()`). */
  cwd?: string;
  /** Repair what verify finds. */
  repair?: boolean;
  /** Called with each problem verify finds, as it is found. */
  onProblem?: (problem: VerifyProblem) => void;
}

/** One shard's last report. */
export interface ShardReportSummary {
  /** The shard index. */
  index: number;
  /** The attempt that wrote the report. */
  attempt: number;
  /** Where it ran. */
  host: string;
  /** When it started and ended (ISO 8601). */
  start: string;
  end: string;
  /** Files per outcome. */
  counts: OutcomeCounts;
}

/** What {@link finalizePlan} found. */
export interface FinalizeResult {
  /** The plan. */
  plan: Plan;
  /** Every shard that reported, by index. */
  shards: ShardReportSummary[];
  /** The shards without a report (never finished, or their report is unreadable). */
  missing: number[];
  /** Files per outcome, over planning and every reported shard. */
  counts: OutcomeCounts;
  /** Every file that was not stored (failed or interrupted), by planning or by a shard. */
  failed: FileReport[];
  /** Entities whose aggregate fields were refreshed. */
  entities: number;
  /** What verify found (and repaired). */
  verify: VerifyReport;
  /** True when every shard reported, no file failed and no problem remains. */
  ok: boolean;
}

const OUTCOMES: readonly FileOutcome[] = [
  'written',
  'unchanged',
  'failed',
  'skipped-not-DICOM',
  'interrupted',
  'would-write',
];

const zeroCounts = (): OutcomeCounts =>
  Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as OutcomeCounts;

interface ReadReport {
  header: Record<string, unknown>;
  files: FileReport[];
}

/** A report of the plan directory, or undefined when it is missing or not a report. */
async function readReport(file: string): Promise<ReadReport | undefined> {
  let value: unknown;
  try {
    value = parseJson(await readFile(file, 'utf8'), file);
  } catch {
    return undefined;
  }
  if (!isJsonObject(value) || !Array.isArray(value.files)) return undefined;
  const files = value.files.filter(
    (entry): entry is FileReport =>
      isJsonObject(entry) &&
      typeof entry.path === 'string' &&
      OUTCOMES.includes(entry.outcome as FileOutcome),
  );
  return { header: value, files };
}

/** Add the outcomes of `files` to `counts` and the files not stored to `failed`. */
function tally(
  files: readonly FileReport[],
  counts: OutcomeCounts,
  failed: FileReport[],
): OutcomeCounts {
  const own = zeroCounts();
  for (const file of files) {
    own[file.outcome]++;
    counts[file.outcome]++;
    if (!SUCCESS_OUTCOMES.has(file.outcome) && file.outcome !== 'skipped-not-DICOM')
      failed.push(file);
  }
  return own;
}

/**
 * Finalize the plan in `options.plan` (see the module comment). Nothing is read from the
 * sources: the reports say what happened, the stores what is there.
 * @throws SomError InvalidArgument when the plan cannot be read; the stores' errors.
 */
export async function finalizePlan(options: FinalizeOptions): Promise<FinalizeResult> {
  const paths = new PlanDirectory(resolve(options.cwd ?? process.cwd(), options.plan));
  const plan = await readPlan(paths);
  const counts = zeroCounts();
  const failed: FileReport[] = [];
  const planning = await readReport(paths.planningReport);
  tally(planning?.files ?? [], counts, failed);
  const shards: ShardReportSummary[] = [];
  const missing: number[] = [];
  for (let index = 0; index < plan.shards; index++) {
    const report = await readReport(paths.reportFile(index));
    if (report === undefined) {
      missing.push(index);
      continue;
    }
    const { header } = report;
    shards.push({
      index,
      attempt: typeof header.attempt === 'number' ? header.attempt : 0,
      host: String(header.host ?? ''),
      start: String(header.start ?? ''),
      end: String(header.end ?? ''),
      counts: tally(report.files, counts, failed),
    });
  }
  const { client } = options;
  const { collection } = plan;
  let entities = 0;
  for await (const entity of client.listEntities(collection)) {
    await client.refreshEntityAggregates({ collection, entity: entity.uid });
    entities++;
  }
  const verify = await client.verify({
    collection,
    ...(options.repair ? { repair: true } : {}),
    ...(options.onProblem ? { onProblem: options.onProblem } : {}),
  });
  const remaining = verify.problems.filter((problem) => !problem.repaired).length;
  return {
    plan,
    shards,
    missing,
    counts,
    failed,
    entities,
    verify,
    ok: missing.length === 0 && failed.length === 0 && remaining === 0,
  };
}
