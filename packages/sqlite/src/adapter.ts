/**
 * The DI registration of the SQLite metadata store: `{"type": "sqlite", "path": ...}`.
 */
import { ContainerModule } from 'inversify';
import { type StoreConfig } from '@som/core';
import { TOKENS, type AdapterRegistration } from '@som/core/di';
import { SqliteMetadataDriver, validateSqliteConfig, type SqliteMetadataConfig } from './driver';

/** Selects {@link SqliteMetadataDriver} for `metadataStore.type === "sqlite"`. */
export const sqliteMetadataStoreAdapter: AdapterRegistration = {
  store: 'metadataStore',
  type: 'sqlite',
  validate: (config: StoreConfig) => {
    validateSqliteConfig(config as Partial<SqliteMetadataConfig>);
  },
  module: (config: StoreConfig) =>
    new ContainerModule(({ bind }) => {
      bind(TOKENS.MetadataStoreDriver).toDynamicValue(
        () => new SqliteMetadataDriver(config as unknown as SqliteMetadataConfig),
      );
    }),
};
