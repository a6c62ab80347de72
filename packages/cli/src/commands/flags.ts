/**
 * The flags several commands share, each defined once: `--recipe` and what it names
 * (`--functions`, `--vars`), the pixel safeguards (`--pixel-filter`, `--pixel-text`),
 * `--ids`, `--concurrency` and `--secret`, with defaults in their help taken from the
 * constants the library uses.
 */
import { Option, type Command } from 'commander';
import {
  DEFAULT_CONCURRENCY,
  PIXEL_FILTER_CHOICES,
  PIXEL_TEXT_MODES,
  type PixelFilterChoice,
  type PixelTextMode,
  type RunOptions,
} from '@som/publish';

/** The shared flags as parsed (raw strings). */
export interface RunFlags {
  recipe?: string;
  functions?: string;
  vars?: string;
  pixelFilter?: PixelFilterChoice;
  pixelText?: PixelTextMode;
  ids?: string;
  concurrency?: string;
  secret?: string;
}

/** The run options of the flags the library takes as they are (the others go through the configuration). */
export function runOptionsOf(
  flags: RunFlags,
): Pick<RunOptions, 'ids' | 'functions' | 'variables' | 'pixelFilter' | 'pixelText'> {
  return {
    ...(flags.ids !== undefined ? { ids: flags.ids } : {}),
    ...(flags.functions !== undefined ? { functions: flags.functions } : {}),
    ...(flags.vars !== undefined ? { variables: flags.vars } : {}),
    ...(flags.pixelFilter !== undefined ? { pixelFilter: flags.pixelFilter } : {}),
    ...(flags.pixelText !== undefined ? { pixelText: flags.pixelText } : {}),
  };
}

/** `--concurrency <n>`: files read (`what`) at once. */
export function concurrencyOption(what = 'files processed at once'): Option {
  return new Option(
    '--concurrency <n>',
    `${what} (default ${DEFAULT_CONCURRENCY}; env SOM_CONCURRENCY)`,
  );
}

/** Add the shared flags to `command`. */
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
        '--functions <module.js>',
        "a JavaScript module exporting the recipe's func: functions",
      ),
    )
    .addOption(
      new Option(
        '--vars <file.json|csv>',
        "the recipe's var: variables per entity (original PatientID) or per file",
      ),
    )
    .addOption(
      new Option(
        '--pixel-filter <filter>',
        "burned-in pixel screening: default (the recipe's %filter sections, else deid's shipped filter) or none",
      ).choices(PIXEL_FILTER_CHOICES),
    )
    .addOption(
      new Option(
        '--pixel-text <mode>',
        'OCR the pixels (Debian tesseract-ocr): detect quarantines files with text, redact blanks it',
      ).choices(PIXEL_TEXT_MODES),
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
