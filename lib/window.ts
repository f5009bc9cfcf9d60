/**
 * The windowing engine behind `ml-window` (docs/nodes.md describes the node): count, time and session windows over a
 * stream of samples, per key or aligning separate topics into rows, emitting each window as a
 * batch, a vector or per-feature aggregates.
 *
 * The engine has no clock and no timers. Every call is given the time (ms): the node passes
 * `Date.now()` (arrival time) or the sample's parsed event time, and arms one timer at
 * {@link WindowEngine.nextDeadline} that calls {@link WindowEngine.advance}. Tests drive it with
 * explicit times.
 *
 * Semantics, in brief (the README states them for users):
 * - count: a window emits when it holds `size` samples, then every `step` samples the latest
 *   `size` (the core batch node with overlap `size − step`). Its `start`/`end` are the smallest
 *   and largest time of its samples (first and last arrival with arrival time).
 * - time: windows `[k·step, k·step + size)` aligned to the epoch, as Kafka Streams' TimeWindows;
 *   a sample belongs to every window covering it. `start`/`end` are the window's bounds.
 * - session: a session closes once no sample came for `gap`; a sample within `gap` of two
 *   sessions (out-of-order event time) merges them. `start`/`end` are the times of its first
 *   and last samples (as Kafka Streams' SessionWindows).
 * - Arrival time closes a window when the clock reaches its end (`end`, or last sample + `gap`).
 *   Event time closes it when the stream time (largest event time seen) reaches that point plus
 *   `lateness`; a sample whose windows are all closed is reported as late, never dropped silently.
 */
import {
  aggregateNames,
  MAX_WINDOW_VALUE,
  MAX_WINDOW_VALUES,
  parseAggregates,
  positionalNames,
  summarize,
  type AggregateName,
} from './aggregate';
import { describeName, describeNames, describeValue, SampleError, WindowOverflowError } from './errors';
import {
  checkFeatureNames,
  DEFAULT_MAX_DIMENSION,
  isForbiddenName,
  magnitudeError,
  MAX_DIMENSION_SETTING,
  SampleReader,
  type SampleShape,
  type Schema,
} from './samples';
import { Ring, Rows } from './window-buffers';

/** How a stream is cut: every `size` samples, by clock intervals, or by gaps of inactivity. */
export type WindowMode = 'count' | 'time' | 'session';
/** Whose time places a sample: the engine's caller clock on arrival, or the sample's own time. */
export type TimeBasis = 'arrival' | 'event';
/** One stream; independent windows per key; or readings of named features aligned into rows. */
export type GroupBy = 'none' | 'key' | 'align';
/** What a window becomes: its samples as a batch, one flat vector, or per-feature aggregates. */
export type EmitKind = 'samples' | 'vector' | 'aggregate';
/** The value that selects a key's windows (`null` when not grouping by key). */
export type WindowKey = string | number | boolean | null;

/** The largest |time| in ms since the epoch: the range of an ECMAScript Date (±273,790 years). */
export const MAX_TIME_MS = 8.64e15;

/**
 * Bounds on the settings, so that no setting can make the engine hold, loop over or emit without
 * limit. Every time is exact in a double (|t| ≤ 8.64e15 ms plus a span stays below 2^53), so
 * stepping from one window start to the next always moves.
 */
export const WINDOW_LIMITS = Object.freeze({
  /** Most samples held across all windows and keys (see MAX_WINDOW_VALUES in ./aggregate). */
  maxSamples: MAX_WINDOW_VALUES,
  /** Longest span in ms of size, step, gap, lateness, horizon and idleTimeout: 366 days. */
  span: 366 * 86_400_000,
  /** Most windows one sample can belong to: size / step (time and count windows). */
  windowsPerSample: 1000,
  /** Most keys (per-key windows, aligned rows) held at once. */
  maxKeys: 1_000_000,
  /** Most features an aligned row can have. */
  maxFeatures: 10_000,
  /** Most features one sample may have. */
  maxDimension: MAX_DIMENSION_SETTING['ml-window'],
  /**
   * Most empty windows sent for one gap (`emitEmpty`): a longer run (a stream silent for long, a
   * clock jump) is skipped and reported instead of sent window by window.
   */
  emptyWindows: 1000,
});

/** The defaults of the settings that bound state. */
export const WINDOW_DEFAULTS = Object.freeze({
  maxSamples: 10_000,
  /** Event time: one hour either side of the stream time (and ahead of the caller's clock). */
  horizon: 3_600_000,
  maxKeys: 1000,
  /** A week without a sample forgets a key. */
  idleTimeout: 7 * 86_400_000,
  maxFeatures: 100,
  maxDimension: DEFAULT_MAX_DIMENSION['ml-window'],
});

/** Settings of a {@link WindowEngine}. */
export interface WindowOptions {
  mode: WindowMode;
  /** count: samples per window (integer ≥ 1); time: window length in ms. */
  size?: number;
  /** count: samples between emissions (1…size); time: ms between window starts (0 < step ≤ size, size a multiple of step's gcd). Default `size` (tumbling). */
  step?: number;
  /** session: ms without a sample that closes a session. */
  gap?: number;
  /** Default `arrival`. */
  time?: TimeBasis;
  /** Event time only: ms a window stays open after its end for out-of-order samples. Default 0. */
  lateness?: number;
  /** Default `none`. */
  groupBy?: GroupBy;
  /** Default `samples`. */
  emit?: EmitKind;
  /** For `emit: aggregate`: which statistics, in output order (names or a comma list). Default mean. */
  aggregates?: readonly string[] | string;
  /** Feature names selecting and ordering object fields, or (align) the expected topic names. */
  features?: readonly string[] | null;
  /** Most samples held across all windows and keys (1…1e7). Default 10000. */
  maxSamples?: number;
  /** time mode: also emit windows that received no sample (once a key has had one). Default false. */
  emitEmpty?: boolean;
  /**
   * Event time only: a sample more than this many ms from the stream time (or ahead of the
   * caller's clock, {@link SampleAt.now}) is a bad sample. At least `lateness`. Default 1 h.
   */
  horizon?: number;
  /** Most keys held (groupBy key or align); a new key beyond it drops the least recently used. Default 1000. */
  maxKeys?: number;
  /**
   * ms (of the clock, or of stream time) without a sample after which a key is forgotten (groupBy
   * key or align), 0 for never. Time and session windows are never dropped open: a key is
   * forgotten only once its windows have closed. Default 7 days.
   */
  idleTimeout?: number;
  /** align: most features a row may have (names joining as they come). Default 100. */
  maxFeatures?: number;
  /** Most features one sample may have (1…100000). Default 10000. */
  maxDimension?: number;
}

/** The settings after defaults and validation. */
export interface ResolvedWindowOptions {
  readonly mode: WindowMode;
  readonly size: number;
  readonly step: number;
  readonly gap: number;
  readonly time: TimeBasis;
  readonly lateness: number;
  readonly groupBy: GroupBy;
  readonly emit: EmitKind;
  readonly aggregates: readonly AggregateName[];
  readonly features: readonly string[] | null;
  readonly maxSamples: number;
  readonly emitEmpty: boolean;
  readonly horizon: number;
  readonly maxKeys: number;
  readonly idleTimeout: number;
  readonly maxFeatures: number;
  readonly maxDimension: number;
}

