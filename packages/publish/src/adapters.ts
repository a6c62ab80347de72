/**
 * Every adapter the configuration can choose, by store and `type`: the registrations of
 * the adapter packages, in the order messages list them. A registration loads its adapter's
 * SDK only when its store is opened, so a run on the embedded default never loads the
 * Google or S3 SDKs.
 */
import {
  localPathsOf,
  memoryMetadataStoreAdapter,
  memoryObjectStoreAdapter,
  type AdapterRegistration,
  type StoreKind,
  type StoresConfig,
} from '@som/core/driver';
import { datastoreMetadataStoreAdapter } from '@som/datastore/adapter';
import { fsObjectStoreAdapter } from '@som/fs/adapter';
import { gcsObjectStoreAdapter } from '@som/gcs/adapter';
import { minioObjectStoreAdapter } from '@som/minio/adapter';
import { sqliteMetadataStoreAdapter } from '@som/sqlite/adapter';

/** Every adapter, in the order they are listed in messages. */
export const ADAPTERS: readonly AdapterRegistration[] = [
  fsObjectStoreAdapter,
  gcsObjectStoreAdapter,
  minioObjectStoreAdapter,
  memoryObjectStoreAdapter,
  sqliteMetadataStoreAdapter,
  datastoreMetadataStoreAdapter,
  memoryMetadataStoreAdapter,
];

/** The adapter of `store` selected by `type`, or undefined. */
export function findAdapter(store: StoreKind, type: string): AdapterRegistration | undefined {
  return ADAPTERS.find((a) => a.store === store && a.type === type);
}

/** The types `store` accepts, for messages. */
export function adapterTypes(store: StoreKind): string[] {
  return ADAPTERS.filter((a) => a.store === store).map((a) => a.type);
}

/**
 * The local files and directories where the configured stores keep their data (e.g. the
 * fs store's root, the SQLite file), per store.
 */
export function localStorePaths(config: StoresConfig): Record<StoreKind, string[]> {
  const of = (store: StoreKind): string[] => {
    const adapter = findAdapter(store, config[store].type);
    return adapter === undefined ? [] : localPathsOf(adapter, config[store]);
  };
  return { objectStore: of('objectStore'), metadataStore: of('metadataStore') };
}
