/**
 * The `gcs` object store adapter: `"objectStore": {"type": "gcs", "bucket": "..."}`.
 */
import type { ObjectStoreAdapter } from '@som/core/driver';
import { gcsConfigOf } from './config';

/**
 * Registration of the Google Cloud Storage adapter. Settings: `bucket` (required),
 * `projectId`, `keyFilename`, `apiEndpoint`, `resumableThresholdBytes`, `maxRetries`,
 * `timeoutMs` (see {@link GcsConfig}). The driver is made when the store is opened, so a
 * bad setting or an unreadable key file fails there, before any request.
 */
export const gcsObjectStoreAdapter: ObjectStoreAdapter = {
  store: 'objectStore',
  type: 'gcs',
  summary: 'Google Cloud Storage: `bucket`, `projectId`, `keyFilename`, `apiEndpoint`',
  validate: (config) => {
    gcsConfigOf(config);
  },
  open: (config) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK loads when chosen
    const { GcsObjectDriver } = require('./driver') as typeof import('./driver');
    return new GcsObjectDriver(gcsConfigOf(config));
  },
  credentialFiles: { settings: ['keyFilename'], env: ['GOOGLE_APPLICATION_CREDENTIALS'] },
};
