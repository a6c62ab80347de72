/**
 * The flags several commands share, each defined once: `--recipe` and what it names
 * (`--functions`, `--vars`), the profile's `--retain` and `--clean-descriptors`, the pixel
 * safeguards (`--pixel-filter`, `--pixel-text`), `--ids` and the DASHER request's
 * `--item-level`, `--entity-source` and `--item-source`, `--concurrency`, `--secret` and
 * `--strict`, and `--metadata` / `--entity-metadata`, with defaults in their help taken
 * from the constants the libraries use.
 */
import { Option, type Command } from 'commander';
import { FIELD_NAME, RESERVED_FIELDS, SomError, parseAssignment, type RecordData } from '@som/core';
import { fieldType, type ProfileOptions } from '@som/dicom';
import {
  DEFAULT_ID_SOURCES,
  DEFAULT_ITEM_LEVEL,
  ITEM_LEVELS,
  type ItemLevel,
} from '@som/identifiers';
import { collect } from '../assignments';
import {
  DEFAULT_CONCURRENCY,
  PIXEL_FILTER_CHOICES,
  PIXEL_TEXT_MODES,
  type PixelFilterChoice,
  type PixelTextMode,
  type RunOptions,
} from '@som/publish';

/** The DASHER request flags as parsed. */
export interface RequestFlags {
  itemLevel?: ItemLevel;
  entitySource?: string;
  itemSource?: string;
}

/** The shared flags as parsed (raw strings). */
export interface RunFlags extends RequestFlags {
  recipe?: string;
  functions?: string;
  vars?: string;
  pixelFilter?: PixelFilterChoice;
  pixelText?: PixelTextMode;
  ids?: string;
  concurrency?: string;
  secret?: string;
  retain?: string;
  cleanDescriptors?: boolean;
  strict?: boolean;
}

/** The record field flags as parsed. */
export interface MetadataFlags {
  metadata?: string[];
  entityMetadata?: string[];
}

/** `--retain` names and the profile option each turns on. */
const RETAIN_OPTIONS: Readonly<Record<string, keyof ProfileOptions>> = {
  'patient-characteristics': 'retainPatientCharacteristics',
  'device-identity': 'retainDeviceIdentity',
  uids: 'retainUids',
  'safe-private': 'retainSafePrivate',
};

/** `--concurrency <n>`: files read (`what`) at once. */
export function concurrencyOption(what = 'files processed at once'): Option {
  return new Option(
    '--concurrency <n>',
    `${what} (default ${DEFAULT_CONCURRENCY}; env SOM_CONCURRENCY)`,
  );
}

/** Add `--item-level`, `--entity-source` and `--item-source` to `command`. */
export function addRequestFlags(command: Command): Command {
  const sources = ITEM_LEVELS.map((level) => `${level}: "${DEFAULT_ID_SOURCES[level]}"`);
  return command
    .addOption(
      new Option(
        '--item-level <level>',
        `what the DASHER request's items are (default ${DEFAULT_ITEM_LEVEL}); with --ids, what items whose id_source names none identify`,
      ).choices(ITEM_LEVELS),
    )
    .addOption(
      new Option(
        '--entity-source <name>',
        `the id_source of the request's patients, e.g. "Stanford MRN" (default "${DEFAULT_ID_SOURCES.entity}")`,
      ),
    )
    .addOption(
      new Option(
        '--item-source <name>',
        `the id_source of the request's items, e.g. "DCM Accession #" (default by level: ${sources.join(', ')})`,
      ),
    );
}

