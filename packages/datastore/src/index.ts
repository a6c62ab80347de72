/**
 * @packageDocumentation The Google Cloud Datastore MetadataStore adapter (`type: "datastore"`)
 * and the composite index definitions (`index.yaml`) its queries need.
 */
export * from './config';
export * from './errors';
export * from './values';
export * from './query';
export * from './batches';
export * from './driver';
export * from './indexes';
export * from './adapter';
