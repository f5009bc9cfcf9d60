/**
 * `ml-window`'s settings: read from the editor's config with a default for each, and checked
 * once, alone and together, when the node is deployed.
 */
import type { NodeAPI, NodeDef } from 'node-red';
import { parseFeatureList } from '../../lib/samples';
import {
  resolveWindowOptions,
  WINDOW_DEFAULTS,
  WINDOW_LIMITS,
  type GroupBy,
  type ResolvedWindowOptions,
  type WindowMode,
  type WindowOptions,
} from '../../lib/window';
import { englishOf, type Translate } from '../shared/i18n';
import {
  booleanSetting,
  choiceSetting,
  numberSetting,
  propertySetting,
  SettingError,
} from '../shared/settings';

/** The editor's settings; any may be missing (hand-written flows, the test helper). */
export interface WindowConfig extends NodeDef {
  mode?: string;
  size?: number | string;
  step?: number | string;
  gap?: number | string;
  timeProperty?: string;
  lateness?: number | string;
  groupBy?: string;
  keyProperty?: string;
  nameProperty?: string;
  emit?: string;
  aggregates?: string;
  features?: string;
  property?: string;
  maxSamples?: number | string;
  emitEmpty?: boolean | string;
  horizon?: number | string;
  maxKeys?: number | string;
  idleTimeout?: number | string;
  maxFeatures?: number | string;
  maxDimension?: number | string;
}

/** The node's settings, parsed once in the constructor. */
export interface WindowSettings {
  /** What the engine is built from, checked. */
  engine: ResolvedWindowOptions;
  /** Where the sample is read (the output always goes to `payload`). */
  property: string;
  /** Event time is read here; empty means arrival time. */
  timeProperty: string;
  /** Picks a key's windows (`key`, and optionally `align`); empty: no key. */
  keyProperty: string;
  /** `align`: names the reading; empty: the last segment of `msg.topic`. */
  nameProperty: string;
}

/** Defaults when a field is blank: a count window of 10, one-second time windows, 5 s sessions. */
const DEFAULT_COUNT_SIZE = 10;
const DEFAULT_TIME_SIZE_MS = 1000;
const DEFAULT_GAP_MS = 5000;

/**
 * Parses the editor's settings and checks them (alone and together) without building an engine.
 * @param t the node's messages, for the setting errors (English when not given).
 * @throws SettingError naming the setting that is wrong.
 */
export function readWindowSettings(
  config: WindowConfig,
  RED: NodeAPI,
  t: Translate = englishOf('ml-window'),
): WindowSettings {
  // Property expressions are checked once, here, rather than failing on every message.
  const parse = (path: string): unknown => RED.util.normalisePropertyExpression(path);
  const mode: WindowMode = choiceSetting(config.mode, 'mode', ['count', 'time', 'session'] as const, t);
  const groupBy: GroupBy = choiceSetting(config.groupBy, 'groupBy', ['none', 'key', 'align'] as const, t);
  const timeProperty = propertySetting(config.timeProperty, 'timeProperty', '', parse, t);
  // Grouping by key without a key property would put everything under one key: topic is what
  // MQTT and most inputs carry. In align the key is optional (one row stream when empty).
  const keyProperty = propertySetting(
    config.keyProperty,
    'keyProperty',
    groupBy === 'key' ? 'topic' : '',
    parse,
    t,
  );
  let features: string[] | null;
  try {
    features = parseFeatureList(config.features);
  } catch (err) {
    throw new SettingError((err as Error).message);
  }
  const span = WINDOW_LIMITS.span;
  // A whole number of samples, keys or features, from 1 to its limit.
  const count = (value: unknown, name: string, fallback: number, max: number): number =>
    numberSetting(value, name, fallback, { min: 1, max, integer: true }, t);
  const engine: WindowOptions = {
    mode,
    time: timeProperty ? 'event' : 'arrival',
    lateness: numberSetting(config.lateness, 'lateness', 0, { min: 0, max: span }, t),
    groupBy,
    emit: choiceSetting(config.emit, 'emit', ['samples', 'vector', 'aggregate'] as const, t),
    aggregates:
      typeof config.aggregates === 'string' && config.aggregates.trim() ? config.aggregates : 'mean',
    features,
    maxSamples: count(config.maxSamples, 'maxSamples', WINDOW_DEFAULTS.maxSamples, WINDOW_LIMITS.maxSamples),
    emitEmpty: booleanSetting(config.emitEmpty, 'emitEmpty', false, t),
    horizon: numberSetting(config.horizon, 'horizon', WINDOW_DEFAULTS.horizon, { min: 1, max: span }, t),
    maxKeys: count(config.maxKeys, 'maxKeys', WINDOW_DEFAULTS.maxKeys, WINDOW_LIMITS.maxKeys),
    idleTimeout: numberSetting(
      config.idleTimeout,
      'idleTimeout',
      WINDOW_DEFAULTS.idleTimeout,
      { min: 0, max: span },
      t,
    ),
    maxFeatures: count(
      config.maxFeatures,
      'maxFeatures',
      WINDOW_DEFAULTS.maxFeatures,
      WINDOW_LIMITS.maxFeatures,
    ),
    maxDimension: count(
      config.maxDimension,
      'maxDimension',
      WINDOW_DEFAULTS.maxDimension,
      WINDOW_LIMITS.maxDimension,
    ),
  };
  if (mode === 'session') {
    engine.gap = numberSetting(config.gap, 'gap', DEFAULT_GAP_MS, { min: 0, max: span }, t);
  } else {
    engine.size = numberSetting(
      config.size,
      'size',
      mode === 'count' ? DEFAULT_COUNT_SIZE : DEFAULT_TIME_SIZE_MS,
      {
        min: 1,
        max: mode === 'count' ? WINDOW_LIMITS.maxSamples : span,
        integer: true,
      },
      t,
    );
    engine.step = numberSetting(config.step, 'step', engine.size, { min: 1, max: span, integer: true }, t);
  }
  let resolved: ResolvedWindowOptions;
  try {
    // The combinations too: step ≤ size, size / step, gap > 0, aggregate names, maxSamples ≥
    // size, horizon ≥ lateness, maxFeatures ≥ the features listed. The engine takes the result
    // as it is.
    resolved = resolveWindowOptions(engine);
  } catch (err) {
    throw new SettingError((err as Error).message);
  }
  return {
    engine: resolved,
    property: propertySetting(config.property, 'property', 'payload', parse, t),
    timeProperty,
    keyProperty,
    nameProperty: propertySetting(config.nameProperty, 'nameProperty', '', parse, t),
  };
}
