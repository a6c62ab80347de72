/**
 * The settings of the SQLite metadata store: `{"type": "sqlite", "path": ...}`.
 */
import { invalidSetting } from '@som/core';
import { assertFieldName } from './schema';

/** Settings of the SQLite metadata store (`{"type": "sqlite", ...}` in som.config.json). */
export interface SqliteMetadataConfig {
  /** The database file; its directory is created when missing. The CLI's default is `./som-data/som.db`. */
  path: string;
  /** Fields to index beyond the default searchable fields (indexes are created when the store opens). */
  indexedFields?: string[];
  /** How long an operation waits for another process's lock before Unavailable (default 10,000 ms). */
  busyTimeoutMs?: number;
}

/** Throw InvalidArgument naming the bad setting unless `config` is usable. */
export function validateSqliteConfig(settings: object): SqliteMetadataConfig {
  const config = settings as Partial<Record<keyof SqliteMetadataConfig, unknown>>;
  const setting = { type: 'sqlite', ...config };
  if (typeof config.path !== 'string' || config.path.trim() === '') {
    throw invalidSetting(setting, 'path', 'a non-empty string (the database file)');
  }
  if (config.indexedFields !== undefined) {
    if (!Array.isArray(config.indexedFields)) {
      throw invalidSetting(setting, 'indexedFields', 'an array of field names');
    }
    config.indexedFields.forEach((field) => assertFieldName(String(field)));
  }
  const timeout = config.busyTimeoutMs;
  if (
    timeout !== undefined &&
    !(typeof timeout === 'number' && Number.isSafeInteger(timeout) && timeout >= 0)
  ) {
    throw invalidSetting(setting, 'busyTimeoutMs', 'a non-negative integer');
  }
  return settings as SqliteMetadataConfig;
}
