/**
 * What an adapter's test gives the conformance suites: how to make its driver against a
 * real (fresh, empty) backend, and what its backend lacks.
 */
import type { MetadataStoreDriver, ObjectStoreDriver } from '@som/core';

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

/** How the object store suite reaches a driver. */
export interface ObjectStoreHarness {
  /** Shown in test names, e.g. `fs`, `gcs (firebase emulator)`. */
  name: string;
  /** A driver on an empty bucket, directory or prefix. Called once per suite. */
  makeDriver(): Promise<ObjectStoreDriver>;
  /** Stop servers and remove files after the suite. */
  teardown?(): Promise<void>;
  /** Behaviours this backend lacks, each with the reason (listed as skipped tests). */
  unsupported?: Partial<Record<ObjectStoreFeature, string>>;
  /** Bytes streamed through put and get in the streaming test (default 160 MiB). */
  streamingBytes?: number;
  /** Writes at once while filling the 2,500-key listing (default 16). */
  fillConcurrency?: number;
  /** Per-test timeout in ms for the slow tests (default 120,000). */
  slowTestTimeoutMs?: number;
}

/** How the metadata store suite reaches a driver. */
export interface MetadataStoreHarness {
  /** Shown in test names, e.g. `sqlite`, `datastore (emulator)`. */
  name: string;
  /** A driver on an empty database or namespace. Called once per suite. */
  makeDriver(): Promise<MetadataStoreDriver>;
  /** Stop servers and remove files after the suite. */
  teardown?(): Promise<void>;
  /** Behaviours this backend lacks, each with the reason (listed as skipped tests). */
  unsupported?: Partial<Record<MetadataStoreFeature, string>>;
  /** Per-test timeout in ms for the slow tests (default 120,000). */
  slowTestTimeoutMs?: number;
}
