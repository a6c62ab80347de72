/**
 * Types of the generated PS3.15 Table E.1-1 and lookups into it.
 */

/** The option columns of Table E.1-1. */
export type ProfileOptionColumn =
  | 'safePrivate'
  | 'uids'
  | 'device'
  | 'institution'
  | 'patientCharacteristics'
  | 'fullDates'
  | 'modifiedDates'
  | 'descriptors'
  | 'structuredContent'
  | 'graphics';

/**
 * One row of Table E.1-1: the tag as 8 hex digits (`X` for any digit, e.g. `50XXXXXX`),
 * the basic profile action (`D`, `Z`, `X`, `U` or a combination such as `X/Z/D`), and the
 * action (`K` keep or `C` clean) of each option that changes it.
 */
export type ProfileRow = readonly [
  tag: string,
  basic: string,
  options: Readonly<Partial<Record<ProfileOptionColumn, 'K' | 'C'>>>,
];
