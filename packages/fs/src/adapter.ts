/**
 * The DI registration of the fs object store: `{"type": "fs", "root": ...}`.
 */
import { ContainerModule } from 'inversify';
import { type StoreConfig } from '@som/core';
import { TOKENS, type AdapterRegistration } from '@som/core/di';
import { FsObjectDriver, validateFsConfig, type FsObjectConfig } from './driver';

/** Selects {@link FsObjectDriver} for `objectStore.type === "fs"`. */
export const fsObjectStoreAdapter: AdapterRegistration = {
  store: 'objectStore',
  type: 'fs',
  validate: (config: StoreConfig) => {
    validateFsConfig(config as Partial<FsObjectConfig>);
  },
  module: (config: StoreConfig) =>
    new ContainerModule(({ bind }) => {
      bind(TOKENS.ObjectStoreDriver).toDynamicValue(
        () => new FsObjectDriver(config as unknown as FsObjectConfig),
      );
    }),
};
