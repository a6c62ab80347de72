/**
 * The functions `deid_func:<name>` names: deid's (jitter and the UID generators, made
 * deterministic under the pseudonymisation key) and som's own (`remap_uid`, `is_clean`).
 */
import { SomError } from '@som/core';
import { keyedDigest, type PseudonymKey } from '@som/identifiers';
import { dateVrOf, shiftValues } from '../dates';
import type { IdentityTokens } from '../deid/identity';
import { formatTag } from '../tags';
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

function digestDecimal(context: BuiltinContext): string {
  const digest = keyedDigest(context.uidKey, 'uid', context.value.trim());
  return BigInt(`0x${digest.subarray(0, 16).toString('hex')}`).toString(10);
}

function digestUuid(context: BuiltinContext): string {
  const hex = keyedDigest(context.uidKey, 'uuid', context.value.trim())
    .subarray(0, 16)
    .toString('hex');
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
  const vr = context.vr === 'DA' || context.vr === 'DT' ? context.vr : dateVrOf(context.value);
  return (vr === undefined ? undefined : shiftValues(context.value, vr, days)) ?? '';
};

const uuid: BuiltinFunction = (context) => digestUuid(context);

/** The built-in functions by name. */
export const BUILTIN_FUNCTIONS: Readonly<Record<string, BuiltinFunction>> = {
  jitter,
  remap_uid: (context) => remapUidValues(context.uidKey, context.value),
  pydicom_uuid: (context, args) => {
    const prefix = args.prefix ?? '2.25.';
    if (prefix === '2.25.') return remapUidValues(context.uidKey, context.value);
    if (!/^(0|[1-9]\d*)(\.(0|[1-9]\d*))*\.$/.test(prefix)) {
      throw new SomError(
        'InvalidArgument',
        `${context.describe()}: pydicom_uuid prefix=${prefix} is not a UID root ending in "."`,
      );
    }
    return `${prefix}${digestDecimal(context)}`.slice(0, 64);
  },
  dicom_uuid: (context, args) => {
    const root = args.org_root ?? '2.25';
    return `${root}.${digestDecimal(context)}`.slice(0, 64);
  },
  basic_uuid: uuid,
  simple_uuid: uuid,
  suffix_uuid: (context) =>
    `${(context.keyword ?? formatTag(context.tag)).toLowerCase()}-${digestUuid(context)}`,
  is_clean: (context) => context.identity.isClean(context.value),
};