/** Where and when a sample belongs. */
export interface SampleAt {
  /** Arrival time (the caller's clock) or event time, in ms since the epoch. */
  time: number;
  /** The key's value, for `groupBy: key` (and optionally `align`: one row per key). */
  key?: WindowKey;
  /** `align` only: the feature this reading is, e.g. the topic's last segment. */
  name?: string;
  /** How to name the value in errors. Default `msg.payload`. */
  where?: string;
  /** How to name the event time in errors. Default `the event time`. */
  timeWhere?: string;
  /**
   * Event time: the caller's clock (ms) when the sample arrived. A sample more than `horizon`
   * ahead of both it and the stream time is rejected, so one far-future time cannot make every
   * later sample late.
   */
  now?: number;
}

/** A closed window, ready to send. */
export interface EmittedWindow {
  /** time: the window's start; count/session: the smallest sample time. */
  start: number;
  /** time: the window's end (exclusive); count/session: the largest sample time. */
  end: number;
  /** Samples in the window (readings, for `align`). */
  count: number;
  key: WindowKey;
  /** The payload: a batch, a vector or aggregates (see {@link EmitKind}). */
  value: unknown;
  /** `align` only: features with no reading in this window, filled with their last known value. */
  filled?: string[];
}

/** A sample that arrived after its windows had closed (event time beyond `lateness`). */
export interface LateSample {
  time: number;
  key: WindowKey;
  name?: string;
  /** Rows the message carried. */
  count: number;
  /** Windows ending at or before this time had already closed. */
  closedUpTo: number;
  /**
   * `false`: it is in no window. `true` (hopping windows only): it was added to its windows that
   * were still open, but missed earlier ones that had already been emitted.
   */
  added: boolean;
}

/** An `align` window that could not become a row: some feature has never had a reading. */
export interface IncompleteWindow {
  start: number;
  end: number;
  count: number;
  key: WindowKey;
  /** Features with no reading in this window and none before. */
  missing: string[];
  /** The last reading of each feature that had one. */
  value: Record<string, number>;
}

/** Runs of empty windows (`emitEmpty`) longer than {@link WINDOW_LIMITS}.emptyWindows, not sent. */
export interface SkippedWindows {
  /** Empty windows skipped, over all gaps. */
  windows: number;
  /** Gaps skipped (one per key and gap). */
  gaps: number;
  /** Start of the first skipped window. */
  from: number;
  /** Start of the first window after the last gap. */
  to: number;
  /** The key of one of them. */
  key: WindowKey;
}

/** Keys forgotten in one call: their open windows were dropped, not sent. */
export interface DroppedKeys {
  /** `idle`: no sample for `idleTimeout`; `maxKeys`: the least recently used made room for a new key. */
  reason: 'idle' | 'maxKeys';
  keys: number;
  /** Samples their open (count) windows held. */
  samples: number;
  /** One of the keys. */
  key: WindowKey;
}

/** What one call produced, in order. */
export interface WindowOutput {
  windows: EmittedWindow[];
  late: LateSample[];
  incomplete: IncompleteWindow[];
  /** Present when empty windows were skipped. */
  skipped?: SkippedWindows;
  /** Present when keys were forgotten (at most one entry per reason). */
  dropped?: DroppedKeys[];
}

/** Returned when a call produced nothing, so the common path allocates no result. */
const NOTHING: WindowOutput = Object.freeze({
  windows: Object.freeze([]) as unknown as EmittedWindow[],
  late: Object.freeze([]) as unknown as LateSample[],
  incomplete: Object.freeze([]) as unknown as IncompleteWindow[],
});

/** User text (a topic, a name, a key) as an error shows it: quoted, cut as every error cuts it. */
export function quoteText(text: string): string {
  return JSON.stringify(describeName(text));
}

const PREVIEW_LENGTH = 80;

/**
 * A value shown in a message: short JSON-like text built from at most a few dozen parts, so a
 * big batch costs nothing, and never throwing (getters, proxies, BigInt and cycles included).
 */
