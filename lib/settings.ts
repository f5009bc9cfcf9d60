/**
 * The one home of every numeric node setting's default and bounds. The nodes read their settings
 * through this table at deploy, and the build writes it into each node's editor page, where the
 * form's validators and placeholders read it: the editor accepts exactly what a deploy accepts.
 */
import { DEFAULT_MAX_DIMENSION, MAX_DIMENSION_SETTING, type SampleNodeType } from './samples';
import { WINDOW_DEFAULTS, WINDOW_LIMITS } from './window/options';
import { KMEANS_DEFAULTS } from './kmeans/options';
import { ALARM_BOUNDS, ALARM_DEFAULTS } from './pca/alarm';

/** A numeric setting: its default, and the values a deploy accepts. */
export interface NumberSettingSpec {
  /** What a node new in the editor holds: a number, or '' (blank, which means `blank`). */
  readonly value: number | '';
  /** What a blank setting means; absent when blank picks a value at run time (warm-up). */
  readonly blank?: number;
  readonly min: number;
  readonly max: number;
  /** When true, `min` itself is not allowed (a value must be above it). */
  readonly aboveMin?: boolean;
  readonly integer?: boolean;
}

/** Half-life in samples: beyond 1e12 the decay factor is 1 to within 1e-12. */
const MAX_HALF_LIFE = 1e12;

/** Settings every learner (standardize, pca, k-means) has. */
function learnerNumbers(type: SampleNodeType): Record<string, NumberSettingSpec> {
  return {
    /** Samples before a model transforms (k-means keeps them all in its warm-up buffer). */
    warmupSamples: { value: '', min: 1, max: 1_000_000, integer: true },
    halfLife: { value: 0, blank: 0, min: 0, max: MAX_HALF_LIFE },
    /** Models kept per node. */
    maxKeys: { value: 1000, blank: 1000, min: 1, max: 1_000_000, integer: true },
    maxDimension: {
      value: '',
      blank: DEFAULT_MAX_DIMENSION[type],
      min: 1,
      max: MAX_DIMENSION_SETTING[type],
      integer: true,
    },
    /** Seconds between shares (0: no sharing); at most a day. */
    shareEvery: { value: 0, blank: 0, min: 0, max: 86_400 },
    /** Seconds before a silent peer's model is dropped (0: never); at most a year. */
    peerExpiry: { value: 0, blank: 0, min: 0, max: 31_536_000 },
  };
}

const SPAN = WINDOW_LIMITS.span;

/**
 * Every numeric setting of every node, by node type and setting name. `ml-window`'s `size` is
 * read as `size` in count mode and as `size.time` (ms) in time mode. PCA's `components` is either
 * a whole number or a fraction of variance and has its own rule (nodes/ml-pca).
 */
