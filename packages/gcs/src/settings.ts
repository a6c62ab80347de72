/**
 * Reading typed settings out of a store's configuration, with one InvalidArgument naming
 * the store type and the setting when a value has the wrong type.
 */
import { SomError, type StoreConfig } from '@som/core';

function invalid(config: StoreConfig, name: string, want: string): SomError {
  return new SomError('InvalidArgument', `${config.type} setting "${name}" must be ${want}`);
}

/** The string setting `name`, or undefined when absent. */
export function stringSetting(config: StoreConfig, name: string): string | undefined {
  const value = config[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw invalid(config, name, 'a non-empty string');
  return value;
}

/** The integer setting `name` (at least `min`), or undefined when absent. */
export function integerSetting(config: StoreConfig, name: string, min: number): number | undefined {
  const value = config[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalid(config, name, `an integer of at least ${min}`);
  }
  return value;
}
