/**
 * Whether a value's bytes are valid for its VR (PS3.5 6.2): the repertoire and grammar of
 * the text VRs, the size of the binary ones. A check returns the problem in words (never
 * the value), or undefined for a valid value.
 */
import type { CharacterSet } from '../charset';
import { isTimeText, shiftDate } from '../dates';
import { usesCharacterSet } from '../vr';

/** The size of one value of the binary VRs whose length must be a multiple of it. */
const VALUE_SIZE: Readonly<Record<string, number>> = {
  AT: 4,
  FD: 8,
  FL: 4,
  OD: 8,
  OF: 4,
  OL: 4,
  OV: 8,
  OW: 2,
  SL: 4,
  SS: 2,
  SV: 8,
  UL: 4,
  US: 2,
  UV: 8,
};

/** Grammar of one value of the default-repertoire VRs (after the padding is trimmed). */
const GRAMMAR: Readonly<Record<string, (value: string) => string | undefined>> = {
  AE: (v) => (v.length > 16 ? 'an AE value longer than 16 characters' : undefined),
  AS: (v) => (/^\d{3}[DWMY]$/.test(v) ? undefined : 'not an age (nnnD, nnnW, nnnM or nnnY)'),
  CS: (v) =>
    v.length > 16
      ? 'a CS value longer than 16 characters'
      : /^[A-Z0-9 _]*$/.test(v)
        ? undefined
        : 'characters outside upper-case letters, digits, space and underscore in a CS value',
  DA: (v) => (shiftDate(v, 0) === undefined ? 'not a valid date (YYYYMMDD)' : undefined),
  DS: (v) =>
    /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v) ? undefined : 'not a decimal string',
  DT: (v) => (isDateTime(v) ? undefined : 'not a valid date and time'),
  IS: (v) =>
    /^[+-]?\d{1,12}$/.test(v) && Number(v) >= -(2 ** 31) && Number(v) < 2 ** 31
      ? undefined
      : 'not an integer string',
  TM: (v) => (isTimeText(v) ? undefined : 'not a valid time'),
  UI: (v) =>
    v.length > 64
      ? 'a UID longer than 64 characters'
      : /^[0-9.]*$/.test(v)
        ? undefined
        : 'characters other than digits and dots in a UID',
  UR: () => undefined,
};

const DT = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,6})?([+-]\d{4})?$/;

/** True for a DT value of PS3.5 (a valid calendar date, and a valid time where given). */
function isDateTime(value: string): boolean {
  const m = DT.exec(value);
  if (!m) return false;
  const [, year = '', month, day, hour, minute, second, fraction, offset] = m;
  // Each part needs the ones before it.
  const parts = [month, day, hour, minute, second, fraction];
  if (parts.some((p, i) => p !== undefined && parts.slice(0, i).some((q) => q === undefined)))
    return false;
  if (shiftDate(year + (month ?? '') + (day ?? ''), 0) === undefined) return false;
  if (Number(hour ?? 0) > 23 || Number(minute ?? 0) > 59 || Number(second ?? 0) > 60) return false;
  if (offset === undefined) return true;
  const hours = Number(offset.slice(1, 3));
  const minutes = Number(offset.slice(3, 5));
  return hours <= 14 && minutes <= 59;
}

/** True when every value of `bytes[0, end)` has at most `max` bytes, all `allowed`. */
function fits(
  bytes: Uint8Array,
  end: number,
  max: number,
  allowed: (b: number) => boolean,
): boolean {
  let length = 0;
  for (let i = 0; i < end; i++) {
    const b = bytes[i] ?? 0;
    if (b === 0x5c) length = 0;
    else if (!allowed(b) || ++length > max) return false;
  }
  return true;
}

const isDigitByte = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;

/**
 * True when every value of `bytes[0, end)` (split at `\`, without the spaces around it) is
 * empty or a decimal string as {@link GRAMMAR}'s DS expression has it: a sign, digits with
 * an optional point and fraction (or a point and digits), an optional exponent.
 */
function allDecimal(bytes: Uint8Array, end: number): boolean {
  let start = 0;
  while (start <= end) {
    let stop = start;
    while (stop < end && bytes[stop] !== 0x5c) stop++;
    let a = start;
    let b = stop;
    while (a < b && bytes[a] === 0x20) a++;
    while (b > a && bytes[b - 1] === 0x20) b--;
    if (a < b && !isDecimal(bytes, a, b)) return false;
    start = stop + 1;
  }
  return true;
}

