/**
 * Value representations (PS3.5 6.2): which exist, how their lengths are encoded, how their
 * values are padded, and which are text.
 */

/** Every VR of PS3.5 Table 6.2-1. */
const ALL_VRS = new Set([
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FD',
  'FL',
  'IS',
  'LO',
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'PN',
  'SH',
  'SL',
  'SQ',
  'SS',
  'ST',
  'SV',
  'TM',
  'UC',
  'UI',
  'UL',
  'UN',
  'UR',
  'US',
  'UT',
  'UV',
]);

/** VRs whose explicit-VR header has 2 reserved bytes and a 4-byte length. */
const LONG_LENGTH_VRS = new Set([
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SQ',
  'SV',
  'UC',
  'UN',
  'UR',
  'UT',
  'UV',
]);

/** Character string VRs whose values are affected by Specific Character Set (PS3.5 6.1.2.3). */
const CHARSET_VRS = new Set(['SH', 'LO', 'ST', 'LT', 'PN', 'UC', 'UT']);

/** Character string VRs in the default repertoire. */
const ASCII_TEXT_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'TM', 'UI', 'UR']);

/** VRs whose value is one text (no backslash-separated multiple values). */
const SINGLE_TEXT_VRS = new Set(['LT', 'ST', 'UT', 'UR']);

/** The index of a VR by its two letters: `(first - 65) * 26 + (second - 65)`, or -1. */
function code(a: number, b: number): number {
  const x = a - 65;
  const y = b - 65;
  return x >= 0 && x < 26 && y >= 0 && y < 26 ? x * 26 + y : -1;
}

/** Known VRs by {@link code} (interned strings: reading a VR allocates nothing). */
const KNOWN: (string | undefined)[] = new Array<string | undefined>(26 * 26).fill(undefined);
const LONG = new Uint8Array(26 * 26);
for (const vr of ALL_VRS) {
  const c = code(vr.charCodeAt(0), vr.charCodeAt(1));
  KNOWN[c] = vr;
  if (LONG_LENGTH_VRS.has(vr)) LONG[c] = 1;
}

/** True for one of the VRs of PS3.5 (two upper-case letters naming a known VR). */
export function isKnownVr(vr: string): boolean {
  return vr.length === 2 && knownVr(vr.charCodeAt(0), vr.charCodeAt(1)) !== undefined;
}

/** The known VR written as the two bytes `a` and `b`, or undefined. */
export function knownVr(a: number, b: number): string | undefined {
  const c = code(a, b);
  return c < 0 ? undefined : KNOWN[c];
}

/** True when the explicit-VR element header of `vr` has a 4-byte length. */
export function hasLongLength(vr: string): boolean {
  return LONG[code(vr.charCodeAt(0), vr.charCodeAt(1))] === 1;
}

/** True for a text VR (its value is characters, not binary numbers or bytes). */
export function isTextVr(vr: string): boolean {
  return CHARSET_VRS.has(vr) || ASCII_TEXT_VRS.has(vr);
}

/** True for a text VR whose characters are decoded with the Specific Character Set. */
export function usesCharacterSet(vr: string): boolean {
  return CHARSET_VRS.has(vr);
}

/** True for a text VR with a single value, where a backslash is an ordinary character. */
export function isSingleValuedText(vr: string): boolean {
  return SINGLE_TEXT_VRS.has(vr);
}

/** The byte that pads a value of `vr` to even length: NUL for UI and binary VRs, else space. */
export function paddingByte(vr: string): number {
  return vr === 'UI' || !isTextVr(vr) ? 0x00 : 0x20;
}