export function preview(value: unknown, max = PREVIEW_LENGTH): string {
  let text: string;
  try {
    text = previewPart(value, 2, { budget: max + 1 });
  } catch {
    text = typeof value === 'object' && value !== null ? 'an object' : typeof value;
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function previewPart(value: unknown, depth: number, left: { budget: number }): string {
  if (left.budget <= 0) return '…';
  let text: string;
  if (value === null || typeof value === 'boolean' || typeof value === 'number') text = String(value);
  else if (value === undefined) text = 'undefined';
  else if (typeof value === 'string')
    text = JSON.stringify(value.length > left.budget ? `${value.slice(0, left.budget)}…` : value);
  else if (typeof value === 'bigint') text = `${value}n`;
  else if (typeof value !== 'object') text = `a ${typeof value}`;
  else if (depth === 0) text = Array.isArray(value) ? '[…]' : '{…}';
  else if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = value as ArrayLike<unknown>;
    const parts: string[] = [];
    for (let i = 0; i < items.length && left.budget > 0; i++) {
      if (i > 0) left.budget--;
      parts.push(previewPart(items[i], depth - 1, left));
    }
    text = `[${parts.join(',')}${parts.length < items.length ? ',…' : ''}]`;
  } else {
    const parts: string[] = [];
    let more = false;
    for (const name in value) {
      if (!Object.prototype.hasOwnProperty.call(value, name)) continue;
      if (left.budget <= 0) {
        more = true;
        break;
      }
      const shown = name.length > 20 ? `${name.slice(0, 20)}…` : name;
      left.budget -= shown.length + 4;
      parts.push(
        `${JSON.stringify(shown)}:${previewPart((value as Record<string, unknown>)[name], depth - 1, left)}`,
      );
    }
    text = `{${parts.join(',')}${more ? ',…' : ''}}`;
  }
  left.budget -= text.length;
  return text;
}

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
function checkTimeRange(ms: number, where: string): void {
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
 * The feature name a topic gives in `align`: its last `/`-separated segment
 * (`factory/m1/temp` → `temp`).
 * @throws SampleError when the topic is not a string or its last segment is empty or unusable.
 */
export function topicFeatureName(topic: unknown, where = 'msg.topic'): string {
  if (typeof topic !== 'string' && typeof topic !== 'number') {
    throw new SampleError(
      `${where} is ${topic === undefined ? 'missing' : `a ${topic === null ? 'null' : typeof topic}`}: ` +
        'aligning topics needs a topic (or key) naming the reading, such as "factory/m1/temp".',
    );
  }
  const text = String(topic);
  const name = text.slice(text.lastIndexOf('/') + 1).trim();
  if (name.length === 0 || isForbiddenName(name)) {
    throw new SampleError(
      `${where} ${quoteText(text)} does not end in a usable feature name: its last segment names the feature.`,
    );
  }
  return name;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function positiveInteger(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${what} must be an integer ≥ 1, got ${value}`);
}

/** @throws RangeError unless `value` is a number in [min, max] (an integer when `integer`). */
function bounded(value: unknown, name: string, min: number, max: number, integer = false): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) ||
    value < min ||
    value > max
  ) {
    throw new RangeError(
      `setting "${name}" must be ${integer ? 'a whole number' : 'a number'} between ${min} and ${max}, ` +
        `got ${typeof value === 'number' ? String(value) : typeof value}`,
    );
  }
  return value;
}

/**
 * Applies defaults and checks a window's settings.
 * @throws RangeError naming the setting that is wrong.
 */
export function resolveWindowOptions(options: WindowOptions): ResolvedWindowOptions {
  const mode = options.mode;
  if (mode !== 'count' && mode !== 'time' && mode !== 'session') {
    throw new RangeError(`mode must be count, time or session, got ${String(mode)}`);
  }
  const time = options.time ?? 'arrival';
  if (time !== 'arrival' && time !== 'event')
    throw new RangeError(`time must be arrival or event, got ${time}`);
  const groupBy = options.groupBy ?? 'none';
  if (groupBy !== 'none' && groupBy !== 'key' && groupBy !== 'align') {
    throw new RangeError(`groupBy must be none, key or align, got ${String(groupBy)}`);
  }
  const emit = options.emit ?? 'samples';
  if (emit !== 'samples' && emit !== 'vector' && emit !== 'aggregate') {
    throw new RangeError(`emit must be samples, vector or aggregate, got ${String(emit)}`);
  }
  const aggregates = emit === 'aggregate' ? parseAggregates(options.aggregates ?? ['mean']) : [];
  const maxSamples = options.maxSamples ?? WINDOW_DEFAULTS.maxSamples;
  positiveInteger(maxSamples, 'maxSamples');
  bounded(maxSamples, 'maxSamples', 1, WINDOW_LIMITS.maxSamples, true);
  const span = WINDOW_LIMITS.span;
  const lateness = options.lateness ?? 0;
  if (!(lateness >= 0) || !Number.isFinite(lateness)) {
    throw new RangeError(`lateness must be a number of ms ≥ 0, got ${lateness}`);
  }
  bounded(lateness, 'lateness', 0, span);
  const horizon = bounded(options.horizon ?? WINDOW_DEFAULTS.horizon, 'horizon', 1, span);
  if (time === 'event' && lateness > horizon) {
    throw new RangeError(
      `setting "horizon" (${horizon} ms) must be at least "lateness" (${lateness} ms): a sample within ` +
        'lateness of the stream time must not be rejected as too far from it',
    );
  }
  const maxKeys = bounded(
    options.maxKeys ?? WINDOW_DEFAULTS.maxKeys,
    'maxKeys',
    1,
    WINDOW_LIMITS.maxKeys,
    true,
  );
  const idleTimeout = bounded(options.idleTimeout ?? WINDOW_DEFAULTS.idleTimeout, 'idleTimeout', 0, span);
  const maxFeatures = bounded(
    options.maxFeatures ?? WINDOW_DEFAULTS.maxFeatures,
    'maxFeatures',
    1,
    WINDOW_LIMITS.maxFeatures,
    true,
  );
  let size = 0;
  let step = 0;
  let gap = 0;
  if (mode === 'session') {
    gap = options.gap ?? NaN;
    if (!(gap > 0) || !Number.isFinite(gap))
      throw new RangeError(`gap must be a number of ms > 0, got ${gap}`);
    bounded(gap, 'gap', 0, span);
  } else {
    size = options.size ?? NaN;
    step = options.step ?? size;
    const unit = mode === 'count' ? 'samples' : 'ms';
    positiveInteger(size, `size (${unit})`);
    positiveInteger(step, `step (${unit})`);
    if (step > size)
      throw new RangeError(`step (${step}) must not exceed size (${size}): windows would skip samples`);
    if (mode === 'time') bounded(size, 'size', 1, span, true);
    else bounded(size, 'size', 1, WINDOW_LIMITS.maxSamples, true);
    const perSample = WINDOW_LIMITS.windowsPerSample;
    if (size / step > perSample) {
      throw new RangeError(
        `setting "step" must be at least size / ${perSample} (${Math.ceil(size / perSample)} ${unit}), got ${step}: ` +
          `with step ${step} every sample would be in ${Math.ceil(size / step)} windows`,
      );
    }
    if (mode === 'count' && maxSamples < size) {
      throw new RangeError(`maxSamples (${maxSamples}) must be at least the window size (${size})`);
    }
  }
  const maxDimension = bounded(
    options.maxDimension ?? WINDOW_DEFAULTS.maxDimension,
    'maxDimension',
    1,
    WINDOW_LIMITS.maxDimension,
    true,
  );
  const features = options.features && options.features.length > 0 ? [...options.features] : null;
  if (features) checkFeatureNames(features, 'Features');
  if (features && groupBy !== 'align' && features.length > maxDimension) {
    throw new RangeError(
      `setting "maxDimension" (${maxDimension}) must be at least the number of features listed (${features.length})`,
    );
  }
  if (features && groupBy === 'align' && features.length > maxFeatures) {
    throw new RangeError(
      `setting "maxFeatures" (${maxFeatures}) must be at least the number of features listed (${features.length})`,
    );
  }
  return Object.freeze({
    mode,
    size,
    step,
    gap,
    time,
    lateness: time === 'event' ? lateness : 0,
    groupBy,
    emit,
    aggregates,
    features,
    maxSamples,
    emitEmpty: mode === 'time' && options.emitEmpty === true,
    horizon,
    maxKeys,
    idleTimeout,
    maxFeatures,
    maxDimension,
  });
}

/** How a key's samples look: fixed by its first sample while it has samples buffered. */
interface Layout {
  readonly shape: SampleShape;
  readonly schema: Schema;
  /** Names for aggregates and object rows: the features, or x0, x1, … */
  readonly names: readonly string[];
}

/** The features a key's aligned rows have, and their last readings (kept across windows). */
interface Aligner {
  readonly names: string[];
  readonly index: Map<string, number>;
  readonly fixed: boolean;
  last: number[];
  lastTime: number[];
}

interface Pane {
  readonly start: number;
  readonly rows: Rows;
}

interface Session {
  first: number;
  last: number;
  rows: Rows;
}

/** When a key was last used, and when it took its place in the recency queue (≤ seen). */
interface KeyUse {
  seen: number;
  queued: number;
}

/** One key's open windows (only the fields of its mode are used). */
interface Group {
  readonly key: WindowKey;
  /** `null` in align, whose layout is the key's {@link Aligner}. */
  readonly layout: Layout | null;
  /** Logical samples held (what counts against `maxSamples`). */
  held: number;
  ring: Ring | null;
  panes: Pane[];
  sessions: Session[];
  /** time + emitEmpty: the first window start not yet emitted. */
  emitFrom: number;
  /** time: cached number of open windows, −1 when it must be recounted. */
  open: number;
}

const ALIGN_LAYOUT_WIDTH = 1;

/**
 * A pure, clock-free windowing engine; see the module comment for the semantics.
 *
 * Every mutating call either completes or throws before changing anything, so a bad sample or
 * an overflow leaves the windows exactly as they were.
 */
export class WindowEngine {
  readonly options: ResolvedWindowOptions;
  private readonly reader: SampleReader;
  private readonly groups = new Map<WindowKey, Group>();
  private readonly aligners = new Map<WindowKey, Aligner>();
  /**
   * Keys (groupBy key or align), least recently queued first, with the stream time of their last
   * sample: what `maxKeys` evicts and `idleTimeout` expires, each in amortised O(1) per key.
   */
  private readonly recency = new Map<WindowKey, KeyUse>();
  /** How long a key must be idle to be forgotten: `idleTimeout`, but never before its windows close. */
  private readonly idleAfter: number;
  /** Width of the slices time windows are built from: gcd(size, step), so a sample is stored once. */
  private readonly pane: number;
  private held = 0;
  /** Arrival: the latest time seen (a clock never runs back). Event: the stream time. */
  private clock = -Infinity;
  /** Windows that close at or before this time have been closed. */
  private closed = -Infinity;
  /** No window closes before this time (it may be early: a pass then just finds nothing). */
  private hint = Infinity;
  private output: WindowOutput | null = null;
  /** The layout a sample for a key without windows would give it (set by readRows). */
  private pendingLayout: Layout | null = null;
  private readonly oneRow: ArrayLike<number>[] = [new Float64Array(1)];
  private readonly scratch = new Float64Array(1);

  /** @throws RangeError on invalid settings. */
  constructor(options: WindowOptions) {
    this.options = resolveWindowOptions(options);
    this.reader = new SampleReader(this.options.groupBy === 'align' ? null : this.options.features, {
      maxDimension: this.options.maxDimension,
      noun: 'window',
    });
    this.pane = this.options.mode === 'time' ? gcd(this.options.size, this.options.step) : 1;
    const o = this.options;
    const life = o.mode === 'time' ? o.size + o.lateness : o.mode === 'session' ? o.gap + o.lateness : 0;
    this.idleAfter = o.idleTimeout === 0 ? Infinity : Math.max(o.idleTimeout, life);
  }

  /** Keys with state (groupBy key or align): open windows, or aligned features' last readings. */
  get keys(): number {
    return this.recency.size;
  }

  /**
   * Checks a sample as it would be read with no window open (before a reset drops them): its
   * value, its time's range and horizon against the caller's clock.
   * @param keepsStreamTime the reset is of one key, so the stream time stays (and bounds the time).
   * @throws SampleError as {@link add} would.
   */
  checkSample(value: unknown, at: SampleAt, keepsStreamTime = false): void {
    const where = at.where ?? 'msg.payload';
    this.checkTime(at, where, keepsStreamTime ? this.clock : -Infinity);
    if (this.options.groupBy === 'align') {
      this.checkReading(value, where, '');
      return;
    }
    // The reader checks every value's magnitude too.
    this.reader.read(value, null, where);
  }

  /** Samples held across all windows and keys (for a status such as `3 open, 120 buf`). */
  get bufferedSamples(): number {
    return this.held;
  }

  /** Windows currently open across all keys (count: one per key with samples). */
  get openWindows(): number {
    let open = 0;
    for (const group of this.groups.values()) open += this.openOf(group);
    return open;
  }

  /** The largest event time seen (event time) or the latest clock reading (arrival); −∞ at first. */
  get streamTime(): number {
    return this.clock;
  }

  /**
   * When the node's timer should call {@link advance}: the earliest time a window may close, or
   * `null` when none will close by the clock (count windows, event time, nothing open).
   * It is never late, but may be early; an early `advance` simply returns nothing.
   */
  nextDeadline(): number | null {
    if (this.options.mode === 'count' || this.options.time === 'event') return null;
    if (this.hint <= this.closed) this.hint = this.computeHint();
    return this.hint === Infinity ? null : this.hint;
  }

  /**
   * Adds one message's sample (or batch) and returns the windows it closed or completed.
   * @param value the message value: a number, array, object or batch (a finite number in align).
   * @param at its time, and key or feature name.
   * @throws SampleError on a bad sample or one whose schema differs from its window's.
   * @throws WindowOverflowError when it would hold more than `maxSamples`.
   * Either way nothing changed.
   */
  add(value: unknown, at: SampleAt): WindowOutput {
    try {
      return this.addSample(value, at);
    } finally {
      // Never keep a reference to the caller's array beyond the call.
      this.oneRow[0] = this.scratch;
    }
  }

  private addSample(value: unknown, at: SampleAt): WindowOutput {
    const o = this.options;
    const where = at.where ?? 'msg.payload';
    this.checkTime(at, where, this.clock);
    const key = o.groupBy === 'none' ? null : checkKey(at.key, where);
    const time = o.time === 'arrival' ? Math.max(at.time, this.clock) : at.time;
    let group = this.groups.get(key);

    // Validate everything before changing anything.
    let rows: ArrayLike<ArrayLike<number>>;
    let layout: Layout | null = null;
    let tag = -1;
    let newName: string | null = null;
    if (o.groupBy === 'align') {
      const name = this.readingName(at.name, where);
      const aligner = this.aligners.get(key);
      tag = aligner
        ? (aligner.index.get(name) ?? -1)
        : this.options.features
          ? this.options.features.indexOf(name)
          : -1;
      if (tag < 0) {
        if (this.options.features || aligner?.fixed) {
          throw new SampleError(
            `${where} is a reading of ${quoteText(name)}, which is not one of the features ` +
              `${describeNames(this.options.features ?? [])}. Add it to the node's "Features", or filter it out before this node.`,
          );
        }
        const known = aligner ? aligner.names.length : 0;
        if (known >= o.maxFeatures) {
          throw new SampleError(
            `${where} is a reading of ${quoteText(name)}, which would be feature ${known + 1} of ` +
              `${key === null ? 'the aligned rows' : `key ${quoteText(String(key))}`}, more than maxFeatures ` +
              `(${o.maxFeatures}). List the expected names in "Features" (other topics are then rejected), ` +
              'filter the topics before this node, or raise "Max features".',
          );
        }
        newName = name;
      }
      this.checkReading(value, where, name);
      this.scratch[0] = value as number;
      rows = this.oneRow;
      this.oneRow[0] = this.scratch;
    } else {
      rows = this.readRows(value, group, where);
      layout = group ? null : this.pendingLayout;
    }
    const count = rows.length;

    const lateWatermark = this.closed;
    let partial = false;
    if (o.mode === 'time') {
      if (this.lastStart(time) + o.size <= lateWatermark)
        return this.reportLate(time, key, at.name, count, false);
      partial = this.firstStart(time) + o.size <= lateWatermark;
    } else if (o.mode === 'session') {
      if (time + o.gap <= lateWatermark && !this.touchesSession(group, time)) {
        return this.reportLate(time, key, at.name, count, false);
      }
    }

    const clock = Math.max(this.clock, time);
    const watermark = o.time === 'event' ? clock - o.lateness : clock;
    this.checkCapacity(group, count, watermark, key, clock);

    // Commit.
    this.output = null;
    this.clock = clock;
    if (o.mode !== 'count') this.closeTo(watermark);
    this.expire(clock);
    this.makeRoomFor(key);
    if (newName !== null || (o.groupBy === 'align' && !this.aligners.has(key))) {
      tag = this.commitName(key, newName ?? (at.name as string));
    }
    const aligned = o.groupBy === 'align';
    group =
      this.groups.get(key) ??
      this.createGroup(key, aligned ? null : (layout ?? this.layoutAfterClose(group)), time);
    if (o.mode === 'count') this.insertCount(group, time, rows, tag);
    else if (o.mode === 'time') this.insertTime(group, time, rows, tag);
    else this.insertSession(group, time, rows, tag);
    if (partial) this.collect().late.push(this.lateReport(time, key, at.name, count, true));
    this.touch(key, clock);
    return this.finish();
  }

  /**
   * @param clock the stream time to check the horizon against (−∞: only the caller's clock).
   * @throws SampleError when the time is not a date, or (event time) farther than `horizon` from
   *   the stream time or ahead of the caller's clock.
   */
  private checkTime(at: SampleAt, where: string, clock: number): void {
    const time = at.time;
    const what = at.timeWhere ?? `The time of ${where}`;
    if (typeof time !== 'number' || !Number.isFinite(time)) {
      throw new SampleError(`${what} is ${String(time)}: a sample needs a finite time in ms.`);
    }
    checkTimeRange(time, what);
    if (this.options.time !== 'event') return;
    const horizon = this.options.horizon;
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

  /** @throws SampleError unless `value` is one finite reading within the accepted magnitude. */
  private checkReading(value: unknown, where: string, name: string): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new SampleError(
        `${where} is ${describeReading(value)}: aligning topics needs one finite number per message` +
          `${name ? ` (the reading of ${quoteText(name)})` : ''}.`,
      );
    }
    if (Math.abs(value) > MAX_WINDOW_VALUE) throw tooLarge(where, value);
  }

  /**
   * Moves the clock to `now` and closes every window that ends by then (arrival time). With
   * event time only samples move time, so this returns nothing.
   */
  advance(now: number): WindowOutput {
    if (this.options.mode === 'count' || this.options.time === 'event' || !Number.isFinite(now))
      return NOTHING;
    if (Math.abs(now) > MAX_TIME_MS) return NOTHING;
    this.output = null;
    this.clock = Math.max(this.clock, now);
    this.closeTo(this.clock);
    this.expire(this.clock);
    return this.finish();
  }

  /**
   * Emits every open window now, whether or not it has ended, and starts afresh (windows only:
   * the stream time and aligned features' last values are kept). A count window emits what it
   * holds, unless everything in it was already emitted (a sliding window's overlap).
   * @param now with arrival time, first closes what has ended by `now`.
   */
  flush(now?: number): WindowOutput {
    this.output = null;
    if (now !== undefined && this.options.time === 'arrival' && Math.abs(now) <= MAX_TIME_MS) {
      this.clock = Math.max(this.clock, now);
      if (this.options.mode !== 'count') this.closeTo(this.clock);
    }
    const closing: Group[] = [...this.groups.values()];
    this.groups.clear();
    for (const group of closing) {
      if (this.options.mode === 'count') this.flushCount(group);
      else if (this.options.mode === 'time') this.flushTime(group);
      else for (const session of group.sessions) this.emitSession(group, session);
    }
    this.held = 0;
    this.hint = Infinity;
    return this.finish();
  }

  /**
   * Drops open windows without emitting them.
   * @param key drop only this key's windows (and aligned features); omit to drop everything and
   *   also forget the stream time.
   */
  reset(key?: WindowKey): void {
    if (key === undefined) {
      this.groups.clear();
      this.aligners.clear();
      this.recency.clear();
      this.held = 0;
      this.clock = -Infinity;
      this.closed = -Infinity;
      this.hint = Infinity;
      return;
    }
    const k = this.options.groupBy === 'none' ? null : key;
    const group = this.groups.get(k);
    if (group) {
      this.held -= group.held;
      this.groups.delete(k);
    }
    this.aligners.delete(k);
    this.recency.delete(k);
  }

  // ---- keys: least recently used, idle expiry -------------------------------------------------
  // A key's place in `recency` is where it was queued; a use only writes its time. Expiry and
  // eviction look at the front: a key used since it was queued is queued again at its last use
  // (a second chance) rather than moved on every sample, which would cost a map delete and
  // insert per message. So the key evicted for maxKeys is one used least recently, and an idle
  // key is forgotten once idleTimeout has passed (later, by less than idleTimeout, when another
  // key's requeued use precedes it).

  private touch(key: WindowKey, clock: number): void {
    if (this.options.groupBy === 'none') return;
    const use = this.recency.get(key);
    if (use) use.seen = clock;
    else this.recency.set(key, { seen: clock, queued: clock });
  }

  private requeue(key: WindowKey, use: KeyUse): void {
    this.recency.delete(key);
    use.queued = use.seen;
    this.recency.set(key, use);
  }

  /** Forgets keys without a sample for `idleTimeout` (and whose time/session windows have closed). */
  private expire(clock: number): void {
    if (this.options.groupBy === 'none' || this.idleAfter === Infinity) return;
    for (const [key, use] of this.recency) {
      if (clock - use.queued < this.idleAfter) break;
      if (clock - use.seen < this.idleAfter) {
        this.requeue(key, use);
        continue;
      }
      const group = this.groups.get(key);
      // A time or session window still open is never dropped (it closes before idleAfter).
      if (group && group.held > 0 && this.options.mode !== 'count') break;
      this.forget(key, 'idle');
    }
  }

  /** Before a new key joins at `maxKeys`, one used least recently is forgotten. */
  private makeRoomFor(key: WindowKey): void {
    if (this.options.groupBy === 'none' || this.recency.has(key)) return;
    while (this.recency.size >= this.options.maxKeys) {
      const [oldest, use] = this.recency.entries().next().value as [WindowKey, KeyUse];
      if (use.seen > use.queued) this.requeue(oldest, use);
      else this.forget(oldest, 'maxKeys');
    }
  }

  private forget(key: WindowKey, reason: DroppedKeys['reason']): void {
    const group = this.groups.get(key);
    const samples = group ? group.held : 0;
    if (group) {
      this.held -= samples;
      this.groups.delete(key);
    }
    this.aligners.delete(key);
    this.recency.delete(key);
    const output = this.collect();
    output.dropped ??= [];
    const entry = output.dropped.find((d) => d.reason === reason);
    if (entry) {
      entry.keys++;
      entry.samples += samples;
    } else output.dropped.push({ reason, keys: 1, samples, key });
  }

  /** Samples that forgetting idle keys at `clock` would release (what {@link expire} forgets). */
  private heldForgottenBy(key: WindowKey, clock: number): number {
    if (this.options.groupBy === 'none' || this.idleAfter === Infinity) return 0;
    let freed = 0;
    for (const [k, use] of this.recency) {
      if (clock - use.queued < this.idleAfter) break;
      if (clock - use.seen < this.idleAfter) continue;
      const group = this.groups.get(k);
      if (group && group.held > 0 && this.options.mode !== 'count') break;
      if (k !== key) freed += group?.held ?? 0;
    }
    return freed;
  }

  // ---- reading samples ------------------------------------------------------------------------

  /** Validates a sample against its key's layout; fast paths avoid allocating for plain numbers. */
  private readRows(value: unknown, group: Group | undefined, where: string): ArrayLike<ArrayLike<number>> {
    const layout = group?.layout ?? null;
    if (
      layout &&
      typeof value === 'number' &&
      layout.shape === 'number' &&
      Math.abs(value) <= MAX_WINDOW_VALUE
    ) {
      this.scratch[0] = value;
      this.oneRow[0] = this.scratch;
      return this.oneRow;
    }
    if (
      layout &&
      layout.shape === 'array' &&
      Array.isArray(value) &&
      value.length === layout.schema.dimension
    ) {
      let ok = true;
      for (let j = 0; j < value.length && ok; j++) {
        const v: unknown = value[j];
        ok = typeof v === 'number' && Math.abs(v) <= MAX_WINDOW_VALUE;
      }
      if (ok) {
        this.oneRow[0] = value as number[];
        return this.oneRow;
      }
    }
    // The reader checks every value's magnitude too.
    const sample = this.reader.read(value, layout?.schema ?? null, where);
    if (layout && sample.shape !== layout.shape) {
      throw new SampleError(
        `${where} is ${shapeName(sample.shape)}, but the open window${group?.key === null || group === undefined ? '' : ` of key ${quoteText(String(group.key))}`} ` +
          `holds ${shapeName(layout.shape)}: every sample of a window must have the same form. ` +
          'Send msg.flush or msg.reset to start new windows.',
      );
    }
    if (!layout) {
      const features = sample.features;
      this.pendingLayout = {
        shape: sample.shape,
        schema: { dimension: sample.dimension, features },
        names: features ?? positionalNames(sample.dimension),
      };
    }
    return sample.rows;
  }

  /** A closed group's layout still describes this sample (it was read against it). */
  private layoutAfterClose(group: Group | undefined): Layout | null {
    return group?.layout ?? this.pendingLayout;
  }

  private readingName(name: unknown, where: string): string {
    if (typeof name !== 'string' || name.length === 0) {
      throw new SampleError(
        `${where} has no feature name: aligning needs the topic (or key) of each reading, e.g. "factory/m1/temp".`,
      );
    }
    if (isForbiddenName(name))
      throw new SampleError(`${quoteText(name)} cannot be a feature name (${where}).`);
    return name;
  }

  private commitName(key: WindowKey, name: string): number {
    let aligner = this.aligners.get(key);
    if (!aligner) {
      const names = this.options.features ? [...this.options.features] : [];
      aligner = {
        names,
        index: new Map(names.map((n, i) => [n, i])),
        fixed: this.options.features !== null,
        last: names.map(() => NaN),
        lastTime: names.map(() => -Infinity),
      };
      this.aligners.set(key, aligner);
    }
    let tag = aligner.index.get(name);
    if (tag === undefined) {
      tag = aligner.names.length;
      aligner.names.push(name);
      aligner.index.set(name, tag);
      aligner.last.push(NaN);
      aligner.lastTime.push(-Infinity);
    }
    return tag;
  }

  private createGroup(key: WindowKey, layout: Layout | null, time: number): Group {
    const o = this.options;
    const width = layout ? layout.schema.dimension : ALIGN_LAYOUT_WIDTH;
    const group: Group = {
      key,
      layout,
      held: 0,
      ring: o.mode === 'count' ? new Ring(width, layout === null, o.size) : null,
      panes: [],
      sessions: [],
      emitFrom: o.mode === 'time' ? Math.max(this.firstStart(time), this.firstStartAfter(this.closed)) : 0,
      open: 0,
    };
    this.groups.set(key, group);
    return group;
  }

  // ---- bounds and lateness --------------------------------------------------------------------

  private checkCapacity(
    group: Group | undefined,
    count: number,
    watermark: number,
    key: WindowKey,
    clock: number,
  ): void {
    const o = this.options;
    let after: number;
    if (o.mode === 'count') {
      const held = group?.held ?? 0;
      let total = held + count;
      if (total >= o.size) total -= (Math.floor((total - o.size) / o.step) + 1) * o.step;
      after = this.held - held + total;
    } else {
      after = this.held + count;
      if (after > o.maxSamples) after -= this.heldClosingBy(watermark);
    }
    if (after > o.maxSamples) after -= this.heldForgottenBy(key, clock);
    if (after <= o.maxSamples) return;
    throw new WindowOverflowError(
      `Window buffer full: adding ${count} sample${count === 1 ? '' : 's'} would hold ${after}, more than ` +
        `maxSamples (${o.maxSamples}) across ${this.openWindows} open window(s) of ${this.groups.size} key(s). ` +
        'Nothing was added. Raise maxSamples, use shorter windows, or send msg.flush.',
    );
  }

  /** Samples that closing windows up to `watermark` would release. */
  private heldClosingBy(watermark: number): number {
    if (!(watermark > this.closed)) return 0;
    const o = this.options;
    let freed = 0;
    for (const group of this.groups.values()) {
      if (o.mode === 'time') {
        for (const pane of group.panes) {
          if (this.lastStart(pane.start) + o.size > watermark) break;
          freed += pane.rows.length;
        }
      } else {
        for (const session of group.sessions) {
          if (session.last + o.gap > watermark) break;
          freed += session.rows.length;
        }
      }
    }
    return freed;
  }

  private touchesSession(group: Group | undefined, time: number): boolean {
    return group !== undefined && this.sessionRange(group, time)[1] >= 0;
  }

  private lateReport(
    time: number,
    key: WindowKey,
    name: string | undefined,
    count: number,
    added: boolean,
  ): LateSample {
    const report: LateSample = { time, key, count, closedUpTo: this.closed, added };
    if (this.options.groupBy === 'align' && name !== undefined) report.name = name;
    return report;
  }

  private reportLate(
    time: number,
    key: WindowKey,
    name: string | undefined,
    count: number,
    added: boolean,
  ): WindowOutput {
    return { windows: [], late: [this.lateReport(time, key, name, count, added)], incomplete: [] };
  }

  // ---- count windows --------------------------------------------------------------------------

  private insertCount(group: Group, time: number, rows: ArrayLike<ArrayLike<number>>, tag: number): void {
    const ring = group.ring as Ring;
    const { size, step } = this.options;
    for (let i = 0; i < rows.length; i++) {
      ring.push(time, rows[i], tag);
      this.held++;
      group.held++;
      if (ring.length === size) {
        const window = ring.snapshot();
        // Keep only the overlap: the rows the next window shares.
        ring.drop(step);
        this.held -= step;
        group.held -= step;
        this.emit(group, window, window.minTime, window.maxTime);
      }
    }
    if (group.held === 0) this.groups.delete(group.key);
  }

  private flushCount(group: Group): void {
    const ring = group.ring as Ring;
    if (ring.fresh === 0 || ring.length === 0) return;
    const window = ring.snapshot();
    this.emit(group, window, window.minTime, window.maxTime);
  }

  // ---- time windows ---------------------------------------------------------------------------

  /** Start of the last (latest) window containing `t`. */
  private lastStart(t: number): number {
    return Math.floor(t / this.options.step) * this.options.step;
  }

  /** Start of the first (earliest) window containing `t`. */
  private firstStart(t: number): number {
    const { size, step } = this.options;
    return Math.floor((t - size) / step) * step + step;
  }

  /** Start of the first window ending after `t`. */
  private firstStartAfter(t: number): number {
    return t === -Infinity ? -Infinity : this.firstStart(t);
  }

  private insertTime(group: Group, time: number, rows: ArrayLike<ArrayLike<number>>, tag: number): void {
    const start = Math.floor(time / this.pane) * this.pane;
    const panes = group.panes;
    const lastPane = panes.length > 0 ? panes[panes.length - 1] : undefined;
    let pane: Pane;
    if (lastPane && lastPane.start === start) {
      pane = lastPane;
    } else if (!lastPane || start > lastPane.start) {
      pane = { start, rows: new Rows(group.layout ? group.layout.schema.dimension : 1, !group.layout) };
      panes.push(pane);
      this.countNewPane(group, start);
    } else {
      const i = lowerBound(panes, start);
      if (panes[i].start === start) {
        pane = panes[i];
      } else {
        pane = { start, rows: new Rows(group.layout ? group.layout.schema.dimension : 1, !group.layout) };
        panes.splice(i, 0, pane);
        group.open = -1;
      }
    }
    for (let i = 0; i < rows.length; i++) pane.rows.push(time, rows[i], tag);
    group.held += rows.length;
    this.held += rows.length;
    const closesAt = Math.max(this.firstStart(time), this.firstStartAfter(this.closed)) + this.options.size;
    if (closesAt < this.hint) this.hint = closesAt;
  }

  /** Keeps the open-window count current when a pane is appended after all others. */
  private countNewPane(group: Group, start: number): void {
    if (group.open < 0 || this.options.emitEmpty) {
      group.open = -1;
      return;
    }
    const step = this.options.step;
    const panes = group.panes;
    const previous = panes.length > 1 ? this.lastStart(panes[panes.length - 2].start) : -Infinity;
    const from = Math.max(this.firstStart(start), previous + step, this.firstStartAfter(this.closed));
    const to = this.lastStart(start);
    if (to >= from) group.open += Math.round((to - from) / step) + 1;
  }

  private openOf(group: Group): number {
    const o = this.options;
    if (o.mode === 'count') return group.held > 0 ? 1 : 0;
    if (o.mode === 'session') return group.sessions.length;
    if (group.open >= 0 && !o.emitEmpty) return group.open;
    let open = 0;
    let covered = -Infinity;
    const lowest = o.emitEmpty ? group.emitFrom : this.firstStartAfter(this.closed);
    for (const pane of group.panes) {
      const from = Math.max(this.firstStart(pane.start), covered + o.step, lowest);
      const to = this.lastStart(pane.start);
      if (to >= from) {
        open += Math.round((to - from) / o.step) + 1;
        covered = to;
      }
    }
    if (o.emitEmpty) {
      // Every window from the first not yet emitted up to the last one with samples is open.
      const last = Math.max(covered, group.emitFrom);
      open = Math.round((last - group.emitFrom) / o.step) + 1;
    } else {
      group.open = open;
    }
    return open;
  }

  /** Emits a group's time windows ending in (previous, watermark], then frees panes no window needs. */
  private closeTime(group: Group, previous: number, watermark: number): void {
    const { size, step, emitEmpty } = this.options;
    const panes = group.panes;
    // The last window closing: the largest start with start + size ≤ watermark.
    const last = Math.floor((watermark - size) / step) * step;
    let from = this.firstStartAfter(previous);
    if (emitEmpty) from = Math.max(from, group.emitFrom);
    const next = this.emitTimeRange(group, from, last);
    if (emitEmpty) group.emitFrom = next;
    let dropped = 0;
    let freed = 0;
    while (dropped < panes.length && this.lastStart(panes[dropped].start) + size <= watermark) {
      freed += panes[dropped].rows.length;
      dropped++;
    }
    if (dropped > 0) {
      panes.splice(0, dropped);
      group.held -= freed;
      this.held -= freed;
    }
    group.open = -1;
  }

  /**
   * Emits a group's time windows starting in [from, to], in order, and returns the start after the
   * last one handled. The loop moves from one window holding samples to the next: at most
   * size / step windows per pane, plus one step per gap. Empty windows go out only with
   * emitEmpty, and a gap of more than {@link WINDOW_LIMITS}.emptyWindows of them (a stream silent
   * for long, a clock jump) is skipped and reported, never enumerated.
   */
  private emitTimeRange(group: Group, from: number, to: number): number {
    const { size, step, emitEmpty } = this.options;
    const panes = group.panes;
    let i = 0;
    let start = from;
    while (start <= to) {
      while (i < panes.length && panes[i].start < start) i++;
      const next = i < panes.length ? panes[i].start : Infinity;
      if (next < start + size) {
        this.emitTimeWindow(group, start);
        // Times are checked to lie within ±8.64e15 ms, where a step always moves (below 2^53);
        // should a time ever escape that check, stop rather than loop forever.
        if (!(start + step > start)) break;
        start += step;
        continue;
      }
      // Windows from `start` up to the first one holding the next pane are empty. That one
      // starts after `start` (next ≥ start + size), so the loop always moves on.
      const resume = Math.min(next === Infinity ? Infinity : this.firstStart(next), to + step);
      if (emitEmpty) {
        const empty = Math.round((resume - start) / step);
        if (empty > WINDOW_LIMITS.emptyWindows) this.noteSkipped(group.key, start, resume, empty);
        else for (let k = 0; k < empty; k++) this.emitTimeWindow(group, start + k * step);
      }
      if (!(resume > start)) break;
      start = resume;
    }
    return start;
  }

  private noteSkipped(key: WindowKey, from: number, to: number, windows: number): void {
    const output = this.collect();
    const skipped = output.skipped;
    if (!skipped) {
      output.skipped = { windows, gaps: 1, from, to, key };
      return;
    }
    skipped.windows += windows;
    skipped.gaps++;
    skipped.from = Math.min(skipped.from, from);
    skipped.to = Math.max(skipped.to, to);
  }

  private emitTimeWindow(group: Group, start: number): void {
    const end = start + this.options.size;
    const panes = group.panes;
    let total = 0;
    const first = lowerBound(panes, start);
    let stop = first;
    for (; stop < panes.length && panes[stop].start < end; stop++) total += panes[stop].rows.length;
    const rows = new Rows(group.layout ? group.layout.schema.dimension : 1, !group.layout, total);
    for (let i = first; i < stop; i++) {
      panes[i].rows.sortByTime();
      rows.append(panes[i].rows);
    }
    if (rows.length > 0 || this.options.emitEmpty) this.emit(group, rows, start, end);
  }

  private flushTime(group: Group): void {
    const panes = group.panes;
    if (panes.length === 0) return;
    let from = this.firstStartAfter(this.closed);
    if (this.options.emitEmpty) from = Math.max(from, group.emitFrom);
    this.emitTimeRange(group, from, this.lastStart(panes[panes.length - 1].start));
  }

  // ---- session windows ------------------------------------------------------------------------

  /** Indices [from, to] of the sessions a sample at `time` joins (to < from when none). */
  private sessionRange(group: Group, time: number): [number, number] {
    const gap = this.options.gap;
    const sessions = group.sessions;
    let to = sessions.length - 1;
    while (to >= 0 && sessions[to].first - gap >= time) to--;
    let from = to;
    while (from >= 0 && sessions[from].last + gap > time) from--;
    from++;
    return from <= to ? [from, to] : [0, -1];
  }

  private insertSession(group: Group, time: number, rows: ArrayLike<ArrayLike<number>>, tag: number): void {
    const sessions = group.sessions;
    const [from, to] = this.sessionRange(group, time);
    let session: Session;
    if (to < from) {
      session = {
        first: time,
        last: time,
        rows: new Rows(group.layout ? group.layout.schema.dimension : 1, !group.layout),
      };
      const at = sessions.findIndex((s) => s.first > time);
      sessions.splice(at < 0 ? sessions.length : at, 0, session);
    } else {
      session = sessions[from];
      // A sample bridging sessions (out-of-order event time) merges them, oldest first.
      for (let i = from + 1; i <= to; i++) {
        session.rows.append(sessions[i].rows);
        session.last = Math.max(session.last, sessions[i].last);
      }
      if (to > from) sessions.splice(from + 1, to - from);
      session.first = Math.min(session.first, time);
      session.last = Math.max(session.last, time);
    }
    for (let i = 0; i < rows.length; i++) session.rows.push(time, rows[i], tag);
    group.held += rows.length;
    this.held += rows.length;
    if (session.last + this.options.gap < this.hint) this.hint = session.last + this.options.gap;
  }

  private closeSessions(group: Group, watermark: number): void {
    const sessions = group.sessions;
    let closing = 0;
    while (closing < sessions.length && sessions[closing].last + this.options.gap <= watermark) {
      const session = sessions[closing++];
      group.held -= session.rows.length;
      this.held -= session.rows.length;
      this.emitSession(group, session);
    }
    if (closing > 0) sessions.splice(0, closing);
  }

  private emitSession(group: Group, session: Session): void {
    session.rows.sortByTime();
    this.emit(group, session.rows, session.first, session.last);
  }

  // ---- closing --------------------------------------------------------------------------------

  private closeTo(watermark: number): void {
    if (!(watermark > this.closed)) return;
    const previous = this.closed;
    this.closed = watermark;
    if (watermark < this.hint) return;
    const before = this.output?.windows.length ?? 0;
    let keys = 0;
    for (const group of this.groups.values()) {
      const emitted = this.output?.windows.length ?? 0;
      if (this.options.mode === 'time') this.closeTime(group, previous, watermark);
      else this.closeSessions(group, watermark);
      if ((this.output?.windows.length ?? 0) > emitted) keys++;
      if (group.held === 0 && !this.options.emitEmpty) this.groups.delete(group.key);
    }
    if (keys > 1 && this.output) {
      // Across keys, windows go out in the order they closed, as one stream would produce them.
      const closedNow = this.output.windows
        .splice(before)
        .sort((a, b) => this.closeTimeOf(a) - this.closeTimeOf(b));
      this.output.windows.push(...closedNow);
    }
    this.hint = this.computeHint();
  }

  private closeTimeOf(window: EmittedWindow): number {
    return this.options.mode === 'session' ? window.end + this.options.gap : window.end;
  }

  private computeHint(): number {
    const o = this.options;
    let hint = Infinity;
    for (const group of this.groups.values()) {
      let at = Infinity;
      if (o.mode === 'session') {
        if (group.sessions.length > 0) at = group.sessions[0].last + o.gap;
      } else if (o.mode === 'time') {
        const lowest = this.firstStartAfter(this.closed);
        if (o.emitEmpty) at = Math.max(group.emitFrom, lowest) + o.size;
        else if (group.panes.length > 0)
          at = Math.max(this.firstStart(group.panes[0].start), lowest) + o.size;
      }
      if (at < hint) hint = at;
    }
    return hint;
  }

  // ---- emitting -------------------------------------------------------------------------------

  private collect(): WindowOutput {
    if (!this.output) this.output = { windows: [], late: [], incomplete: [] };
    return this.output;
  }

  private finish(): WindowOutput {
    const output = this.output ?? NOTHING;
    this.output = null;
    return output;
  }

  private emit(group: Group, rows: Rows, start: number, end: number): void {
    if (group.layout) {
      this.collect().windows.push({
        start,
        end,
        count: rows.length,
        key: group.key,
        value: this.shapeWindow(group.layout, rows),
      });
    } else {
      this.emitAligned(group.key, rows, start, end);
    }
  }

  /** The payload of a window of whole samples. */
  private shapeWindow(layout: Layout, rows: Rows): unknown {
    const o = this.options;
    const n = rows.length;
    const d = layout.schema.dimension;
    const values = rows.values;
    if (o.emit === 'vector') return plainArray(values, 0, n * d);
    if (o.emit === 'samples') {
      const batch = new Array<unknown>(n);
      for (let i = 0; i < n; i++) {
        batch[i] =
          layout.shape === 'object'
            ? namedRow(layout.names, values.subarray(i * d, i * d + d))
            : plainArray(values, i * d, d);
      }
      return batch;
    }
    const stats: (number | null)[][] = [];
    const column = new Float64Array(n);
    for (let j = 0; j < d; j++) {
      for (let i = 0; i < n; i++) column[i] = values[i * d + j];
      stats.push(summarize(column, o.aggregates));
    }
    if (o.aggregates.length === 1) {
      if (layout.shape === 'number') return stats[0][0];
      if (layout.shape === 'array') return stats.map((s) => s[0]);
      return namedRow(
        layout.names,
        stats.map((s) => s[0]),
      );
    }
    return namedRow(aggregateNames(layout.names, o.aggregates), stats.flat());
  }

  /** An aligned window becomes one row: each feature's last reading (or its aggregates). */
  private emitAligned(key: WindowKey, rows: Rows, start: number, end: number): void {
    const o = this.options;
    const aligner = this.aligners.get(key) as Aligner;
    const m = aligner.names.length;
    const columns: number[][] = Array.from({ length: m }, () => []);
    const times: number[] = new Array<number>(m).fill(-Infinity);
    const tags = rows.tags as Int32Array;
    for (let i = 0; i < rows.length; i++) {
      columns[tags[i]].push(rows.values[i]);
      times[tags[i]] = rows.times[i];
    }
    const filled: string[] = [];
    const missing: string[] = [];
    const lastValues: Record<string, number> = {};
    for (let f = 0; f < m; f++) {
      const name = aligner.names[f];
      if (columns[f].length > 0) lastValues[name] = columns[f][columns[f].length - 1];
      else if (!Number.isNaN(aligner.last[f])) {
        filled.push(name);
        lastValues[name] = aligner.last[f];
      } else missing.push(name);
    }
    // Remember the latest reading of each feature, to fill later windows that lack it.
    for (let f = 0; f < m; f++) {
      if (columns[f].length > 0 && times[f] >= aligner.lastTime[f]) {
        aligner.last[f] = columns[f][columns[f].length - 1];
        aligner.lastTime[f] = times[f];
      }
    }
    if (missing.length > 0) {
      this.collect().incomplete.push({ start, end, count: rows.length, key, missing, value: lastValues });
      return;
    }
    let value: unknown;
    if (o.emit === 'samples')
      value = namedRow(
        aligner.names,
        aligner.names.map((name) => lastValues[name]),
      );
    else if (o.emit === 'vector') value = aligner.names.map((name) => lastValues[name]);
    else {
      const stats = aligner.names.map((name, f) =>
        columns[f].length > 0 ? summarize(columns[f], o.aggregates) : carried(lastValues[name], o.aggregates),
      );
      value =
        o.aggregates.length === 1
          ? namedRow(
              aligner.names,
              stats.map((s) => s[0]),
            )
          : namedRow(aggregateNames(aligner.names, o.aggregates), stats.flat());
    }
    this.collect().windows.push({ start, end, count: rows.length, key, value, filled });
  }
}

