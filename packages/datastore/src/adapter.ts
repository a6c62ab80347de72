/**
 * The `datastore` metadata store adapter: `"metadataStore": {"type": "datastore", ...}`.
 */
import type { MetadataStoreAdapter } from '@som/core/driver';
import { datastoreConfigOf } from './config';

/**
 * Registration of the Google Cloud Datastore adapter. Settings: `projectId`, `namespace`,
 * `apiEndpoint` or `emulatorHost`, `keyFilename`, `timeoutMs`, `maxRetries` (see
 * {@link DatastoreConfig}). The driver is made when the store is opened, so a bad setting
 * or an unreadable key file fails there, before any request.
 */
export const datastoreMetadataStoreAdapter: MetadataStoreAdapter = {
  store: 'metadataStore',
  type: 'datastore',
  summary: 'Google Cloud Datastore: `projectId`, `namespace`, `keyFilename`, `apiEndpoint`',
  validate: (config) => {
    datastoreConfigOf(config);
  },
  open: (config) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the SDK loads when chosen
    const { DatastoreMetadataDriver } = require('./driver') as typeof import('./driver');
    return new DatastoreMetadataDriver(datastoreConfigOf(config));
  },
  credentialFiles: { settings: ['keyFilename'], env: ['GOOGLE_APPLICATION_CREDENTIALS'] },
};
