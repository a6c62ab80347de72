/**
 * Which shard a process runs: `--shard`, else the task index the engine running it sets
 * (Cloud Run Jobs, Kubernetes Indexed Jobs, Google Cloud Batch, AWS Batch array jobs,
 * Slurm job arrays). Where the engine also says how many tasks there are, that number
 * must be the plan's number of shards: a job of 4 tasks over a plan of 8 shards would
 * leave half the patients out, and one of 16 would run shards that do not exist.
 */
import { SomError } from '@som/core';

/** An engine's variables: the task index, and the task count where the engine sets one. */
export interface EngineVariables {
  /** The engine, for messages. */
  engine: string;
  /** The variable holding the task index (from 0). */
  index: string;
  /** The variable holding the number of tasks, if the engine sets one. */
  count?: string;
}

/** The engines whose task index is read, in the order they are looked for. */
export const ENGINES: readonly EngineVariables[] = [
  { engine: 'Cloud Run', index: 'CLOUD_RUN_TASK_INDEX', count: 'CLOUD_RUN_TASK_COUNT' },
  { engine: 'Kubernetes', index: 'JOB_COMPLETION_INDEX' },
  { engine: 'Google Cloud Batch', index: 'BATCH_TASK_INDEX', count: 'BATCH_TASK_COUNT' },
  { engine: 'AWS Batch', index: 'AWS_BATCH_JOB_ARRAY_INDEX' },
  { engine: 'Slurm', index: 'SLURM_ARRAY_TASK_ID', count: 'SLURM_ARRAY_TASK_COUNT' },
];

/** The shard a process runs and what said so. */
export interface ShardChoice {
  /** The shard index, from 0. */
  index: number;
  /** `--shard`, or the engine variable that gave it (e.g. `SLURM_ARRAY_TASK_ID`). */
  source: string;
}

/** A whole number from 0 written in decimal, or undefined. */
function wholeNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d{1,15}$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

/** A non-empty variable of `env`, or undefined. */
function variable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/**
 * The shard this process runs out of `shards`: `flag` (the `--shard` value) when given,
 * else the first engine index variable of {@link ENGINES} set in `env`; an engine's count
 * variable, when set, must equal `shards`.
 * @throws SomError InvalidArgument when no index is given, an index is not a whole number
 *   from 0 to shards - 1, or the engine's count differs from `shards`.
 */
export function resolveShard(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  shards: number,
): ShardChoice {
  const check = (text: string, source: string): ShardChoice => {
    const index = wholeNumber(text);
    if (index === undefined || index >= shards)
      throw new SomError(
        'InvalidArgument',
        `${source} must be a shard index from 0 to ${shards - 1} (the plan has ${shards} ${shards === 1 ? 'shard' : 'shards'}), not ${JSON.stringify(text.slice(0, 20))}`,
      );
    return { index, source };
  };
  if (flag !== undefined) return check(flag, '--shard');
  for (const engine of ENGINES) {
    const value = variable(env, engine.index);
    if (value === undefined) continue;
    const countText = engine.count !== undefined ? variable(env, engine.count) : undefined;
    if (countText !== undefined && wholeNumber(countText) !== shards)
      throw new SomError(
        'InvalidArgument',
        `${engine.engine} runs ${JSON.stringify(countText.slice(0, 20))} tasks (${engine.count}) but the plan has ${shards} shards: run exactly ${shards} tasks, or plan again with --shards ${countText.trim().slice(0, 20)}`,
      );
    return check(value, engine.index);
  }
  throw new SomError(
    'InvalidArgument',
    `no shard index: give --shard <i>, or run under an engine that sets one of ${ENGINES.map((e) => e.index).join(', ')}`,
  );
}
