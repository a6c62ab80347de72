/**
 * The `som` program: global options, every command, and running it to an exit code with
 * one readable message for any error.
 */
import { Command, CommanderError, Option } from 'commander';
import { SomError, errorMessage } from '@som/core';
import { ADAPTERS, ENVIRONMENT, CONFIG_FILE_NAME } from '@som/publish';
import { splitAssignments } from './assignments';
import { Output } from './io/output';
import { EXIT, Interrupts, type Runtime } from './runtime';
import { VERSION } from './version';
import { registerDeid } from './commands/deid';
import { registerFinalize } from './commands/finalize';
import { registerGet } from './commands/get';
import { registerIdentifiers } from './commands/identifiers';
import { registerLs } from './commands/ls';
import { registerPlan } from './commands/plan';
import { registerRm } from './commands/rm';
import { registerSearch } from './commands/search';
import { registerServe } from './commands/serve';
import { registerUpload } from './commands/upload';
import { registerVerify } from './commands/verify';

export { VERSION } from './version';

function configurationHelp(): string {
  const env = Object.entries(ENVIRONMENT).map(([name, what]) => `  ${name.padEnd(20)} ${what}`);
  const adapters = ADAPTERS.map(
    (a) =>
      `  ${a.store === 'objectStore' ? 'object store  ' : 'metadata store'}  ${a.type.padEnd(10)} ${a.summary}`,
  );
  return `
Configuration: ./${CONFIG_FILE_NAME} (or --config), then environment variables, then flags.
Without any: objects in ./som-data/objects, records in ./som-data/som.db (SQLite), the
pseudonymisation key in ./som-data/pseudonym.key (created on first use; back it up).

Environment:
${env.join('\n')}

Stores (the "type" of objectStore / metadataStore):
${adapters.join('\n')}

Exit codes: 0 everything asked succeeded; 1 something failed (each failure is named);
2 bad command line or configuration; 3 (upload, deid) nothing failed but files were
quarantined by the pixel safeguards (each is named); 75 (upload --plan) a store failed:
retry the shard; 130/143 stopped by Ctrl-C / SIGTERM (som serve: 0, its normal end).
Documentation: docs/cli.md and docs/configuration.md.`;
}

/** The `som` program for `runtime`; `done` receives each command's exit code. */
export function buildProgram(runtime: Runtime, done: (code: number) => void): Command {
  const program = new Command('som')
    .description(
      'publish de-identified DICOM datasets: de-identify, upload as Collection / Entity / Images, search, get',
    )
    .version(VERSION)
    .addOption(
      new Option(
        '--config <file>',
        `configuration file (default ./${CONFIG_FILE_NAME}; env SOM_CONFIG)`,
      ),
    )
    .addOption(
      new Option(
        '--object-store <type|json>',
        'object store type or JSON settings (env SOM_OBJECT_STORE)',
      ),
    )
    .addOption(
      new Option(
        '--metadata-store <type|json>',
        'metadata store type or JSON settings (env SOM_METADATA_STORE)',
      ),
    )
    .addOption(
      new Option(
        '--data-dir <dir>',
        'data directory of the embedded default (default ./som-data; env SOM_DATA_DIR)',
      ),
    )
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run "som <command> --help" for its options)')
    .addHelpText('after', configurationHelp())
    .exitOverride()
    .configureOutput({
      writeOut: (text) => runtime.output.write(text),
      writeErr: (text) => runtime.output.stderr.write(runtime.output.secrets.redact(text)),
      // Commander's own errors (`error: missing required argument ...`) get som's one prefix.
      outputError: (text, write) => write(`som: ${text}`),
    });
  for (const register of [
    registerUpload,
    registerPlan,
    registerFinalize,
    registerDeid,
    registerIdentifiers,
    registerLs,
    registerSearch,
    registerGet,
    registerVerify,
    registerRm,
    registerServe,
  ]) {
    register(program, runtime, done);
  }
  for (const command of program.commands)
    command.exitOverride().configureOutput(program.configureOutput());
  return program;
}

/** Where `main` runs (tests pass their own). */
export interface MainOptions {
  stdout?: Output['stdout'];
  stderr?: Output['stderr'];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The message for an error that ended a command. */
function describeError(err: unknown, env: NodeJS.ProcessEnv): string {
  if (err instanceof SomError) return err.message;
  const message = `internal error: ${errorMessage(err)}`;
  return env.SOM_DEBUG && err instanceof Error && err.stack ? `${message}\n${err.stack}` : message;
}

/**
 * Run `som` with `argv` (without the node and script paths) and return the exit code.
 * Errors are printed as one `som: error: ...` message; secrets are never printed.
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const output = new Output(options.stdout, options.stderr);
  const interrupts = new Interrupts(output).install();
  const runtime: Runtime = {
    output,
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
    signal: interrupts.signal,
    endsBySignal: (message) => interrupts.endsBySignal(message),
  };
  let code: number = EXIT.ok;
  try {
    await buildProgram(runtime, (result) => (code = result)).parseAsync(splitAssignments(argv), {
      from: 'user',
    });
  } catch (err) {
    if (err instanceof CommanderError) code = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    else {
      output.error(describeError(err, runtime.env));
      code = err instanceof SomError && err.code === 'InvalidArgument' ? EXIT.usage : EXIT.failed;
    }
  } finally {
    interrupts.uninstall();
  }
  return interrupts.exitCode ?? code;
}
