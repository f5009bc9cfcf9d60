/**
 * The settings every learner node shares (property, key, features, maxKeys, learning, warm-up,
 * half-life, store, maxDimension), read once in the node's constructor.
 */
import type { NodeAPI, NodeDef } from 'node-red';
import type { Schema } from '../../../lib/samples';
import { parseFeatureList, type SampleNodeType } from '../../../lib/samples';
import { NUMBER_SETTINGS } from '../../../lib/settings';
import {
  choiceSetting,
  propertySetting,
  SettingError,
  storeSetting,
  tableNumber,
  tableSetting,
} from '../settings';
import { englishOf, type Translate } from '../i18n';
import { readSharingSettings, type SharingConfig, type SharingSettings } from './sharing';

/** Settings every learner has; the editor may omit any of them. */
export interface LearnerConfig extends NodeDef, SharingConfig {
  property?: string;
  keyProperty?: string;
  features?: string;
  maxKeys?: number | string;
  learning?: string;
  warmupSamples?: number | string;
  whileWarmingUp?: string;
  halfLife?: number | string;
  store?: string;
  maxDimension?: number | string;
}

/** The learner settings, parsed. */
export interface LearnerSettings {
  property: string;
  keyProperty: string;
  features: string[] | null;
  maxKeys: number;
  learning: 'continuous' | 'warmup' | 'off';
  warmupSamples: number | undefined;
  whileWarmingUp: 'drop' | 'pass';
  halfLife: number;
  store: string | undefined;
  /** The most features a sample may have. */
  maxDimension: number;
  /** Model sharing between instances (docs/scale-out.md). */
  sharing: SharingSettings;
}

/** Node-RED's `contextStorage` setting (`undefined` when none is configured). */
function contextStorage(RED: NodeAPI): unknown {
  try {
    return RED.settings.get('contextStorage');
  } catch {
    // settings.get throws for a setting the runtime never had, as when none is configured.
    return (RED.settings as unknown as Record<string, unknown>).contextStorage;
  }
}

/**
 * Parses the settings shared by every learner.
 * @param t the node's messages (English when not given).
 * @throws SettingError
 */
export function readLearnerSettings(
  config: LearnerConfig,
  type: SampleNodeType,
  RED?: NodeAPI,
  t: Translate = englishOf(type),
): LearnerSettings {
  let features: string[] | null;
  try {
    features = parseFeatureList(config.features);
  } catch (err) {
    throw new SettingError((err as Error).message);
  }
  const parse = RED ? (path: string) => RED.util.normalisePropertyExpression(path) : undefined;
  const limit = NUMBER_SETTINGS[type].maxDimension.max;
  const maxDimension = tableNumber(config.maxDimension, type, 'maxDimension', t);
  if (features && features.length > maxDimension) {
    const vars = { count: features.length, maxDimension, limit, type };
    throw new SettingError(t('runtime.errors.tooManyFeatures', vars));
  }
  return {
    property: propertySetting(config.property, 'property', 'payload', parse, t),
    keyProperty: propertySetting(config.keyProperty, 'keyProperty', '', parse, t),
    features,
    maxKeys: tableNumber(config.maxKeys, type, 'maxKeys', t),
    learning: choiceSetting(config.learning, 'learning', ['continuous', 'warmup', 'off'] as const, t),
    warmupSamples: tableSetting(config.warmupSamples, type, 'warmupSamples', t),
    whileWarmingUp: choiceSetting(config.whileWarmingUp, 'whileWarmingUp', ['drop', 'pass'] as const, t),
    halfLife: tableNumber(config.halfLife, type, 'halfLife', t),
    store: storeSetting(config.store, RED ? contextStorage(RED) : undefined, t),
    maxDimension,
    sharing: readSharingSettings(config, { t }),
  };
}

/**
 * Why a model of `schema` does not fit the node's Features setting (`configured`), or `undefined`:
 * a model must name the same features in the same order, since the node reads samples by them.
 */
export function featuresMisfit(
  configured: string[] | null,
  schema: Schema,
  t: Translate,
): string | undefined {
  const features = schema.features;
  if (!configured || (features && features.join(',') === configured.join(','))) return undefined;
  return t('runtime.errors.featuresMisfit', {
    model: features
      ? features.join(', ')
      : t('runtime.errors.unnamedFeatures', { dimension: schema.dimension }),
    configured: configured.join(', '),
  });
}
