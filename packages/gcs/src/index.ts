/**
 * @packageDocumentation The Google Cloud Storage ObjectStore adapter (`type: "gcs"`), and
 * the Google credentials and settings helpers the Datastore adapter shares.
 */
export * from './config';
export * from './credentials';
export * from './settings';
export * from './errors';
export * from './driver';
export * from './adapter';
