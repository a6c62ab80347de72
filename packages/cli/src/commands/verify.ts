/**
 * `som verify [--repair] [--collection c] [--deep]`: check that objects and records agree
 * (what a crash between the two leaves behind) and optionally repair; exits non-zero
 * while problems remain.
 */
import type { Command } from 'commander';
import type { VerifyProblem } from '@som/core';
import { EXIT, type Runtime } from '../runtime';
import { configFor, withClient, type GlobalOptions } from './common';

interface VerifyCommandOptions extends GlobalOptions {
  repair?: boolean;
  collection?: string;
  deep?: boolean;
  json?: boolean;
}

/** One line for a problem verify found. */
export function problemLine(problem: VerifyProblem): string {
  return `${problem.repaired ? 'repaired' : 'problem'}  ${problem.type}  ${problem.subject}: ${problem.detail}`;
}

async function verify(runtime: Runtime, options: VerifyCommandOptions): Promise<number> {
  const config = configFor(runtime, options);
  return withClient(config, async (client) => {
    const report = await client.verify({
      ...(options.repair ? { repair: true } : {}),
      ...(options.deep ? { deep: true } : {}),
      ...(options.collection !== undefined ? { collection: options.collection } : {}),
      onProblem: (problem) => {
        if (!options.json) runtime.output.line(problemLine(problem));
      },
    });
    const remaining = report.problems.filter((p) => !p.repaired).length;
    if (options.json)
      runtime.output.json({ images: report.images, problems: report.problems, remaining });
    const repaired = report.problems.length - remaining;
    runtime.output.message(
      `som: verified ${report.images} images: ${report.problems.length === 0 ? 'no problems' : `${report.problems.length} problems, ${repaired} repaired, ${remaining} remaining`}`,
    );
    return remaining > 0 ? EXIT.failed : EXIT.ok;
  });
}

/** Add `som verify` to `program`; `done` receives the exit code. */
export function registerVerify(
  program: Command,
  runtime: Runtime,
  done: (code: number) => void,
): void {
  program
    .command('verify')
    .description(
      'check that objects and records agree (and repair with --repair); exit code 1 while problems remain',
    )
    .option(
      '--repair',
      'fix what can be fixed: records for orphan objects (fields rebuilt from the DICOM header), stale sizes/MD5s, missing parents',
    )
    .option('--collection <uid>', 'only this collection')
    .option('--deep', 'also read every object and check its bytes against its MD5')
    .option('--json', 'print a JSON report: images checked, every problem, how many remain')
    .addHelpText(
      'after',
      `
Problems: missing-object (a record without its object; repair deletes the record),
orphan-object (an object without its record; repair writes it), mismatch (size or MD5
differs; repair takes the object's), missing-parent (repair creates the entity or
collection record), corrupt (--deep: bytes do not match; upload the file again).`,
    )
    .action(async (_options: VerifyCommandOptions, command: Command) => {
      done(await verify(runtime, command.optsWithGlobals<VerifyCommandOptions>()));
    });
}
