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
  LocalPseudonymiser,
  SecretKey,
  loadOrCreateKey,
  readDasherResponseFile,
  type AliasSource,
  type DasherRequest,
} from '@som/identifiers';
import type { SomConfig } from '../config/types';

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
    return { key: SecretKey.from(secret), origin: '--secret/SOM_SECRET', worker: { secret } };
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

/**
 * The aliases of every entity and item of `request`: from the `idsFile` DASHER response
 * (validated; it may cover more than this request: files it has no alias for fail on their
 * own), else from `source`, else from the configured source.
 */
export async function aliasTable(
  request: DasherRequest,
  config: SomConfig,
  key: SecretKey,
  log: Log,
  idsFile?: string,
  source?: AliasSource,
): Promise<AliasTable> {
  if (idsFile !== undefined) return new AliasTable(await readDasherResponseFile(idsFile), idsFile);
  if (request.identifiers.length === 0) return new AliasTable({ results: [] }, 'no identifiers');
  return AliasTable.fromSource(source ?? aliasSource(config, key, log), request);
}
