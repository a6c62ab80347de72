/**
 * The adapter registration: `"objectStore": {"type": "minio", ...}` in som's configuration.
 */
import type { ObjectStoreAdapter } from '@som/core/driver';
import { resolveCredentials, resolveMinioConfig } from './config';

/** The MinIO / S3 object store adapter (`type: "minio"`); credentials may come from the environment. */
export const minioObjectStoreAdapter: ObjectStoreAdapter = {
  store: 'objectStore',
  type: 'minio',
  summary:
    'S3 (MinIO, Swift s3api, AWS): `endPoint`, `port`, `useSSL`, `region`, `accessKey`, `secretKey`, `bucket`',
  validate: (config) => {
    resolveMinioConfig(config);
    resolveCredentials(config, process.env);
  },
  open: (config) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK loads when chosen
    const { MinioObjectDriver } = require('./driver') as typeof import('./driver');
    return new MinioObjectDriver(config);
  },
};
