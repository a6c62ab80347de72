/** Test helpers: drivers on fresh namespaces of a Datastore emulator. */
import { randomUUID } from 'node:crypto';
import type { DatastoreEmulator } from '@som/testing';
import { DatastoreMetadataDriver, type DatastoreConfig } from '..';

/** Settings for a fresh namespace on `emulator`. */
export function emulatorConfig(
  emulator: DatastoreEmulator,
  overrides: Partial<DatastoreConfig> = {},
): DatastoreConfig {
  return {
    projectId: emulator.projectId,
    apiEndpoint: emulator.apiEndpoint,
    namespace: `test-${randomUUID().slice(0, 8)}`,
    ...overrides,
  };
}

/** A driver on a fresh namespace of `emulator`. */
export function emulatorDriver(
  emulator: DatastoreEmulator,
  overrides: Partial<DatastoreConfig> = {},
): DatastoreMetadataDriver {
  return new DatastoreMetadataDriver(emulatorConfig(emulator, overrides));
}
