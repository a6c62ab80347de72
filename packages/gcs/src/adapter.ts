/**
 * The `gcs` object store adapter: `"objectStore": {"type": "gcs", "bucket": "..."}`.
 */
import { ContainerModule } from 'inversify';
import { TOKENS, type AdapterRegistration } from '@som/core/di';
import { gcsConfigOf } from './config';
import { GcsObjectDriver } from './driver';

/**
 * Registration of the Google Cloud Storage adapter. Settings: `bucket` (required),
 * `projectId`, `keyFilename`, `apiEndpoint`, `resumableThresholdBytes`, `maxRetries`,
 * `timeoutMs` (see {@link GcsConfig}). The driver is made when the container is, so a bad
 * setting or an unreadable key file fails there, before any request.
 */
export const gcsObjectStoreAdapter: AdapterRegistration = {
  store: 'objectStore',
  type: 'gcs',
  validate: (config) => {
    gcsConfigOf(config);
  },
  module: (config) => {
    const driver = new GcsObjectDriver(gcsConfigOf(config));
    return new ContainerModule(({ bind }) => {
      bind(TOKENS.ObjectStoreDriver).toConstantValue(driver);
    });
  },
};
