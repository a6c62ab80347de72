/**
 * The registry of every adapter package the `som` command can use, by store and `type`.
 * Adapter packages are loaded only when chosen, so a run that uses the embedded default
 * never loads the Google or S3 SDKs.
 */
import {
  memoryMetadataStoreAdapter,
  memoryObjectStoreAdapter,
  type AdapterRegistration,
} from '@som/core/di';

/** One adapter the configuration can choose. */
export interface AdapterEntry {
  /** Which store it provides. */
  store: AdapterRegistration['store'];
  /** The `type` that selects it. */
  type: string;
  /** One line for `som --help` and error messages. */
  summary: string;
  /** The registration (loads the adapter package). */
  load(): AdapterRegistration;
}

/* eslint-disable @typescript-eslint/no-require-imports -- adapters are loaded on demand */
/** Every adapter, in the order they are listed in messages. */
export const ADAPTERS: readonly AdapterEntry[] = [
  {
    store: 'objectStore',
    type: 'fs',
    summary: 'objects as files under `root` (the embedded default)',
    load: () => (require('@som/fs') as typeof import('@som/fs')).fsObjectStoreAdapter,
  },
  {
    store: 'objectStore',
    type: 'gcs',
    summary: 'Google Cloud Storage: `bucket`, `projectId`, `keyFilename`, `apiEndpoint`',
    load: () => (require('@som/gcs') as typeof import('@som/gcs')).gcsObjectStoreAdapter,
  },
  {
    store: 'objectStore',
    type: 'minio',
    summary:
      'S3 (MinIO, Swift s3api, AWS): `endPoint`, `port`, `useSSL`, `region`, `accessKey`, `secretKey`, `bucket`',
    load: () => (require('@som/minio') as typeof import('@som/minio')).minioObjectStoreAdapter,
  },
  {
    store: 'objectStore',
    type: 'memory',
    summary: 'in memory, gone when som exits (tests)',
    load: () => memoryObjectStoreAdapter,
  },
  {
    store: 'metadataStore',
    type: 'sqlite',
    summary: 'SQLite file at `path` (the embedded default)',
    load: () => (require('@som/sqlite') as typeof import('@som/sqlite')).sqliteMetadataStoreAdapter,
  },
  {
    store: 'metadataStore',
    type: 'datastore',
    summary: 'Google Cloud Datastore: `projectId`, `namespace`, `keyFilename`, `apiEndpoint`',
    load: () =>
      (require('@som/datastore') as typeof import('@som/datastore')).datastoreMetadataStoreAdapter,
  },
  {
    store: 'metadataStore',
    type: 'memory',
    summary: 'in memory, gone when som exits (tests)',
    load: () => memoryMetadataStoreAdapter,
  },
];
/* eslint-enable @typescript-eslint/no-require-imports */

/** The adapter of `store` selected by `type`, or undefined. */
export function findAdapter(
  store: AdapterRegistration['store'],
  type: string,
): AdapterEntry | undefined {
  return ADAPTERS.find((a) => a.store === store && a.type === type);
}

/** The types `store` accepts, for messages. */
export function adapterTypes(store: AdapterRegistration['store']): string[] {
  return ADAPTERS.filter((a) => a.store === store).map((a) => a.type);
}
