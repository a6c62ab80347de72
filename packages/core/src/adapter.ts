/**
 * The adapter registry's entries: each adapter package registers once what configuration
 * needs to know of it (its type, a one-line summary, validation, how to open its driver,
 * the local paths it owns, the credential files it reads). Plain objects: no dependency
 * injection is loaded (`@som/core/di` composes them at the edge).
 */
import type { MetadataStoreDriver } from './metadata-store/driver';
import { MemoryMetadataDriver } from './metadata-store/memory';
import type { ObjectStoreDriver } from './object-store/driver';
import { MemoryObjectDriver } from './object-store/memory';
import { InvalidSettingError, type StoreKind } from './settings';
import type { StoreConfig } from './store-config';

/** What every registration says, whichever store it provides. */
interface Registration<Store extends StoreKind, Driver> {
  /** Which store it provides. */
  store: Store;
  /** The `type` that selects it in configuration, e.g. `fs`, `sqlite`, `gcs`. */
  type: string;
  /** One line for `som --help` and messages, e.g. its settings. */
  summary: string;
  /**
   * Throw InvalidArgument naming each bad setting (settings read with `stringSetting` and
   * its siblings); called before anything is opened.
   */
  validate(config: StoreConfig): void;
  /**
   * The driver for (validated) `config`. Loads the adapter's SDK only now, so that listing
   * or validating adapters loads none.
   */
  open(config: StoreConfig): Driver;
  /** Settings naming files or directories on local disk where it keeps its data (e.g. `root`). */
  localPaths?: readonly string[];
  /** Credential files it reads: settings that name one, and environment variables that do. */
  credentialFiles?: { settings?: readonly string[]; env?: readonly string[] };
}

/** An object store adapter. */
export type ObjectStoreAdapter = Registration<'objectStore', ObjectStoreDriver>;

/** A metadata store adapter. */
export type MetadataStoreAdapter = Registration<'metadataStore', MetadataStoreDriver>;

/** An adapter a deployment can choose by `type` in its configuration. */
export type AdapterRegistration = ObjectStoreAdapter | MetadataStoreAdapter;

/** Run `work`, naming the adapter's store in a settings error it throws. */
function inStore<T>(adapter: AdapterRegistration, work: () => T): T {
  try {
    return work();
  } catch (err) {
    throw err instanceof InvalidSettingError ? err.inStore(adapter.store) : err;
  }
}

/** Validate `config` with `adapter`; a settings error names the store: `object store gcs: "bucket" must be ...`. */
export function validateStoreConfig(adapter: AdapterRegistration, config: StoreConfig): void {
  inStore(adapter, () => adapter.validate(config));
}

/** Validate `config` and open the adapter's driver; a settings error names the store. */
export function openStoreDriver<Adapter extends AdapterRegistration>(
  adapter: Adapter,
  config: StoreConfig,
): ReturnType<Adapter['open']> {
  return inStore(adapter, () => {
    adapter.validate(config);
    return adapter.open(config) as ReturnType<Adapter['open']>;
  });
}

/** The string values of the `adapter`'s settings that name local paths it owns, in `config`. */
export function localPathsOf(adapter: AdapterRegistration, config: StoreConfig): string[] {
  return (adapter.localPaths ?? [])
    .map((setting) => config[setting])
    .filter((value): value is string => typeof value === 'string' && value !== '');
}

/** The in-memory object store adapter (`type: "memory"`). */
export const memoryObjectStoreAdapter: ObjectStoreAdapter = {
  store: 'objectStore',
  type: 'memory',
  summary: 'in memory, gone when the process exits (tests)',
  validate: () => undefined,
  open: () => new MemoryObjectDriver(),
};

/** The in-memory metadata store adapter (`type: "memory"`). */
export const memoryMetadataStoreAdapter: MetadataStoreAdapter = {
  store: 'metadataStore',
  type: 'memory',
  summary: 'in memory, gone when the process exits (tests)',
  validate: () => undefined,
  open: () => new MemoryMetadataDriver(),
};
