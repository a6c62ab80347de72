/**
 * Reading typed settings out of a store's configuration, the same way for every adapter,
 * with one message format: `<store> <type>: "<setting>" must be ...` (the store is named
 * where the adapter registry reads the settings: see {@link InvalidSettingError.inStore}).
 */
import { SomError } from './errors';
import type { StoreConfig } from './store-config';

/** Which store an adapter provides. */
export type StoreKind = 'objectStore' | 'metadataStore';

/** How messages name each kind of store. */
export const STORE_NAMES: Readonly<Record<StoreKind, string>> = Object.freeze({
  objectStore: 'object store',
  metadataStore: 'metadata store',
});

/**
 * A store setting that is not what its adapter accepts (InvalidArgument): `<type>:
 * "<setting>" must be <want>`, or `<store> <type>: ...` once the store is known.
 */
export class InvalidSettingError extends SomError {
  /**
   * @param type the adapter type, e.g. `gcs`.
   * @param setting the setting's name, e.g. `bucket`.
   * @param want what it must be, e.g. `a non-empty string`.
   * @param store the store whose setting it is, when known.
   */
  constructor(
    readonly type: string,
    readonly setting: string,
    readonly want: string,
    readonly store?: StoreKind,
  ) {
    super(
      'InvalidArgument',
      `${store ? `${STORE_NAMES[store]} ` : ''}${type}: "${setting}" must be ${want}`,
    );
  }

  /** The same error naming `store`. */
  inStore(store: StoreKind): InvalidSettingError {
    return new InvalidSettingError(this.type, this.setting, this.want, store);
  }
}

/** The error of a setting `name` of `config` that is not `want`, e.g. `a non-empty string`. */
export function invalidSetting(config: StoreConfig, name: string, want: string): SomError {
  return new InvalidSettingError(config.type, name, want);
}

/** The string setting `name`, or undefined when absent. */
export function stringSetting(config: StoreConfig, name: string): string | undefined {
  const value = config[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '')
    throw invalidSetting(config, name, 'a non-empty string');
  return value;
}

/** The boolean setting `name`, or undefined when absent. */
export function booleanSetting(config: StoreConfig, name: string): boolean | undefined {
  const value = config[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalidSetting(config, name, 'true or false');
  return value;
}

/** The integer setting `name` (from `min` to `max`), or undefined when absent. */
export function integerSetting(
  config: StoreConfig,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const value = config[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw invalidSetting(config, name, `an integer ${range}`);
  }
  return value;
}
