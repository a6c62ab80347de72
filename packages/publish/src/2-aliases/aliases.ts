/**
 * Where aliases come from, in order: a `--ids` DASHER response file (validated against
 * the identifiers found), the DASHER service when configured, else the local pseudonymiser
 * keyed by `--secret`/`SOM_SECRET` or the key file. The same key also remaps UIDs.
 */
import { access } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import {
  AliasTable,
  DasherClient,
  FileAliasLookup,
  LocalPseudonymiser,
  SecretKey,
  loadOrCreateKey,
  readDasherResponseFile,
  type AliasSource,
  type AliasSourceKind,
  type DasherRequest,
  type FileKeys,
  type ItemLevel,
} from '@som/identifiers';
import type { SomConfig } from '../config/types';

/** Where a secret given for the key comes from, as messages name it. */
export const SECRET_ORIGIN = '--secret/SOM_SECRET';

/** Receives a message for the person running (e.g. that a key file was created). */
export type Log = (message: string) => void;

/** The pseudonymisation key of a run and where it came from. */
export interface RunKey {
  key: SecretKey;
  /** `--secret/SOM_SECRET`, the key file path, or `a temporary key` (dry runs before the key file exists). */
  origin: string;
  /** How a worker thread loads the same key: the key itself, or the key file. */
  worker: { secret: string } | { keyFile: string };
}

/**
 * The key of this run: `--secret`/`SOM_SECRET`, else the key file (created on first use,
 * mode 0600, with a note to back it up). With `create: false` a missing key file is not
 * created: a temporary key is used instead, and the caller is told.
 */
export async function runKey(config: SomConfig, log: Log, create: boolean): Promise<RunKey> {
  if (config.secret !== undefined) {
    const secret = config.secret.reveal();
    const origin = SECRET_ORIGIN;
    return { key: SecretKey.fromSecret(secret, origin), origin, worker: { secret } };
  }
  if (!create) {
    const exists = await access(config.keyFile).then(
      () => true,
      () => false,
    );
    const secret = randomBytes(32).toString('hex');
    if (!exists)
      return {
        key: SecretKey.from(secret),
        origin: 'a temporary key (no key file yet)',
        worker: { secret },
      };
  }
  const key = await loadOrCreateKey(config.keyFile, {
    onCreate: (path) =>
      log(
        `som: created the pseudonymisation key ${path}; back it up: without it, later runs give other aliases`,
      ),
  });
  return { key, origin: config.keyFile, worker: { keyFile: config.keyFile } };
}

/** The alias source of the configuration (DASHER when configured, else the local pseudonymiser). */
export function aliasSource(config: SomConfig, key: SecretKey, log: Log): AliasSource {
  if (config.dasher === undefined) return new LocalPseudonymiser({ key });
  return new DasherClient({
    study: config.dasher.study,
    secretsPath: config.dasher.secretsFile,
    ...(config.dasher.url !== undefined ? { baseUrl: config.dasher.url } : {}),
    log: (message) => log(`som: ${message}`),
  });
}

/** Where the aliases of a run come from and what its request's items are. */
export interface AliasOptions {
  /** A DASHER response file (validated; it may cover more than the files of the run). */
  idsFile?: string;
  /** Where aliases come from without `idsFile` (default: the configured source). */
  source?: AliasSource;
  /**
   * What the request's items are (default study). A response file's items whose
   * `id_source` names no level are read as this level only when it is given; otherwise
   * they are matched by any of a file's identifiers.
   */
  itemLevel?: ItemLevel;
  /** The level the request was built with (the default when `itemLevel` is not given). */
  requestLevel: ItemLevel;
}

/** The aliases of a run's files and the kind of source they came from. */
export interface RunAliases {
  lookup: FileAliasLookup;
  aliasSource: AliasSourceKind;
}

/**
 * The aliases of every file of the run, looked up as `FileAliasLookup` does: from the
 * response file, else from the alias source asked with `request`. A file whose patient has
 * no result fails on its own; a file whose study or image has no item takes its patient's
 * alias and jitter. Each ambiguous item is told to `log` once (the files it matches fail).
 */
export async function aliasLookup(
  request: DasherRequest,
  files: readonly FileKeys[],
  config: SomConfig,
  key: SecretKey,
  log: Log,
  options: AliasOptions,
): Promise<RunAliases> {
  let table: AliasTable;
  let itemLevel: ItemLevel | undefined;
  if (options.idsFile !== undefined) {
    table = new AliasTable(await readDasherResponseFile(options.idsFile), options.idsFile);
    itemLevel = options.itemLevel;
  } else if (request.identifiers.length === 0) {
    table = new AliasTable({ results: [] }, 'no identifiers');
  } else {
    table = await AliasTable.fromSource(options.source ?? aliasSource(config, key, log), request);
    itemLevel = options.requestLevel;
  }
  const lookup = new FileAliasLookup(table, files, itemLevel !== undefined ? { itemLevel } : {});
  for (const ambiguity of lookup.ambiguities) log(`som: warning: ${ambiguity.message}`);
  return { lookup, aliasSource: table.aliasSource };
}
