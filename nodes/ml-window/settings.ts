/**
 * `ml-window`'s settings: read from the editor's config with a default for each, and checked
 * once, alone and together, when the node is deployed.
 */
import type { NodeAPI, NodeDef } from 'node-red';
import { parseFeatureList } from '../../lib/samples';
import {
  resolveWindowOptions,
  type GroupBy,
  type ResolvedWindowOptions,
  type WindowMode,
  type WindowOptions,
} from '../../lib/window';
import { englishOf, type Translate } from '../shared/i18n';
import {
  booleanSetting,
  choiceSetting,
  propertySetting,
  SettingError,
  tableNumber,
  tableSetting,
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
  const number = (key: string): number =>
    tableNumber(config[key.split('.')[0] as keyof WindowConfig], 'ml-window', key, t);
  const engine: WindowOptions = {
    mode,
    time: timeProperty ? 'event' : 'arrival',
    lateness: number('lateness'),
    groupBy,
    emit: choiceSetting(config.emit, 'emit', ['samples', 'vector', 'aggregate'] as const, t),
    aggregates:
      typeof config.aggregates === 'string' && config.aggregates.trim() ? config.aggregates : 'mean',
    features,
    maxSamples: number('maxSamples'),
    emitEmpty: booleanSetting(config.emitEmpty, 'emitEmpty', false, t),
    horizon: number('horizon'),
    maxKeys: number('maxKeys'),
    idleTimeout: number('idleTimeout'),
    maxFeatures: number('maxFeatures'),
    maxDimension: number('maxDimension'),
  };
  if (mode === 'session') {
    engine.gap = number('gap');
  } else {
    engine.size = number(mode === 'count' ? 'size' : 'size.time');
    // Blank: the size (tumbling windows).
    engine.step = tableSetting(config.step, 'ml-window', 'step', t) ?? engine.size;
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
