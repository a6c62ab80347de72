/**
 * The flags several commands share, each defined once: `--recipe`, `--ids`, `--concurrency`
 * and `--secret`, with defaults in their help taken from the constants the library uses.
 */
import { Option, type Command } from 'commander';
import { DEFAULT_CONCURRENCY } from '@som/publish';

/** The shared flags as parsed (raw strings). */
export interface RunFlags {
  recipe?: string;
  ids?: string;
  concurrency?: string;
  secret?: string;
}

/** `--concurrency <n>`: files read (`what`) at once. */
export function concurrencyOption(what = 'files processed at once'): Option {
  return new Option(
    '--concurrency <n>',
    `${what} (default ${DEFAULT_CONCURRENCY}; env SOM_CONCURRENCY)`,
  );
}

/** Add `--recipe`, `--ids`, `--concurrency` and `--secret` to `command`. */
export function addRunFlags(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--recipe <file>',
        'a deid recipe whose rules decide before the default PS3.15 profile (env SOM_RECIPE)',
      ),
    )
    .addOption(
      new Option(
        '--ids <file>',
        'a DASHER response (JSON) with the aliases; default: the DASHER service when configured, else the local pseudonymiser',
      ),
    )
    .addOption(concurrencyOption())
    .addOption(
      new Option(
        '--secret <key>',
        'the pseudonymisation key (env SOM_SECRET; default: the key file beside the data, created on first use)',
      ),
    );
}
