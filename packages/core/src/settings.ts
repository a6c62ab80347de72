/**
 * Reading typed settings out of a store's configuration, the same way for every adapter:
 * one InvalidArgument `<type> setting "<name>" must be ...` when a value has the wrong type.
 */
import { SomError } from './errors';
import type { StoreConfig } from './store-config';

/** The error of a setting `name` of `config` that is not `want`, e.g. `a non-empty string`. */
export function invalidSetting(config: StoreConfig, name: string, want: string): SomError {
  return new SomError('InvalidArgument', `${config.type} setting "${name}" must be ${want}`);
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
