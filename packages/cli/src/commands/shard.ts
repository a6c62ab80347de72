/**
 * `som upload --plan <plan-dir> [--shard <i>]`: one task of an engine's array job uploads
 * its shard of the plan. Its exit code tells the engine whether a retry can help: 0 done,
 * 1 files failed (a retry fails them again), 2 the plan, key, recipe or task count is
 * wrong (nothing stored), 75 anything a retry may fix (a store unreachable).
 */
import { SomError, errorCode, errorMessage, type ErrorCode } from '@som/core';
import { checkShard, openClient, runShard } from '@som/publish';
import { GarbageCollector } from '../collect-garbage';
import { RunOutput } from '../io/run-output';
import { EXIT, type Runtime } from '../runtime';
import { VERSION } from '../version';
import { configFor, type GlobalOptions } from './common';
import type { RunFlags } from './flags';
import { metadataFields } from './upload';

/** The exit code of a shard stopped by something a retry may fix (EX_TEMPFAIL). */
export const EXIT_TRANSIENT = 75;

/** Errors no retry fixes: the command line, the plan, the configuration, the permissions. */
const PERMANENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'InvalidArgument',
  'FailedPrecondition',
  'PermissionDenied',
  'Unimplemented',
]);

/** The flags of `som upload` a shard uses. */
export interface ShardCommandOptions
  extends GlobalOptions, Pick<RunFlags, 'recipe' | 'concurrency' | 'secret'> {
  plan: string;
  shard?: string;
  metadata?: string[];
  json?: boolean;
}

async function runOneShard(runtime: Runtime, options: ShardCommandOptions): Promise<number> {
  const config = configFor(runtime, options);
  const metadata = metadataFields(options.metadata ?? []);
  const run = new RunOutput(runtime.output, options.json === true, {
    command: 'upload',
    plan: options.plan,
  });
  const shard = {
    config,
    plan: options.plan,
    ...(options.shard !== undefined ? { shard: options.shard } : {}),
    somVersion: VERSION,
    metadata,
    cwd: runtime.cwd,
    env: runtime.env,
    signal: runtime.signal,
    ...run.hooks('shard'),
  };
  // Everything is checked before a store is opened (and the embedded default created).
  const checked = await checkShard(shard);
  const client = await openClient({ config });
  const garbage = new GarbageCollector();
  let result;
  try {
    result = await runShard(
      { ...shard, client, onBytesReleased: (bytes) => garbage.letGo(bytes) },
      checked,
    );
  } finally {
    run.stopProgress();
    await client.close().catch(() => undefined);
  }
  const headline = `shard ${result.index} (${result.source}, attempt ${result.attempt}) of ${result.plan.shards} to collection ${result.plan.collection}`;
  const summary = await run.finish(runtime.signal.aborted, headline, 'uploaded');
  return summary.ok ? EXIT.ok : EXIT.failed;
}

/**
 * Run the shard of `som upload --plan`; errors are printed here, with the exit code that
 * tells the engine whether to retry.
 */
export async function uploadShard(runtime: Runtime, options: ShardCommandOptions): Promise<number> {
  try {
    return await runOneShard(runtime, options);
  } catch (err) {
    if (!(err instanceof SomError)) throw err;
    runtime.output.error(errorMessage(err));
    return PERMANENT.has(errorCode(err)) ? EXIT.usage : EXIT_TRANSIENT;
  }
}
