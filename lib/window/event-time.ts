/**
 * Times: reading a sample's event time, checking it against the range of dates and the horizon,
 * and showing it in messages.
 */
import { describeValue, SampleError } from '../errors';
import type { ResolvedWindowOptions } from './options';
import type { SampleAt } from './types';

/** The largest |time| in ms since the epoch: the range of an ECMAScript Date (±273,790 years). */
export const MAX_TIME_MS = 8.64e15;

/** A time for a message: ISO 8601 when it is a date, else the number. */
export function formatTime(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS ? new Date(ms).toISOString() : String(ms);
}

/**
 * What unit a time that is no plausible ms value probably has: nanoseconds (InfluxDB, Telegraf),
 * microseconds or seconds since the epoch between 1973 and 5138, with the conversion to ms.
 */
export function timeUnitHint(ms: number): string {
  const a = Math.abs(ms);
  const plausible = (m: number): boolean => m >= 1e11 && m < 1e14;
  if (plausible(a / 1e6)) {
    return ' It looks like nanoseconds since the epoch (as InfluxDB and Telegraf write them): divide it by 1e6 to get ms.';
  }
  if (plausible(a / 1e3)) return ' It looks like microseconds since the epoch: divide it by 1000 to get ms.';
  if (plausible(a * 1e3)) return ' It looks like seconds since the epoch: multiply it by 1000 to get ms.';
  return '';
}

/** @throws SampleError when `ms` is not a time a Date can hold. */
export function checkTimeRange(ms: number, where: string): void {
  if (Math.abs(ms) <= MAX_TIME_MS) return;
  throw new SampleError(
    `${where} is ${String(ms)}, outside the range of dates (±8.64e15 ms since the epoch): ` +
      `a time must be in ms.${timeUnitHint(ms) || ' Send ms since the epoch.'}`,
  );
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * Reads an event time: a number of ms since the epoch, an ISO 8601 string or a Date.
 * An ISO string without an offset is read as ECMAScript does (date-only as UTC, date-time as
 * local time); send `Z` or an offset to be explicit.
 * @param value the message's time property.
 * @param where how to name it in errors, e.g. `msg.timestamp`.
 * @throws SampleError saying what was wrong and what to send.
 */
export function parseEventTime(value: unknown, where: string): number {
  const expected = 'Send ms since the epoch (a number) or an ISO 8601 string such as "2024-05-01T12:00:00Z".';
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new SampleError(`${where} is ${String(value)}, not a time. ${expected}`);
    checkTimeRange(value, where);
    return value;
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isFinite(ms)) return ms;
    throw new SampleError(`${where} is an invalid Date. ${expected}`);
  }
  if (typeof value === 'string') {
    const text = value.trim();
    const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
    if (/^[+-]?\d+(\.\d+)?$/.test(text)) {
      throw new SampleError(
        `${where} is the string ${shown}: a number of ms must be sent as a number, not a string. ` +
          'Convert it (e.g. with a change or json node) first.',
      );
    }
    const ms = ISO_TIME.test(text) ? Date.parse(text) : NaN;
    if (Number.isFinite(ms)) return ms;
    throw new SampleError(`${where} is ${shown}, which is not an ISO 8601 time. ${expected}`);
  }
  if (value === undefined) {
    throw new SampleError(`${where} is missing, but this window uses event time. ${expected}`);
  }
  throw new SampleError(`${where} is ${describeValue(value)}, not a time. ${expected}`);
}

/**
 * Checks a sample's time: a date, and (event time) within the horizon.
 * @param clock the stream time to check the horizon against (−∞: only the caller's clock).
 * @throws SampleError when the time is not a date, or (event time) farther than `horizon` from
 *   the stream time or ahead of the caller's clock.
 */
export function checkSampleTime(
  at: SampleAt,
  where: string,
  clock: number,
  options: Pick<ResolvedWindowOptions, 'time' | 'horizon'>,
): void {
  const time = at.time;
  const what = at.timeWhere ?? `The time of ${where}`;
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    throw new SampleError(`${what} is ${String(time)}: a sample needs a finite time in ms.`);
  }
  checkTimeRange(time, what);
  if (options.time !== 'event') return;
  const horizon = options.horizon;
  const now = typeof at.now === 'number' && Math.abs(at.now) <= MAX_TIME_MS ? at.now : -Infinity;
  const ahead = Math.max(clock, now);
  const fix = `${timeUnitHint(time)} Check the clock of the sender and of this machine, or raise "Horizon" (ms).`;
  if (ahead > -Infinity && time > ahead + horizon) {
    const of = [
      clock > -Infinity ? `the stream time (${formatTime(clock)})` : '',
      now > -Infinity ? `this machine's clock (${formatTime(now)})` : '',
    ]
      .filter((text) => text !== '')
      .join(' and ');
    throw new SampleError(
      `${what} is ${formatTime(time)}, more than the horizon of ${horizon} ms ahead of ${of}: ` +
        `a time that far in the future would make every later sample late.${fix}`,
    );
  }
  if (clock > -Infinity && time < clock - horizon) {
    throw new SampleError(
      `${what} is ${formatTime(time)}, more than the horizon of ${horizon} ms behind the stream time ` +
        `(${formatTime(clock)}). To replay older data, send msg.reset first.${fix}`,
    );
  }
}
