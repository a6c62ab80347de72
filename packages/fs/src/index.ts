/**
 * @packageDocumentation The local-disk ObjectStore driver (the embedded default): objects as
 * files under one directory, attributes in JSON sidecars, atomic and durable writes.
 */
export { FsObjectDriver } from './driver';
export { validateFsConfig, type FsObjectConfig } from './config';
export { fsObjectStoreAdapter } from './adapter';
export { STALE_TEMP_MS } from './layout';
