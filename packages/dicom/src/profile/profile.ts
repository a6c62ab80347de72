/**
 * The default recipe: PS3.15 Annex E Basic Application Level Confidentiality Profile with
 * its options, as recipe layers. Table E.1-1 is the floor; beyond it only what is known to
 * be safe is kept (see docs/deidentification.md).
 */
import { SomError } from '@som/core';
import { lookupTag, tagOfKeyword } from '../dictionary';
import type {
  FieldSelector,
  Recipe,
  RecipeLayer,
  RecipeRule,
  RecipeValue,
  RuleGuard,
} from '../recipe/types';
import {
  SAFE_PRIVATE_ATTRIBUTES,
  SAFE_TEXT_KEYWORDS,
  SHARED_UID_KEYWORDS,
} from './safe-attributes';
import type { ProfileOptionColumn, ProfileRow } from './table';
import { PRIVATE_ATTRIBUTES_ROW, PROFILE_TABLE } from './table.generated';

/** Options of the profile (PS3.15 E.3). All default to off except modified dates. */
export interface ProfileOptions {
  /**
   * Retain Longitudinal Temporal Information with Modified Dates: dates are shifted by the
   * aliases' jitter instead of removed. Default true; files whose aliases carry no jitter
   * get the basic profile (dates removed or emptied) and say so in their header.
   */
  readonly retainLongitudinalModifiedDates?: boolean;
  /** Retain Patient Characteristics: sex, age, size, weight, ... */
  readonly retainPatientCharacteristics?: boolean;
  /** Retain Device Identity: station name, serial numbers, ... */
  readonly retainDeviceIdentity?: boolean;
  /** Retain UIDs: no UID is remapped. */
  readonly retainUids?: boolean;
  /** Retain Safe Private: keep the known-safe private attributes (all others are removed). */
  readonly retainSafePrivate?: boolean;
  /** Clean Descriptors: keep descriptions and comments that hold no identifying text. */
  readonly cleanDescriptors?: boolean;
}

const ORIGIN = 'default profile';
const JITTER_AVAILABLE: RuleGuard = { variable: 'jitter', available: true };
const JITTER_UNAVAILABLE: RuleGuard = { variable: 'jitter', available: false };
const REMAP: RecipeValue = { kind: 'deid_func', name: 'remap_uid', args: {} };
const IS_CLEAN: RecipeValue = { kind: 'deid_func', name: 'is_clean', args: {} };
const JITTER_DAYS: RecipeValue = { kind: 'var', name: 'jitter' };

/** CID 7050 codes of the profile and its options. */
const CODES = {
  basic: ['113100', 'Basic Application Confidentiality Profile'],
  cleanDescriptors: ['113105', 'Clean Descriptors Option'],
  modifiedDates: ['113107', 'Retain Longitudinal Temporal Information Modified Dates Option'],
  patientCharacteristics: ['113108', 'Retain Patient Characteristics Option'],
  deviceIdentity: ['113109', 'Retain Device Identity Option'],
  uids: ['113110', 'Retain UIDs Option'],
  safePrivate: ['113111', 'Retain Safe Private Option'],
} as const;

/** Dummy values (action D) by VR; VRs without one get a zero-length value. */
const DUMMY: Readonly<Record<string, string>> = {
  AE: 'ANONYMIZED',
  AS: '000Y',
  CS: 'ANONYMIZED',
  DA: '19000101',
  DS: '0',
  DT: '19000101000000',
  IS: '0',
  LO: 'ANONYMIZED',
  LT: 'ANONYMIZED',
  PN: 'ANONYMIZED',
  SH: 'ANONYMIZED',
  ST: 'ANONYMIZED',
  TM: '000000',
  UC: 'ANONYMIZED',
  UT: 'ANONYMIZED',
};

