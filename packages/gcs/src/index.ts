/** @packageDocumentation The Google Cloud Storage ObjectStore adapter (`type: "gcs"`). */
export * from './config';
export * from './errors';
export * from './driver';
export * from './adapter';
