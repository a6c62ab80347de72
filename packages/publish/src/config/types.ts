/**
 * The configuration of a `som` run (a stable interface: docs/configuration.md): `som.config.json` in the
 * working directory, then `SOM_*` environment variables, then command-line flags.
 */
import type { StoreConfig } from '@som/core';
import type { SecretValue } from './secret-value';

/** The configuration file read from the working directory unless `--config` names another. */
export const CONFIG_FILE_NAME = 'som.config.json';

/** The data directory of the embedded default, relative to the working directory. */
export const DEFAULT_DATA_DIR = 'som-data';

/** Default number of files processed at once. */
export const DEFAULT_CONCURRENCY = 8;

/** Largest `concurrency` accepted. */
export const MAX_CONCURRENCY = 256;

/** Settings of the DASHER service (used for aliases when no `--ids` file is given). */
export interface DasherSettings {
  /** The DASHER study: the last part of the endpoint path. */
  study: string;
  /** The secrets file with the access and refresh tokens. */
  secretsFile: string;
  /** The service base URL (default: the DASHER production URL). */
  url?: string;
}

/** A resolved configuration: every path absolute, every default filled in. */
export interface SomConfig {
  /** The object store adapter and its settings. */
  objectStore: StoreConfig;
  /** The metadata store adapter and its settings. */
  metadataStore: StoreConfig;
  /** Where the embedded default keeps its data (`./som-data`). */
  dataDir: string;
  /** The local pseudonymisation key file (created on first use), unless `secret` is set. */
  keyFile: string;
  /** The pseudonymisation key given by `--secret` or `SOM_SECRET` (never printed). */
  secret?: SecretValue;
  /** Files processed at once. */
  concurrency: number;
  /** A deid recipe file replacing the default recipe. */
  recipe?: string;
  /** The DASHER service, when configured. */
  dasher?: DasherSettings;
  /** The configuration file that was read, if any. */
  configFile?: string;
}

/** The root directory of the configured object store when it is the local-disk (`fs`) one. */
export function fsObjectRoot(config: SomConfig): string | undefined {
  const { type, root } = config.objectStore;
  return type === 'fs' && typeof root === 'string' ? root : undefined;
}

/**
 * Explicit settings, over the configuration file and the environment: the command line's
 * flags (strings, as typed), or a program's settings (store settings may be objects).
 */
export interface ConfigFlags {
  /** `--config <file>`. */
  config?: string;
  /** `--object-store <type|json>`, or the settings themselves. */
  objectStore?: string | StoreConfig;
  /** `--metadata-store <type|json>`, or the settings themselves. */
  metadataStore?: string | StoreConfig;
  /** `--data-dir <dir>`. */
  dataDir?: string;
  /** `--secret <key>`. */
  secret?: string;
  /** `--concurrency <n>`. */
  concurrency?: string | number;
  /** `--recipe <file>`. */
  recipe?: string;
}

/** The environment variables som reads, with what each sets (shown by `som --help`). */
export const ENVIRONMENT: Readonly<Record<string, string>> = Object.freeze({
  SOM_CONFIG: 'configuration file to read instead of ./som.config.json',
  SOM_OBJECT_STORE:
    'object store: a type (fs, gcs, minio, memory) or a JSON object {"type": ..., settings}',
  SOM_METADATA_STORE: 'metadata store: a type (sqlite, datastore, memory) or a JSON object',
  SOM_DATA_DIR: 'data directory of the embedded default (default ./som-data)',
  SOM_KEY_FILE:
    'pseudonymisation key file (default <data dir>/pseudonym.key, created on first use)',
  SOM_SECRET: 'pseudonymisation key itself (instead of the key file; never printed)',
  SOM_CONCURRENCY: `files processed at once (default ${DEFAULT_CONCURRENCY})`,
  SOM_RECIPE: 'deid recipe file replacing the default recipe',
  SOM_DASHER_URL:
    'DASHER base URL (setting it, or SOM_DASHER_STUDY, uses the DASHER service for aliases)',
  SOM_DASHER_STUDY: 'DASHER study',
  SOM_DASHER_SECRETS: 'DASHER secrets file (also STANFORD_CLIENT_SECRETS)',
  SOM_WORKERS:
    'threads that de-identify (default: one per CPU but one, at least one, at most the concurrency; 0: none)',
});