const TEXT_VRS = new Set(['AE', 'CS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);
const DATE_VRS = new Set(['DA', 'DT', 'TM']);
const SAFE_VRS = [
  'AT',
  'CS',
  'DS',
  'FD',
  'FL',
  'IS',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SL',
  'SQ',
  'SS',
  'SV',
  'UL',
  'US',
  'UV',
];
const DESCRIPTOR_VRS = ['LO', 'LT', 'SH', 'ST', 'UC', 'UT'];

function rule(
  action: RecipeRule['action'],
  field: FieldSelector,
  value?: RecipeValue,
  when?: RuleGuard,
): RecipeRule {
  return { action, field, origin: ORIGIN, ...(value ? { value } : {}), ...(when ? { when } : {}) };
}

function keyword(name: string): FieldSelector {
  const tag = tagOfKeyword(name);
  if (tag === undefined) throw new SomError('Internal', `default profile: unknown keyword ${name}`);
  return { kind: 'tag', tag };
}

function selectorOf(compact: string): FieldSelector {
  if (!compact.includes('X')) return { kind: 'tag', tag: parseInt(compact, 16) >>> 0 };
  return {
    kind: 'mask',
    value: parseInt(compact.replace(/X/g, '0'), 16) >>> 0,
    mask: parseInt(compact.replace(/[0-9A-F]/g, 'F').replace(/X/g, '0'), 16) >>> 0,
  };
}

/**
 * The rules of a basic profile action. Combinations resolve to the choice that keeps the
 * attribute present where the IOD may need it, without any original value: X/Z, X/Z/D
 * and Z/D empty the value; X/D removes; X/Z/U* keeps the sequence and remaps the UIDs in it.
 */
function basicRules(
  action: string,
  field: FieldSelector,
  vr: string,
  when?: RuleGuard,
): RecipeRule[] {
  switch (action) {
    case 'X':
    case 'X/D':
      return [rule('REMOVE', field, undefined, when)];
    case 'Z':
    case 'X/Z':
    case 'Z/D':
    case 'X/Z/D':
      return [rule('BLANK', field, undefined, when)];
    case 'U':
      return [rule('REPLACE', field, REMAP, when)];
    case 'X/Z/U*':
      return [rule('KEEP', field, undefined, when)];
    case 'D': {
      if (vr === 'SQ') return [rule('KEEP', field, undefined, when)];
      if (vr === 'UI') return [rule('REPLACE', field, REMAP, when)];
      const dummy = DUMMY[vr];
      return [
        dummy === undefined
          ? rule('BLANK', field, undefined, when)
          : rule('REPLACE', field, { kind: 'literal', text: dummy }, when),
      ];
    }
    default:
      throw new SomError('Internal', `default profile: unknown Table E.1-1 action ${action}`);
  }
}

/** The rules of action C (clean) for an attribute of `vr`, falling back to the basic action. */
function cleanRules(basic: string, field: FieldSelector, vr: string): RecipeRule[] {
  if (DATE_VRS.has(vr)) {
    // Shift by the jitter (an invalid date is removed); without a jitter the basic action applies.
    const fallback = basicRules(basic, field, vr);
    const guarded = fallback.some((r) => r.action === 'REPLACE' || r.action === 'KEEP');
    return [
      rule('JITTER', field, JITTER_DAYS, JITTER_AVAILABLE),
      ...(guarded ? basicRules(basic, field, vr, JITTER_UNAVAILABLE) : fallback),
    ];
  }
  if (vr === 'SQ') return [rule('KEEP', field)];
  if (TEXT_VRS.has(vr)) return [rule('KEEP', field, IS_CLEAN), ...basicRules(basic, field, vr)];
  return basicRules(basic, field, vr);
}

type Enabled = Partial<Record<ProfileOptionColumn, boolean>>;

function rowRules([compact, basic, options]: ProfileRow, enabled: Enabled): RecipeRule[] {
  const field = selectorOf(compact);
  const entry = compact.includes('X') ? undefined : lookupTag(parseInt(compact, 16) >>> 0);
  const vr = entry?.vr ?? 'UN';
  // Modified Dates cleans dates and times only: the other attributes it lists (the UTC
  // offset, timestamps in OB) keep their basic action.
  const actions = (Object.keys(options) as ProfileOptionColumn[])
    .filter((c) => enabled[c] && (c !== 'modifiedDates' || DATE_VRS.has(vr)))
    .map((c) => options[c]);
  if (actions.includes('C')) return cleanRules(basic, field, vr);
  if (actions.includes('K')) return [rule('KEEP', field)];
  return basicRules(basic, field, vr);
}

function identityLayer(options: ProfileOptions, dates: boolean): RecipeLayer {
  const chosen: (keyof typeof CODES)[] = ['basic'];
  if (options.retainPatientCharacteristics) chosen.push('patientCharacteristics');
  if (options.retainDeviceIdentity) chosen.push('deviceIdentity');
  if (options.retainUids) chosen.push('uids');
  if (options.retainSafePrivate) chosen.push('safePrivate');
  if (options.cleanDescriptors) chosen.push('cleanDescriptors');
  const method = (codes: (keyof typeof CODES)[], when?: RuleGuard): RecipeRule[] => [
    rule(
      'ADD',
      keyword('DeidentificationMethod'),
      { kind: 'literal', text: codes.map((c) => CODES[c][1]).join('\\') },
      when,
    ),
    rule(
      'ADD',
      keyword('DeidentificationMethodCodeSequence'),
      {
        kind: 'items',
        items: codes.map((c) => ({
          CodeValue: CODES[c][0],
          CodingSchemeDesignator: 'DCM',
          CodeMeaning: CODES[c][1],
        })),
      },
      when,
    ),
  ];
  const temporal = (text: string, when?: RuleGuard): RecipeRule =>
    rule(
      'ADD',
      keyword('LongitudinalTemporalInformationModified'),
      { kind: 'literal', text },
      when,
    );
  return {
    name: 'default profile: de-identification attributes and aliases',
    rules: [
      rule('ADD', keyword('PatientIdentityRemoved'), { kind: 'literal', text: 'YES' }),
      rule('ADD', keyword('PatientID'), { kind: 'var', name: 'entity_id' }),
      rule('ADD', keyword('PatientName'), { kind: 'var', name: 'entity_id' }),
      rule('ADD', keyword('AccessionNumber'), { kind: 'var', name: 'item_id' }),
      ...(dates
        ? [
            ...method([...chosen, 'modifiedDates'], JITTER_AVAILABLE),
            temporal('MODIFIED', JITTER_AVAILABLE),
            ...method(chosen, JITTER_UNAVAILABLE),
            temporal('REMOVED', JITTER_UNAVAILABLE),
          ]
        : [...method(chosen), temporal('REMOVED')]),
    ],
  };
}

function beyondTableLayer(options: ProfileOptions): RecipeLayer {
  // Table E.1-1 removes private attributes (X) and lets Retain Safe Private clean them (C):
  // keep the known-safe ones with their creators.
  const keepSafe =
    options.retainSafePrivate === true && PRIVATE_ATTRIBUTES_ROW[2].safePrivate === 'C';
  return {
    name: 'default profile: private, retired, unknown and overlay attributes',
    rules: [
      ...(keepSafe
        ? [
            ...SAFE_PRIVATE_ATTRIBUTES.map((field) => rule('KEEP', field)),
            rule('KEEP', { kind: 'class', class: 'privatecreator' }),
          ]
        : []),
      rule('REMOVE', { kind: 'class', class: 'private' }),
      rule('REMOVE', { kind: 'class', class: 'retired' }),
      rule('REMOVE', { kind: 'class', class: 'unknown' }),
      rule('REMOVE', selectorOf('60XXXXXX')),
      rule('REMOVE', selectorOf('0000XXXX')),
    ],
  };
}

function safeByVrLayer(options: ProfileOptions, dates: boolean): RecipeLayer {
  return {
    name: 'default profile: attributes beyond Table E.1-1',
    rules: [
      ...SAFE_VRS.map((vr) => rule('KEEP', { kind: 'vr', vr })),
      ...SAFE_TEXT_KEYWORDS.map((k) => rule('KEEP', keyword(k))),
      ...SHARED_UID_KEYWORDS.map((k) => rule('KEEP', keyword(k))),
      rule(
        options.retainUids ? 'KEEP' : 'REPLACE',
        { kind: 'vr', vr: 'UI' },
        options.retainUids ? undefined : REMAP,
      ),
      ...(dates
        ? ['DA', 'DT', 'TM'].map((vr) =>
            rule('JITTER', { kind: 'vr', vr }, JITTER_DAYS, JITTER_AVAILABLE),
          )
        : []),
      ...(options.cleanDescriptors
        ? DESCRIPTOR_VRS.map((vr) => rule('KEEP', { kind: 'vr', vr }, IS_CLEAN))
        : []),
    ],
  };
}

/**
 * The PS3.15 Basic Application Level Confidentiality Profile with `options`, as a recipe of
 * four layers: the de-identification attributes and aliases (PatientID and PatientName
 * become the entity alias, AccessionNumber the item alias), Table E.1-1, the removal of
 * private (unless safe), retired, unknown and overlay attributes, and the safe-keep policy
 * for every other attribute. Whatever no layer keeps is removed.
 */
export function defaultRecipe(options: ProfileOptions = {}): Recipe {
  const dates = options.retainLongitudinalModifiedDates ?? true;
  const enabled: Enabled = {
    modifiedDates: dates,
    patientCharacteristics: options.retainPatientCharacteristics ?? false,
    device: options.retainDeviceIdentity ?? false,
    uids: options.retainUids ?? false,
    safePrivate: options.retainSafePrivate ?? false,
    descriptors: options.cleanDescriptors ?? false,
  };
  return {
    layers: [
      identityLayer(options, dates),
      { name: 'PS3.15 Table E.1-1', rules: PROFILE_TABLE.flatMap((row) => rowRules(row, enabled)) },
      beyondTableLayer(options),
      safeByVrLayer(options, dates),
    ],
  };
}
