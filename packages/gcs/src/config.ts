/**
 * Settings of the Google Cloud Storage adapter (`"objectStore": {"type": "gcs", ...}`).
 */
import { SomError, integerSetting, stringSetting, type StoreConfig } from '@som/core';

/** Default size from which uploads are resumable (smaller ones go in one request). */
export const DEFAULT_RESUMABLE_THRESHOLD = 8 * 1024 * 1024;

/** Settings of a {@link GcsObjectDriver}. */
export interface GcsConfig {
  /** The bucket (it must exist; som never creates or deletes buckets). */
  bucket: string;
  /** Project of the bucket (default: from the credentials). */
  projectId?: string;
  /**
   * A service-account key or ADC JSON file (default: `GOOGLE_APPLICATION_CREDENTIALS`, then
   * Application Default Credentials).
   */
  keyFilename?: string;
  /** Another endpoint, e.g. an emulator's `http://127.0.0.1:9199` (default: `STORAGE_EMULATOR_HOST`, then Google's). */
  apiEndpoint?: string;
  /** Objects of at least this many bytes use a resumable upload (default 8 MiB). */
  resumableThresholdBytes?: number;
  /** Retries of idempotent requests (reads, listings, deletes, create-if-absent) (default 3). */
  maxRetries?: number;
  /**
   * Longest wait in ms for one request, and for any progress of an upload or a read
   * (default 60,000).
   */
  timeoutMs?: number;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Throw InvalidArgument unless `name` is a valid bucket name: 3-63 characters of lowercase
 * letters, digits, `-`, `_` and `.` (up to 222 with dots, 63 per dot-separated part),
 * starting and ending with a letter or digit, not an IP address, not `goog...`/`...google...`.
 */
export function validateBucketName(name: unknown): string {
  const fail = (why: string): never => {
    throw new SomError(
      'InvalidArgument',
      `invalid GCS bucket name ${JSON.stringify(name)}: ${why}`,
    );
  };
  if (typeof name !== 'string') return fail('a string is required');
  const limit = name.includes('.') ? 222 : 63;
  if (name.length < 3 || name.length > limit) fail(`use 3 to ${limit} characters`);
  if (!/^[a-z0-9][a-z0-9._-]*[a-z0-9]$/.test(name)) {
    fail(
      'use lowercase letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
    );
  }
  if (name.split('.').some((part) => part.length === 0 || part.length > 63))
    fail('each dot-separated part must be 1 to 63 characters');
  if (IPV4.test(name)) fail('an IP address is not a bucket name');
  if (name.startsWith('goog') || /g[o0]{2}gle/.test(name))
    fail('names may not start with "goog" or contain "google"');
  return name;
}

/** The adapter's settings from a store configuration; InvalidArgument naming each bad one. */
export function gcsConfigOf(config: StoreConfig): GcsConfig {
  const apiEndpoint = stringSetting(config, 'apiEndpoint');
  if (apiEndpoint !== undefined && !/^https?:\/\/[^/]+\/?$/.test(apiEndpoint)) {
    throw new SomError(
      'InvalidArgument',
      'gcs setting "apiEndpoint" must be an http(s) URL with no path, e.g. http://127.0.0.1:9199',
    );
  }
  return {
    bucket: validateBucketName(config.bucket),
    projectId: stringSetting(config, 'projectId'),
    keyFilename: stringSetting(config, 'keyFilename'),
    apiEndpoint,
    resumableThresholdBytes: integerSetting(config, 'resumableThresholdBytes', 1),
    maxRetries: integerSetting(config, 'maxRetries', 0),
    timeoutMs: integerSetting(config, 'timeoutMs', 1),
  };
}
