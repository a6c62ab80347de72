/**
 * The `datastore` metadata store adapter: `"metadataStore": {"type": "datastore", ...}`.
 */
import { ContainerModule } from 'inversify';
import { TOKENS, type AdapterRegistration } from '@som/core/di';
import { datastoreConfigOf } from './config';
import { DatastoreMetadataDriver } from './driver';

/**
 * Registration of the Google Cloud Datastore adapter. Settings: `projectId`, `namespace`,
 * `apiEndpoint` or `emulatorHost`, `keyFilename`, `timeoutMs`, `maxRetries` (see
 * {@link DatastoreConfig}). The driver is made when the container is, so a bad setting or
 * an unreadable key file fails there, before any request.
 */
export const datastoreMetadataStoreAdapter: AdapterRegistration = {
  store: 'metadataStore',
  type: 'datastore',
  validate: (config) => {
    datastoreConfigOf(config);
  },
  module: (config) => {
    const driver = new DatastoreMetadataDriver(datastoreConfigOf(config));
    return new ContainerModule(({ bind }) => {
      bind(TOKENS.MetadataStoreDriver).toConstantValue(driver);
    });
  },
};
