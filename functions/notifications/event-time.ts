/**
 * The instant a date-and-time (RFC 3339, as RFC 6991 and RFC 5277 use it) stands for, as
 * ISO 8601 UTC with milliseconds: the form of every key and reading time. Apart from the
 * schema, so that the writer, which keys by it, bundles no zod.
 */

const LEAP_SECOND = /^(.*T\d{2}:\d{2}:)60(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A leap second (second 60, which Date cannot hold: it counts POSIX seconds) is taken as
 * second 59.999 of its minute, so that it stays in the minute and on the day it was written
 * for and sorts before the second after it, rather than taking that second's key.
 */
export function instantOf(dateAndTime: string): string {
  return new Date(timeOf(dateAndTime)).toISOString();
}

/** The instant in ms since 1970 (as instantOf reads it); NaN for a text that is no date-and-time. */
export const timeOf = (dateAndTime: string): number => Date.parse(dateAndTime.replace(LEAP_SECOND, '$159.999$2'));

/** Whether a date-and-time with second 60 falls where leap seconds are inserted: the last second of a UTC month (ITU-R TF.460). */
export function leapSecondFits(dateAndTime: string): boolean {
  if (!LEAP_SECOND.test(dateAndTime)) return true;
  const time = timeOf(dateAndTime);
  // A time that does not parse is left to the calendar check.
  return Number.isNaN(time) || (new Date(time).toISOString().endsWith('T23:59:59.999Z') && new Date(time + 1).getUTCDate() === 1);
}
