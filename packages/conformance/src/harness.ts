/**
 * What an adapter's test gives the conformance suites: how to make its driver against a
 * real (fresh, empty) backend, once per group of tests, and what its backend lacks.
 */
import type { MetadataStoreDriver, ObjectStoreDriver } from '@som/core';
import type { SuiteHarness } from './groups';

export type { SuiteHarness } from './groups';

/**
 * Object store behaviours a backend may lack. A driver declares optional features in its
 * `capabilities` (and the suite then checks they answer Unimplemented); a harness declares
 * here what its particular server cannot do although the driver can (e.g. an emulator that
 * ignores preconditions). Declared features are listed as skipped with the reason.
 */
export type ObjectStoreFeature =
  | 'ifNotExists'
  | 'concurrentIfNotExists'
  | 'copy'
  | 'signedUrls'
  | 'md5Validation'
  | 'streaming'
  | 'failedUploadLeavesNothing';

/** Metadata store behaviours a backend may lack (see {@link ObjectStoreFeature}). */
export type MetadataStoreFeature = 'inFilter' | 'largeValues';

/** How the object store suite reaches a driver (one per group, see {@link SuiteHarness}). */
export interface ObjectStoreHarness extends SuiteHarness<ObjectStoreDriver, ObjectStoreFeature> {
  /** Bytes streamed through put and get in the streaming test (default 160 MiB). */
  streamingBytes?: number;
  /** Writes at once while filling the 2,500-key listing (default 16). */
  fillConcurrency?: number;
}

/** How the metadata store suite reaches a driver (one per group, see {@link SuiteHarness}). */
export type MetadataStoreHarness = SuiteHarness<MetadataStoreDriver, MetadataStoreFeature>;
