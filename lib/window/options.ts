/**
 * A window's settings: their defaults, their bounds, and the one check of them all, which the
 * node runs once when deployed and the engine relies on.
 */
import { MAX_WINDOW_VALUES, parseAggregates, type AggregateName } from '../aggregate';
import { checkFeatureNames, DEFAULT_MAX_DIMENSION, MAX_DIMENSION_SETTING } from '../samples';
import type { EmitKind, GroupBy, TimeBasis, WindowMode } from './types';

/**
 * Bounds on the settings, so that no setting can make the engine hold, loop over or emit without
 * limit. Every time is exact in a double (|t| ≤ 8.64e15 ms plus a span stays below 2^53), so
 * stepping from one window start to the next always moves.
 */
export const WINDOW_LIMITS = Object.freeze({
  /** Most samples held across all windows and keys (see MAX_WINDOW_VALUES in ../aggregate). */
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
  /**
   * Most empty windows a second (of the window clock) that `emitEmpty` may send across all keys:
   * maxKeys (1 without keys) × 1000 / step ms must stay within it, checked at deploy.
   */
  emptyWindowsPerSecond: 10_000,
  /**
   * Windows one call sends when many close at once (a clock jump, a long silence with many
   * keys): keys close one after the other, the last one halfway if need be, until this many went
   * out; the rest follow in the next calls (`WindowEngine.resume`), one event-loop turn each in
   * the node. A call that adds a sample first sends that sample's own key in full.
   */
  windowsPerCall: 500,
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

/** Every options object {@link resolveWindowOptions} returned (frozen, so still valid). */
const RESOLVED = new WeakSet<object>();

/**
 * Applies defaults and checks a window's settings, alone and together (step ≤ size, size / step,
 * gap > 0, aggregate names, maxSamples ≥ size, horizon ≥ lateness, the features listed against
 * maxFeatures and maxDimension), without building an engine.
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
  const emitEmpty = mode === 'time' && options.emitEmpty === true;
  if (emitEmpty) checkEmptyRate(groupBy === 'none' ? 1 : maxKeys, step);
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
  const resolved: ResolvedWindowOptions = Object.freeze({
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
    emitEmpty,
    horizon,
    maxKeys,
    idleTimeout,
    maxFeatures,
    maxDimension,
  });
  RESOLVED.add(resolved);
  return resolved;
}

/** `emitEmpty`'s bound: every key sends a window a step, empty or not. */
function checkEmptyRate(keys: number, step: number): void {
  const limit = WINDOW_LIMITS.emptyWindowsPerSecond;
  const rate = (keys * 1000) / step;
  if (rate <= limit) return;
  throw new RangeError(
    `setting "emitEmpty" with ${keys} key(s) (maxKeys) and a step of ${step} ms could send ${Math.round(rate)} ` +
      `empty windows a second, more than ${limit}: lower maxKeys to ${Math.floor((limit * step) / 1000) || 1} or below, ` +
      `or set a step of at least ${Math.ceil((keys * 1000) / limit)} ms`,
  );
}

/**
 * Options as {@link resolveWindowOptions} returned them: an engine given these uses them as they
 * are, so a node checks its settings once and builds its engine from the result.
 */
export function isResolvedWindowOptions(
  options: WindowOptions | ResolvedWindowOptions,
): options is ResolvedWindowOptions {
  return RESOLVED.has(options);
}
