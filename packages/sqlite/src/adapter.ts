/**
 * The registration of the SQLite metadata store: `{"type": "sqlite", "path": ...}`.
 */
import type { MetadataStoreAdapter } from '@som/core/driver';
import { validateSqliteConfig } from './config';

/** Selects the SQLite metadata store (`SqliteMetadataDriver`) for `metadataStore.type === "sqlite"`. */
export const sqliteMetadataStoreAdapter: MetadataStoreAdapter = {
  store: 'metadataStore',
  type: 'sqlite',
  summary: 'SQLite file at `path` (the embedded default)',
  validate: (config) => {
    validateSqliteConfig(config);
  },
  open: (config) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when chosen
    const { SqliteMetadataDriver } = require('./driver') as typeof import('./driver');
    return new SqliteMetadataDriver(validateSqliteConfig(config));
  },
  localPaths: ['path'],
};