/**
 * Aggregates of a feature that had no reading in the window: `count` and `sum` are those of the
 * window (0), every other statistic is the carried last value (its `std` is 0).
 */
function carried(last: number, aggregates: readonly AggregateName[]): number[] {
  return aggregates.map((name) => (name === 'count' || name === 'sum' ? 0 : name === 'std' ? 0 : last));
}

/** A plain array of `count` values from `offset`: what goes out in a message (JSON, not typed). */
function plainArray(values: Float64Array, offset: number, count: number): number[] {
  const out = new Array<number>(count);
  for (let j = 0; j < count; j++) out[j] = values[offset + j];
  return out;
}

function namedRow(names: readonly string[], values: ArrayLike<number | null>): Record<string, number | null> {
  const row: Record<string, number | null> = {};
  for (let j = 0; j < names.length; j++) row[names[j]] = values[j];
  return row;
}

function lowerBound(panes: readonly Pane[], start: number): number {
  let lo = 0;
  let hi = panes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (panes[mid].start < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkKey(key: unknown, where: string): WindowKey {
  if (key === undefined || key === null) return null;
  if (typeof key === 'string' || typeof key === 'boolean') return key;
  if (typeof key === 'number' && Number.isFinite(key)) return key;
  throw new SampleError(
    `The key of ${where} is ${typeof key === 'number' ? String(key) : `a ${typeof key}`}: ` +
      'a window key must be a string or a number.',
  );
}

function tooLarge(where: string, value: number): SampleError {
  return magnitudeError(where, value);
}

function shapeName(shape: SampleShape): string {
  return shape === 'number' ? 'a number' : shape === 'array' ? 'an array' : 'an object';
}

function describeReading(value: unknown): string {
  if (typeof value === 'string') return `a string (${JSON.stringify(value.slice(0, 40))})`;
  if (typeof value === 'number') return String(value);
  if (value === null || value === undefined) return String(value ?? 'missing');
  return describeValue(value);
}