export const NUMBER_SETTINGS: Readonly<Record<SampleNodeType, Readonly<Record<string, NumberSettingSpec>>>> =
  Object.freeze({
    'ml-standardize': learnerNumbers('ml-standardize'),
    'ml-pca': {
      ...learnerNumbers('ml-pca'),
      /** A model refitted less often than every million samples would serve stale components. */
      refitEvery: { value: 100, blank: 100, min: 1, max: 1_000_000, integer: true },
      confidence: { value: 0.95, blank: 0.95, min: 0.5, max: 0.9999 },
      /**
       * Consecutive samples in alarm before they are learned again: an hour at one sample a
       * second, longer than the faults an alarm must keep flagging (docs/anomaly.md).
       */
      relearnAfter: { value: 3600, blank: 3600, min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
      /** The alarm (lib/pca/alarm.ts): samples averaged, levels over the limits, quiet samples to end. */
      alarmSpan: {
        value: ALARM_DEFAULTS.span,
        blank: ALARM_DEFAULTS.span,
        ...ALARM_BOUNDS.span,
        integer: true,
      },
      alarmT2Level: { value: ALARM_DEFAULTS.t2Level, blank: ALARM_DEFAULTS.t2Level, ...ALARM_BOUNDS.level },
      alarmSpeLevel: {
        value: ALARM_DEFAULTS.speLevel,
        blank: ALARM_DEFAULTS.speLevel,
        ...ALARM_BOUNDS.level,
      },
      alarmHold: {
        value: ALARM_DEFAULTS.hold,
        blank: ALARM_DEFAULTS.hold,
        ...ALARM_BOUNDS.hold,
        integer: true,
      },
    },
    'ml-kmeans': {
      ...learnerNumbers('ml-kmeans'),
      /** Every sample is compared with each centre, and each centre is saved with the model. */
      clusters: { value: KMEANS_DEFAULTS.k, blank: KMEANS_DEFAULTS.k, min: 1, max: 1000, integer: true },
      seed: {
        value: KMEANS_DEFAULTS.seed,
        blank: KMEANS_DEFAULTS.seed,
        min: 0,
        max: Number.MAX_SAFE_INTEGER,
        integer: true,
      },
      /** Each k-means++ run clusters the whole warm-up buffer. */
      restarts: {
        value: KMEANS_DEFAULTS.restarts,
        blank: KMEANS_DEFAULTS.restarts,
        min: 1,
        max: 100,
        integer: true,
      },
      /**
       * In cluster radii: below 0.1 nearly every member is an outlier; a sample a million radii
       * away is one whatever the data.
       */
      outlierLimit: {
        value: KMEANS_DEFAULTS.outlierLimit,
        blank: KMEANS_DEFAULTS.outlierLimit,
        min: 0.1,
        max: 1e6,
      },
      /** About 11 days of one sample a second; beyond that, 0 (keep flagging) is meant. */
      relearnAfter: {
        value: KMEANS_DEFAULTS.relearnAfter,
        blank: KMEANS_DEFAULTS.relearnAfter,
        min: 0,
        max: 1e6,
        integer: true,
      },
    },
    'ml-window': {
      size: { value: 10, blank: 10, min: 1, max: WINDOW_LIMITS.maxSamples, integer: true },
      'size.time': { value: 10, blank: 1000, min: 1, max: SPAN, integer: true },
      /** Blank: the size (tumbling windows). */
      step: { value: '', min: 1, max: SPAN, integer: true },
      gap: { value: 5000, blank: 5000, min: 0, aboveMin: true, max: SPAN },
      lateness: { value: 0, blank: 0, min: 0, max: SPAN },
      horizon: { value: '', blank: WINDOW_DEFAULTS.horizon, min: 1, max: SPAN },
      maxSamples: {
        value: WINDOW_DEFAULTS.maxSamples,
        blank: WINDOW_DEFAULTS.maxSamples,
        min: 1,
        max: WINDOW_LIMITS.maxSamples,
        integer: true,
      },
      maxKeys: {
        value: '',
        blank: WINDOW_DEFAULTS.maxKeys,
        min: 1,
        max: WINDOW_LIMITS.maxKeys,
        integer: true,
      },
      idleTimeout: { value: '', blank: WINDOW_DEFAULTS.idleTimeout, min: 0, max: SPAN },
      maxFeatures: {
        value: '',
        blank: WINDOW_DEFAULTS.maxFeatures,
        min: 1,
        max: WINDOW_LIMITS.maxFeatures,
        integer: true,
      },
      maxDimension: {
        value: '',
        blank: WINDOW_DEFAULTS.maxDimension,
        min: 1,
        max: WINDOW_LIMITS.maxDimension,
        integer: true,
      },
    },
  });

/**
 * Whether `raw` is a value the setting accepts (blank is, meaning its default). Both the runtime
 * (through the node's reader) and the editor's validators apply this rule.
 */
export function numberAllowed(spec: NumberSettingSpec, raw: unknown): boolean {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return true;
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  return (
    Number.isFinite(value) &&
    (!spec.integer || Number.isInteger(value)) &&
    (spec.aboveMin ? value > spec.min : value >= spec.min) &&
    value <= spec.max
  );
}
