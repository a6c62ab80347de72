/**
 * The functions `deid_func:<name>` names: deid's (jitter and the UID generators, made
 * deterministic under the pseudonymisation key unless `stable_remapping=false`) and som's own (`remap_uid`, `is_clean`).
 */
import { randomBytes } from 'node:crypto';
import { SomError } from '@som/core';
import { keyedDigest, type PseudonymKey } from '@som/identifiers';
import { dateVrOf, shiftValues } from '../dates';
import type { IdentityTokens } from '../deid/identity';
import { remapUidValues } from '../uids';
import type { RecipeFunctionContext } from './types';

/** What a built-in function is told: the element's context, the key and the file's identifiers. */
export interface BuiltinContext extends RecipeFunctionContext {
  /** The pseudonymisation key of UIDs. */
  readonly uidKey: PseudonymKey;
  /** The identifying strings of the file (for `is_clean`). */
  readonly identity: IdentityTokens;
  /** Names the element and the rule, for messages. */
  describe(): string;
}

/** A built-in function; `args` are the `key=value` words after its name. */
export type BuiltinFunction = (
  context: BuiltinContext,
  args: Readonly<Record<string, string>>,
) => string | number | boolean | undefined;

/**
 * 16 bytes for a new identifier: keyed by the original value (the same original gives the
 * same identifier in every file and run), or random with `stable_remapping=false`.
 */
function idBytes(
  context: BuiltinContext,
  args: Readonly<Record<string, string>>,
  purpose: string,
): Buffer {
  const stable = args.stable_remapping ?? 'true';
  if (stable !== 'true' && stable !== 'false') {
    throw new SomError(
      'InvalidArgument',
      `${context.describe()}: stable_remapping=${stable} is neither true nor false`,
    );
  }
  if (stable === 'false') return randomBytes(16);
  return Buffer.from(keyedDigest(context.uidKey, purpose, context.value.trim()).subarray(0, 16));
}

function digestDecimal(context: BuiltinContext, args: Readonly<Record<string, string>>): string {
  return BigInt(`0x${idBytes(context, args, 'uid').toString('hex')}`).toString(10);
}

/** A version-4 (RFC 9562) UUID string: the version and variant bits set on {@link idBytes}. */
function uuidV4(context: BuiltinContext, args: Readonly<Record<string, string>>): string {
  const bytes = idBytes(context, args, 'uuid');
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function integerArg(
  args: Readonly<Record<string, string>>,
  name: string,
  fallback: number,
  describe: () => string,
): number {
  const text = args[name];
  if (text === undefined) return fallback;
  if (!/^[+-]?\d+$/.test(text))
    throw new SomError('InvalidArgument', `${describe()}: ${name}=${text} is not a whole number`);
  return Number(text);
}

/** deid's jitter as a function: the value shifted by `days` (+ 365 x `years`); empty for a non-date. */
const jitter: BuiltinFunction = (context, args) => {
  const days =
    integerArg(args, 'days', 1, () => context.describe()) +
    365 * integerArg(args, 'years', 0, () => context.describe());
  const { vr: own } = context.field;
  const vr = own === 'DA' || own === 'DT' ? own : dateVrOf(context.value);
  return (vr === undefined ? undefined : shiftValues(context.value, vr, days)) ?? '';
};

const uuid: BuiltinFunction = (context, args) => uuidV4(context, args);

/** The built-in functions by name. */
export const BUILTIN_FUNCTIONS: Readonly<Record<string, BuiltinFunction>> = {
  jitter,
  remap_uid: (context) => remapUidValues(context.uidKey, context.value),
  pydicom_uuid: (context, args) => {
    const prefix = args.prefix ?? '2.25.';
    if (prefix === '2.25.' && args.stable_remapping !== 'false')
      return remapUidValues(context.uidKey, context.value);
    if (!/^(0|[1-9]\d*)(\.(0|[1-9]\d*))*\.$/.test(prefix)) {
      throw new SomError(
        'InvalidArgument',
        `${context.describe()}: pydicom_uuid prefix=${prefix} is not a UID root ending in "."`,
      );
    }
    return `${prefix}${digestDecimal(context, args)}`.slice(0, 64);
  },
  dicom_uuid: (context, args) => {
    const root = args.org_root ?? '2.25';
    return `${root}.${digestDecimal(context, args)}`.slice(0, 64);
  },
  basic_uuid: uuid,
  simple_uuid: uuid,
  suffix_uuid: (context, args) => `${context.field.name.toLowerCase()}-${uuidV4(context, args)}`,
  is_clean: (context) => context.identity.isClean(context.value),
};
