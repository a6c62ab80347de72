/**
 * `som finalize --plan <plan-dir> [--repair] [--json]`: after the shards of a plan: every
 * shard reported, every failed file listed, aggregates refreshed, the collection verified.
 */
import type { Command } from 'commander';
import { entryLine, finalizePlan, summaryLine } from '@som/publish';
import { EXIT, type Runtime } from '../runtime';
import { configFor, withClient, type GlobalOptions } from './common';
import { problemLine } from './verify';

interface FinalizeCommandOptions extends GlobalOptions {
  plan: string;
  repair?: boolean;
  json?: boolean;
}

async function finalize(runtime: Runtime, options: FinalizeCommandOptions): Promise<number> {
  const config = configFor(runtime, options);
  const { output } = runtime;
  return withClient(config, async (client) => {
    const result = await finalizePlan({
      client,
      plan: options.plan,
      cwd: runtime.cwd,
      ...(options.repair ? { repair: true } : {}),
      onProblem: (problem) => {
        if (!options.json) output.line(problemLine(problem));
      },
    });
    const { plan, missing, failed, verify } = result;
    const remaining = verify.problems.filter((p) => !p.repaired).length;
    if (options.json)
      output.json({
        collection: plan.collection,
        shards: plan.shards,
        reported: result.shards,
        missing,
        counts: result.counts,
        failed,
        entities: result.entities,
        verify: { images: verify.images, problems: verify.problems, remaining },
        ok: result.ok,
      });
    const files = Object.values(result.counts).reduce((sum, n) => sum + n, 0);
    const say = (text: string): void => (options.json ? output.message(text) : output.line(text));
    say(
      `som: finalize ${plan.collection}: ${result.shards.length} of ${plan.shards} shards reported; ${summaryLine({ files, counts: result.counts, ok: result.ok })}; ${result.entities} entities refreshed; verified ${verify.images} images: ${remaining === 0 ? 'no problems left' : `${remaining} problems left`}`,
    );
    if (missing.length > 0)
      output.message(`som: shards without a report (not finished): ${missing.join(', ')}`);
    if (failed.length > 0) {
      output.message(
        `som: ${failed.length} ${failed.length === 1 ? 'file was' : 'files were'} not uploaded:`,
      );
      for (const file of failed) output.message(`  ${entryLine(file)}`);
    }
    return result.ok ? EXIT.ok : EXIT.failed;
  });
}

/** Add `som finalize` to `program`; `done` receives the exit code. */
export function registerFinalize(
  program: Command,
  runtime: Runtime,
  done: (code: number) => void,
): void {
  program
    .command('finalize')
    .description(
      'after the shards of a plan: check every shard reported, list every failed file, refresh aggregates, verify the collection; exit 1 unless all is well',
    )
    .requiredOption('--plan <plan-dir>', 'the plan directory (made by som plan)')
    .option('--repair', 'repair what verify finds (as som verify --repair)')
    .option(
      '--json',
      'print one JSON document: shards reported and missing, counts, failed files, verify',
    )
    .action(async (_options: FinalizeCommandOptions, command: Command) => {
      done(await finalize(runtime, command.optsWithGlobals<FinalizeCommandOptions>()));
    });
}
