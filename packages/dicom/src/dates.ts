/**
 * Shifting DICOM dates by whole days (the entity's jitter), keeping each value's form:
 * DA `YYYYMMDD` and partial `YYYYMM`/`YYYY`, DT with time, fraction and UTC offset,
 * multiple values, and empty values.
 */

const DA = /^(\d{4})(\d{2})?(\d{2})?$/;
const LEGACY_DA = /^(\d{4})\.(\d{2})\.(\d{2})$/;
const DT = /^(\d{4})(\d{2})?(\d{2})?(\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,6})?)?)?)?([+-]\d{4})?$/;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Shift a calendar date. A partial date (no day, or no month) is shifted at the middle of
 * the period it names and keeps its precision, so its expected error is zero.
 * Returns undefined for a date that does not exist.
 */
function shiftParts(
  year: number,
  month: number | undefined,
  day: number | undefined,
  days: number,
): string | undefined {
  if (year < 1 || (month !== undefined && (month < 1 || month > 12))) return undefined;
  const m = month ?? 7;
  const lastDay = utc(year, m, 0).getUTCDate();
  if (day !== undefined && (day < 1 || day > lastDay)) return undefined;
  const d = day ?? (month === undefined ? 2 : Math.ceil(lastDay / 2));
  const shifted = new Date(utc(year, m - 1, d).getTime() + days * 86_400_000);
  const y = shifted.getUTCFullYear();
  if (y < 1 || y > 9999) return undefined;
  if (month === undefined) return pad(y, 4);
  if (day === undefined) return pad(y, 4) + pad(shifted.getUTCMonth() + 1, 2);
  return pad(y, 4) + pad(shifted.getUTCMonth() + 1, 2) + pad(shifted.getUTCDate(), 2);
}

/** A UTC date of any year (`Date.UTC` takes the years 0-99 for 1900-1999). */
function utc(year: number, month: number, day: number): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  return date;
}

function num(text: string | undefined): number | undefined {
  return text === undefined ? undefined : Number(text);
}

/** Shift one DA value (`YYYYMMDD`, `YYYYMM`, `YYYY`, or the ACR-NEMA `YYYY.MM.DD`); undefined if invalid. */
export function shiftDate(value: string, days: number): string | undefined {
  const legacy = LEGACY_DA.exec(value);
  if (legacy) return shiftParts(Number(legacy[1]), Number(legacy[2]), Number(legacy[3]), days);
  const m = DA.exec(value);
  if (!m || (m[2] === undefined && m[3] !== undefined)) return undefined;
  return shiftParts(Number(m[1]), num(m[2]), num(m[3]), days);
}

/** Shift one DT value; time of day, fraction and UTC offset are kept. Undefined if invalid. */
export function shiftDateTime(value: string, days: number): string | undefined {
  const m = DT.exec(value);
  if (!m) return undefined;
  const [, year, month, day, time, offset] = m;
  if ((time !== undefined && day === undefined) || (day !== undefined && month === undefined))
    return undefined;
  const date = shiftParts(Number(year), num(month), num(day), days);
  return date === undefined ? undefined : date + (time ?? '') + (offset ?? '');
}

/**
 * Shift every value of a (possibly multi-valued, possibly empty) DA or DT text by `days`.
 * Returns undefined when a value is not a valid date of that VR.
 */
export function shiftValues(text: string, vr: 'DA' | 'DT', days: number): string | undefined {
  // The files of a study share their dates: each is shifted once (long texts, which are
  // not real dates, are not remembered).
  if (text.length > SHIFT_MEMO_TEXT) return shiftEach(text, vr, days);
  const key = `${vr}${days}|${text}`;
  if (shifts.has(key)) return shifts.get(key);
  const shifted = shiftEach(text, vr, days);
  if (shifts.size >= SHIFT_MEMO_LIMIT) shifts.clear();
  shifts.set(key, shifted);
  return shifted;
}

/** Shifted values by VR, days and text (a bounded memo: it starts over when full). */
const shifts = new Map<string, string | undefined>();
const SHIFT_MEMO_LIMIT = 10_000;
const SHIFT_MEMO_TEXT = 64;

function shiftEach(text: string, vr: 'DA' | 'DT', days: number): string | undefined {
  const shift = vr === 'DA' ? shiftDate : shiftDateTime;
  const out: string[] = [];
  for (const raw of text.split('\\')) {
    const value = raw.trim();
    if (value === '') {
      out.push('');
      continue;
    }
    const shifted = shift(value, days);
    if (shifted === undefined) return undefined;
    out.push(shifted);
  }
  return out.join('\\');
}

/** The VR a text value parses as: DA, DT, or undefined. Used to jitter dates in non-date VRs. */
export function dateVrOf(text: string): 'DA' | 'DT' | undefined {
  const values = text
    .split('\\')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (values.length === 0) return undefined;
  if (values.every((v) => shiftDate(v, 0) !== undefined)) return 'DA';
  if (values.every((v) => shiftDateTime(v, 0) !== undefined)) return 'DT';
  return undefined;
}

const TM = /^(\d{2})((\d{2})((\d{2})(\.\d{1,6})?)?)?$|^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$/;

/** True when every value of a (possibly multi-valued, possibly empty) TM text is a valid time. */
export function isTimeText(text: string): boolean {
  return (
    plainTime(text) ??
    text.split('\\').every((v) => {
      const value = v.trim();
      const m = TM.exec(value);
      return (
        value === '' ||
        (m !== null &&
          (m[1] === undefined ||
            (Number(m[1]) < 24 && Number(m[3] ?? 0) < 60 && Number(m[5] ?? 0) < 61)))
      );
    })
  );
}

/**
 * Whether `text` is a valid time when it is one value of the form most times have,
 * `HH`, `HHMM`, `HHMMSS` or `HHMMSS.F` to `HHMMSS.FFFFFF` (checked character by character,
 * as {@link TM} and its ranges check it); undefined for any other text.
 */
function plainTime(text: string): boolean | undefined {
  const n = text.length;
  if (n !== 2 && n !== 4 && n !== 6 && (n < 8 || n > 13 || text.charCodeAt(6) !== 0x2e))
    return undefined;
  for (let i = 0; i < n; i++) if (i !== 6 && !isDigitCode(text.charCodeAt(i))) return undefined;
  const pair = (at: number): number =>
    (text.charCodeAt(at) - 0x30) * 10 + (text.charCodeAt(at + 1) - 0x30);
  return pair(0) < 24 && (n < 4 || pair(2) < 60) && (n < 6 || pair(4) < 61);
}

function isDigitCode(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Convert an ISO 8601 timestamp (as DASHER's `jittered_timestamp`) to the form of a DA, DT
 * or TM value; other texts are returned unchanged.
 */
export function isoToDicom(text: string, vr: string): string {
  if (vr !== 'DA' && vr !== 'DT' && vr !== 'TM') return text;
  const m = ISO.exec(text.trim());
  if (!m) return text;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const offset = zone === undefined ? '' : zone === 'Z' ? '+0000' : zone.replace(':', '');
  if (vr === 'DA') return `${y}${mo}${d}`;
  if (vr === 'TM') return `${h}${mi}${s}${frac}`;
  return `${y}${mo}${d}${h}${mi}${s}${frac}${offset}`;
}
