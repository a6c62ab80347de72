/**
 * The adapter registration: `"objectStore": {"type": "minio", ...}` in som's configuration.
 */
import { ContainerModule } from 'inversify';
import { type StoreConfig } from '@som/core';
import { TOKENS, type AdapterRegistration } from '@som/core/di';
import { resolveCredentials, resolveMinioConfig } from './config';
import { MinioObjectDriver } from './driver';

/** The MinIO / S3 object store adapter (`type: "minio"`); credentials may come from the environment. */
export const minioObjectStoreAdapter: AdapterRegistration = {
  store: 'objectStore',
  type: 'minio',
  validate(config: StoreConfig): void {
    resolveMinioConfig(config);
    resolveCredentials(config, process.env);
  },
  module: (config: StoreConfig) =>
    new ContainerModule(({ bind }) => {
      bind(TOKENS.ObjectStoreDriver).toDynamicValue(() => new MinioObjectDriver(config));
    }),
};
