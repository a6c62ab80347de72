/**
 * The settings of the fs object store: `{"type": "fs", "root": ...}`.
 */
import { invalidSetting } from '@som/core';

/** Settings of the fs object store (`{"type": "fs", "root": ...}` in som.config.json). */
export interface FsObjectConfig {
  /** The directory holding the objects (created when missing). The CLI's default is `./som-data/objects`. */
  root: string;
}

/** Throw InvalidArgument naming the bad setting unless `config` is usable. */
export function validateFsConfig(settings: object): FsObjectConfig {
  const config = settings as Partial<Record<keyof FsObjectConfig, unknown>>;
  if (typeof config.root !== 'string' || config.root.trim() === '')
    throw invalidSetting(
      { type: 'fs', ...config },
      'root',
      'a non-empty string (the directory of the objects)',
    );
  return settings as FsObjectConfig;
}
