/**
 * `som upload --plan <plan-dir> [--shard <i>]`: one task of an engine's array job uploads
 * its shard of the plan. Its exit code tells the engine whether a retry can help: 0 done,
 * 1 files failed (a retry fails them again), 2 the plan, key, recipe, settings or task
 * count is wrong (nothing stored), 75 anything a retry may fix (a store unreachable before
 * or during the run).
 */
import { SomError, errorCode, errorMessage, type ErrorCode } from '@som/core';
import { checkShard, openClient, runShard } from '@som/publish';
import { GarbageCollector } from '../collect-garbage';
import { RunOutput } from '../io/run-output';
import { EXIT, type Runtime } from '../runtime';
import { VERSION } from '../version';
import { configFor, type GlobalOptions } from './common';
import { metadataOptions, runOptionsOf, type MetadataFlags, type RunFlags } from './flags';

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
export interface ShardCommandOptions extends GlobalOptions, RunFlags, MetadataFlags {
  plan: string;
  shard?: string;
  newKey?: boolean;
  json?: boolean;
}

async function runOneShard(runtime: Runtime, options: ShardCommandOptions): Promise<number> {
  const config = configFor(runtime, options);
  const { metadata, entityMetadata } = metadataOptions(options);
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
    entityMetadata,
    ...(options.newKey === true ? { newKey: true } : {}),
    cwd: runtime.cwd,
    env: runtime.env,
    signal: runtime.signal,
    ...runOptionsOf(options),
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
  const code = await run.finish(result.summary, headline, 'uploaded');
  if (code === EXIT.failed && result.retryMayHelp) {
    runtime.output.message(
      `som: files failed for reasons a retry may fix (a store unavailable, slow or throttled): exit ${EXIT_TRANSIENT} to be retried`,
    );
    return EXIT_TRANSIENT;
  }
  // A quarantine is the pixel safeguards working, not a failure of the shard: it ends as
  // done (so that the engine neither retries it nor holds back som finalize), and som
  // finalize reports the quarantined files with its exit code 3.
  return code === EXIT.quarantined ? EXIT.ok : code;
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
