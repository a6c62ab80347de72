/**
 * Shifting a timestamp by whole days, keeping its form: `YYYY-MM-DD` or `YYYYMMDD`, with
 * any time of day and UTC offset kept exactly as written (a jitter moves the calendar
 * date; the wall-clock time stays).
 */
import { SomError } from '@som/core';

const DATE = /^(\d{4})(-?)(\d{2})\2(\d{2})(.*)$/s;
const TIME_AND_ZONE =
  /^(?:[T ]?\d{2}(?::?\d{2}(?::?\d{2}(?:[.,]\d+)?)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/;
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-](\d{2}):?(\d{2}))?)?$/;

/** True when year-month-day is a date of the (proleptic Gregorian) calendar. */
function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}

/**
 * True when `text` is an ISO 8601 date or date-time as DASHER writes them: `YYYY-MM-DD`,
 * optionally followed by `T` (or a space) and `HH:MM`, `HH:MM:SS` or `HH:MM:SS.ffffff`,
 * optionally followed by `Z` or a UTC offset (`-0700`, `-07:00`); a real calendar date, a
 * time of day (a leap second allowed) and an offset of at most 14 hours.
 */
export function isIsoTimestamp(text: string): boolean {
  const m = ISO_DATE_TIME.exec(text);
  if (m === null || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  const [hour, minute, second, offsetHours, offsetMinutes] = [4, 5, 6, 7, 8].map((i) =>
    Number(m[i] ?? 0),
  ) as [number, number, number, number, number];
  return hour < 24 && minute < 60 && second <= 60 && offsetHours <= 14 && offsetMinutes < 60;
}

/**
 * `timestamp` moved by `days` calendar days (negative: earlier).
 * Accepts ISO 8601 dates and date-times (`2010-02-04T11:50:00Z`, `1961-07-27`,
 * `2010-02-04T11:50:00-0800`) and DICOM DA/DT (`20100204`, `20100204115000.000000+0100`).
 * @throws SomError InvalidArgument when `timestamp` is not such a date, or the result would
 *   fall outside the years 0001-9999 (the message never holds the timestamp: a birth date).
 */
export function shiftTimestamp(timestamp: string, days: number): string {
  if (!Number.isInteger(days))
    throw new SomError('InvalidArgument', `jitter ${days} is not a whole number of days`);
  const match = DATE.exec(timestamp.trim());
  const rest = match?.[5] ?? '';
  if (match === null || !TIME_AND_ZONE.test(rest)) {
    throw new SomError('InvalidArgument', 'the timestamp is not an ISO 8601 or DICOM date');
  }
  const [year, month, day] = [Number(match[1]), Number(match[3]), Number(match[4])];
  if (!isCalendarDate(year, month, day)) {
    throw new SomError('InvalidArgument', 'the timestamp is not a valid calendar date');
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCDate(date.getUTCDate() + days);
  const shiftedYear = date.getUTCFullYear();
  if (shiftedYear < 1 || shiftedYear > 9999) {
    throw new SomError(
      'InvalidArgument',
      `the timestamp shifted by ${days} days leaves the years 0001-9999`,
    );
  }
  const sep = match[2] ?? '';
  const pad = (n: number, width: number): string => String(n).padStart(width, '0');
  return `${pad(shiftedYear, 4)}${sep}${pad(date.getUTCMonth() + 1, 2)}${sep}${pad(date.getUTCDate(), 2)}${rest}`;
}
