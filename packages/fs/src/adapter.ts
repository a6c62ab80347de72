/**
 * The registration of the fs object store: `{"type": "fs", "root": ...}`.
 */
import type { ObjectStoreAdapter } from '@som/core/driver';
import { validateFsConfig } from './config';

/** Selects the fs object store (`FsObjectDriver`) for `objectStore.type === "fs"`. */
export const fsObjectStoreAdapter: ObjectStoreAdapter = {
  store: 'objectStore',
  type: 'fs',
  summary: 'objects as files under `root` (the embedded default)',
  validate: (config) => {
    validateFsConfig(config);
  },
  open: (config) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when chosen
    const { FsObjectDriver } = require('./driver') as typeof import('./driver');
    return new FsObjectDriver(validateFsConfig(config));
  },
  localPaths: ['root'],
};