/** Add the flags of a run over files (`som upload`, `som deid`, `som plan`) to `command`. */
export function addRunFlags(command: Command): Command {
  command
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
        '--retain <options>',
        `profile options to turn on, comma-separated: ${Object.keys(RETAIN_OPTIONS).join(', ')}`,
      ),
    )
    .addOption(
      new Option(
        '--clean-descriptors',
        'the profile option Clean Descriptors: keep descriptions and comments that hold no identity',
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
    );
  return addRequestFlags(command)
    .addOption(concurrencyOption())
    .addOption(
      new Option(
        '--secret <key>',
        'the pseudonymisation key, at least 32 characters (env SOM_SECRET; default: the key file beside the data, created on first use)',
      ),
    )
    .addOption(
      new Option(
        '--strict',
        'a skipped file (not DICOM, a DICOMDIR, the output of som deid) fails the run',
      ),
    );
}

/** The profile options of `--retain` and `--clean-descriptors`. */
export function profileOptions(flags: RunFlags): ProfileOptions {
  const options: { -readonly [K in keyof ProfileOptions]: ProfileOptions[K] } = {};
  for (const name of (flags.retain ?? '').split(',').map((n) => n.trim())) {
    if (name === '') continue;
    const option = RETAIN_OPTIONS[name];
    if (option === undefined)
      throw new SomError(
        'InvalidArgument',
        `--retain ${JSON.stringify(name)}: use ${Object.keys(RETAIN_OPTIONS).join(', ')}`,
      );
    options[option] = true;
  }
  if (flags.cleanDescriptors === true) options.cleanDescriptors = true;
  return options;
}

/** The library options of the request flags. */
export function requestOptions(flags: RequestFlags): Partial<RunOptions> {
  return {
    ...(flags.itemLevel !== undefined ? { itemLevel: flags.itemLevel } : {}),
    ...(flags.entitySource !== undefined ? { entitySource: flags.entitySource } : {}),
    ...(flags.itemSource !== undefined ? { itemSource: flags.itemSource } : {}),
  };
}

/**
 * The run options of the flags the library takes as they are (the others, `--recipe`,
 * `--concurrency` and `--secret`, go through the configuration).
 */
export function runOptionsOf(flags: RunFlags): Partial<RunOptions> {
  return {
    ...requestOptions(flags),
    profile: profileOptions(flags),
    ...(flags.ids !== undefined ? { ids: flags.ids } : {}),
    ...(flags.functions !== undefined ? { functions: flags.functions } : {}),
    ...(flags.vars !== undefined ? { variables: flags.vars } : {}),
    ...(flags.pixelFilter !== undefined ? { pixelFilter: flags.pixelFilter } : {}),
    ...(flags.pixelText !== undefined ? { pixelText: flags.pixelText } : {}),
    ...(flags.strict === true ? { strict: true } : {}),
  };
}

/** Add `--metadata` and `--entity-metadata` to `command`; `whose` says whose entities get the fields. */
export function addMetadataFlags(command: Command, whose: string): Command {
  return command
    .option(
      '--metadata <field=value>',
      'add a field to every image record (repeat it, or list several after it; values typed as in `som search`)',
      collect,
    )
    .option(
      '--entity-metadata <field=value>',
      `add a field to every entity record ${whose} (as --metadata)`,
      collect,
    );
}

/** The fields of `flag`'s assignments, checked before anything is read. */
function fieldsOf(assignments: readonly string[], flag: string): RecordData {
  const fields: RecordData = {};
  for (const text of assignments) {
    const [field, value] = parseAssignment(text, fieldType);
    if (!FIELD_NAME.test(field) || (RESERVED_FIELDS as readonly string[]).includes(field)) {
      throw new SomError(
        'InvalidArgument',
        `${flag} ${field}: ${(RESERVED_FIELDS as readonly string[]).includes(field) ? 'som maintains this field' : 'invalid field name'}`,
      );
    }
    fields[field] = value;
  }
  return fields;
}

/** The record fields of `--metadata` and `--entity-metadata`, checked before anything is read. */
export function metadataOptions(flags: MetadataFlags): {
  metadata: RecordData;
  entityMetadata: RecordData;
} {
  return {
    metadata: fieldsOf(flags.metadata ?? [], '--metadata'),
    entityMetadata: fieldsOf(flags.entityMetadata ?? [], '--entity-metadata'),
  };
}