/** True when `bytes[a, b)` is one decimal string (see {@link allDecimal}). */
function isDecimal(bytes: Uint8Array, a: number, b: number): boolean {
  let i = a;
  if (bytes[i] === 0x2b || bytes[i] === 0x2d) i++;
  const whole = i;
  while (i < b && isDigitByte(bytes[i])) i++;
  let digits = i - whole;
  if (i < b && bytes[i] === 0x2e) {
    const fraction = ++i;
    while (i < b && isDigitByte(bytes[i])) i++;
    digits += i - fraction;
  }
  if (digits === 0) return false;
  if (i < b && (bytes[i] === 0x65 || bytes[i] === 0x45)) {
    i++;
    if (i < b && (bytes[i] === 0x2b || bytes[i] === 0x2d)) i++;
    const exponent = i;
    while (i < b && isDigitByte(bytes[i])) i++;
    if (i === exponent) return false;
  }
  return i === b;
}

const isUidByte = (b: number): boolean => (b >= 0x30 && b <= 0x39) || b === 0x2e;
const isCodeByte = (b: number): boolean =>
  (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b === 0x20 || b === 0x5f;

const ESC = 0x1b;

/** Control characters a text VR may hold besides ESC: CR, LF, FF and TAB in the free-text VRs. */
function allowedControl(vr: string, byte: number): boolean {
  return (
    (vr === 'LT' || vr === 'ST' || vr === 'UT') &&
    (byte === 0x0d || byte === 0x0a || byte === 0x0c || byte === 0x09)
  );
}

/** The index after the NULs and spaces that pad the end of `bytes`. */
function paddedEnd(bytes: Uint8Array): number {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x00 || bytes[end - 1] === 0x20)) end--;
  return end;
}

/**
 * The problem of the value `bytes` of an element of `vr` in a data set of character set
 * `charset`, or undefined when it is valid. Without `grammar`, the characters and sizes
 * only (not the grammar of CS, DA, DS, IS, TM, UI, ...). VRs without
 * rules here (OB, UN, SQ) are always valid.
 */
export function valueProblem(
  vr: string,
  bytes: Uint8Array,
  charset: CharacterSet,
  grammar = true,
): string | undefined {
  const size = VALUE_SIZE[vr];
  if (size !== undefined) {
    return bytes.length % size === 0
      ? undefined
      : `a length of ${bytes.length} bytes, not a multiple of ${size} as VR ${vr} needs`;
  }
  const rules = GRAMMAR[vr];
  if (rules) return asciiProblem(vr, bytes, grammar ? rules : () => undefined);
  return usesCharacterSet(vr) ? textProblem(vr, bytes, charset) : undefined;
}

/** A default-repertoire value: printable ASCII, then each value's grammar. */
function asciiProblem(
  vr: string,
  bytes: Uint8Array,
  grammar: (value: string) => string | undefined,
): string | undefined {
  const end = paddedEnd(bytes);
  for (let i = 0; i < end; i++) {
    const b = bytes[i] ?? 0;
    if (b < 0x20 || b > 0x7e)
      return `a byte outside the default character repertoire at value byte ${i}`;
  }
  // The most frequent kept values, UIDs, code strings and decimals, are checked byte by
  // byte; what these checks do not pass is checked as text below.
  if (vr === 'UI' && fits(bytes, end, 64, isUidByte)) return undefined;
  if (vr === 'CS' && fits(bytes, end, 16, isCodeByte)) return undefined;
  if (vr === 'DS' && allDecimal(bytes, end)) return undefined;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('latin1');
  const values = vr === 'UR' ? [text] : text.split('\\');
  for (const raw of values) {
    const value = raw.trim();
    if (value === '') continue;
    const problem = grammar(value);
    if (problem) return problem;
  }
  return undefined;
}

/** A value in the data set's character set: no control characters but its escape sequences. */
function textProblem(vr: string, bytes: Uint8Array, charset: CharacterSet): string | undefined {
  const end = paddedEnd(bytes);
  for (let i = 0; i < end; i++) {
    const b = bytes[i] ?? 0;
    if (b >= 0x20 && b !== 0x7f) continue;
    if (allowedControl(vr, b)) continue;
    if (b === ESC) {
      const length = charset.escapeLength(bytes, i);
      if (length > 0) {
        i += length - 1;
        continue;
      }
      return `an escape sequence the Specific Character Set does not declare at value byte ${i}`;
    }
    return `a control character at value byte ${i}`;
  }
  return undefined;
}
