/**
 * `ml-pca`: streaming principal component analysis with anomaly scores, one model per key
 * (DESIGN §4.3).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import {
  NormalOnlyPCA,
  StreamingPCA,
  type NormalOnlyOptions,
  type PcaAnomaly,
  type PcaOptions,
} from '../../lib/pca';
import { shapeLike } from '../../lib/samples';
import type { Translate } from '../shared/i18n';
import { checkFinite, setupLearnerNode, type LearnerConfig, type LearnerKind } from '../shared/learner-node';
import { booleanSetting, numberSetting, SettingError } from '../shared/settings';
import { explainLabels, Explainer, type PcaExplanation } from './explain';

interface PcaConfig extends LearnerConfig {
  components?: number | string;
  whiten?: boolean | string;
  refitEvery?: number | string;
  confidence?: number | string;
  learnOnlyNormal?: boolean | string;
  relearnAfter?: number | string;
}

/** What `msg.pca` carries: per-row values are arrays for a batch. */
interface PcaResult extends PcaExplanation {
  t2: number | number[];
  spe: number | number[];
  /** `null` while the model has too few samples for a limit (n ≤ components). */
  t2Limit: number | null;
  speLimit: number | null;
  anomaly: boolean | boolean[];
  explainedVarianceRatio: number[];
  n: number;
}

/**
 * A covariance of d features needs more than d samples to be of full rank, and about five per
 * feature before its leading eigenvectors settle.
 */
function defaultWarmup(dimension: number): number {
  return Math.max(20, 5 * dimension, dimension + 1);
}

/** Largest `refitEvery`: a model refitted less often than this would serve stale components. */
const MAX_REFIT_EVERY = 1_000_000;

/**
 * Default `relearnAfter`: consecutive flagged samples before they are learned again. 100 is far
 * beyond chance (at confidence 0.95 a normal sample is flagged with probability about 0.05, so 100
 * in a row never happen by chance) and beyond a transient fault at typical rates (100 s at one
 * sample per second), yet short enough that a lasting new operating point is accepted within
 * minutes rather than flagged for ever (docs/anomaly.md).
 */
const DEFAULT_RELEARN_AFTER = 100;

/**
 * Reads `components`: a whole number of components, at most the number of configured Features
 * (when there are), or a fraction of variance between 0 and 1.
 */
function componentsSetting(
  raw: unknown,
  features: readonly string[] | null,
  maxDimension: number,
  t: Translate,
): number {
  const howTo =
    t('runtime.settings.componentsHowTo') +
    (features ? t('runtime.settings.componentsAtMostFeatures', { count: features.length }) : '');
  const wrong = (): SettingError =>
    new SettingError(t('runtime.settings.components', { howTo, value: JSON.stringify(raw) }));
  let value: number;
  try {
    value = numberSetting(raw, 'components', 2, { min: 0 }, t);
  } catch {
    throw wrong();
  }
  if (value <= 0 || (value >= 1 && !Number.isInteger(value))) throw wrong();
  if (value > maxDimension) {
    throw new SettingError(t('runtime.settings.componentsOverMax', { value, maxDimension }));
  }
  if (features && value > features.length) {
    throw new SettingError(
      t('runtime.settings.componentsOverFeatures', {
        value,
        count: features.length,
        features: features.join(', '),
      }),
    );
  }
  return value;
}

/** A control limit as sent: `null` until there are enough samples for one (it is Infinity then). */
function limit(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

const nameLists: string[][] = [];

/** `pc1` … `pck`, made once per k: the list is only read. */
function names(k: number): string[] {
  return (nameLists[k] ??= Array.from({ length: k }, (_, a) => `pc${a + 1}`));
}

/** A plain copy (Array.from on a typed array costs more than the whole projection). */
function toArray(values: ArrayLike<number>): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}

/** Each fit's explained variance ratios as sent: one frozen array per fit, gone with the fit. */
const ratios = new WeakMap<object, number[]>();

function ratiosOf(values: Readonly<Float64Array>): number[] {
  const known = ratios.get(values);
  if (known !== undefined) return known;
  const made = toArray(values);
  Object.freeze(made);
  ratios.set(values, made);
  return made;
}

/** The model's key as a message carries it, for warnings; empty when there is one model. */
function keyOf(RED: NodeAPI, msg: NodeMessage, keyProperty: string, t: Translate): string {
  if (!keyProperty) return '';
  let key: unknown;
  try {
    key = RED.util.getMessageProperty(msg, keyProperty);
  } catch {
    return '';
  }
  const text = String(key);
  return t('runtime.warnings.ofKey', {
    key: JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text),
  });
}

export = function register(RED: NodeAPI): void {
  function PcaNode(this: Node, config: PcaConfig): void {
    RED.nodes.createNode(this, config);
    const warn = (text: string): void => this.warn(text);
    setupLearnerNode(RED, this, config, (settings, t): LearnerKind<NormalOnlyPCA> => {
      const options: PcaOptions = StreamingPCA.checkOptions({
        components: componentsSetting(config.components, settings.features, settings.maxDimension, t),
        whiten: booleanSetting(config.whiten, 'whiten', false, t),
        refitEvery: numberSetting(
          config.refitEvery,
          'refitEvery',
          100,
          { min: 1, max: MAX_REFIT_EVERY, integer: true },
          t,
        ),
        confidence: numberSetting(config.confidence, 'confidence', 0.95, { min: 0.5, max: 0.9999 }, t),
        halfLife: settings.halfLife,
      });
      const learnOnlyNormal = booleanSetting(config.learnOnlyNormal, 'learnOnlyNormal', false, t);
      const relearnAfter = numberSetting(
        config.relearnAfter,
        'relearnAfter',
        DEFAULT_RELEARN_AFTER,
        { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true },
        t,
      );
      // The warm-up depends on the dimension, known once the first sample arrives.
      const gateOptions = (dimension: number): NormalOnlyOptions => ({
        learnOnlyNormal,
        relearnAfter,
        warmup: settings.warmupSamples ?? defaultWarmup(dimension),
      });
      // Looked up once: a message's errors name them, but most messages have none.
      const explainer = new Explainer(explainLabels(t));
      // The scores of a single sample, filled anew by every message (only what is sent is new).
      const anomaly: PcaAnomaly = { t2: 0, spe: 0, t2Limit: 0, speLimit: 0, anomaly: false };
      const single: number[][] = [[]];
      const what = {
        score: t('runtime.values.score'),
        t2: t('runtime.values.t2'),
        spe: t('runtime.values.spe'),
        ratio: t('runtime.values.varianceRatio'),
      };
      const wrap = (pca: StreamingPCA): NormalOnlyPCA =>
        new NormalOnlyPCA(pca, gateOptions(pca.schema.dimension));
      return {
        type: 'ml-pca',
        defaultWarmup,
        ready: (model, warmup) => model.pca.ready && model.samplesSeen >= warmup,
        batchRows: 2,
        batchReady: (model) => model.pca.ready,
        create: (schema) => wrap(new StreamingPCA(schema, options)),
        load: (json) => wrap(StreamingPCA.load(json, options)),
        misfit: () => undefined,
        // The merged view shares the run of `a` (this instance's own model), which is what learns.
        merge: (a, b) => new NormalOnlyPCA(StreamingPCA.merge(a.pca, b.pca), a.options, a.state),
        transform(gated, sample, msg, output) {
          if (gated.state.relearnStarted) {
            gated.state.relearnStarted = false;
            warn(
              t('runtime.warnings.relearn', {
                count: relearnAfter,
                key: keyOf(RED, msg, settings.keyProperty, t),
              }),
            );
          }
          const model = gated.pca;
          const k = model.nComponents;
          const ratio = ratiosOf(model.explainedVarianceRatio);
          const rows = sample.rows;
          let result: PcaResult;
          let scores: number[][];
          if (sample.batch) {
            const t2 = new Array<number>(rows.length);
            const spe = new Array<number>(rows.length);
            const flags = new Array<boolean>(rows.length);
            const anomalies = new Array<PcaAnomaly>(rows.length);
            scores = new Array<number[]>(rows.length);
            for (let i = 0; i < rows.length; i++) {
              const scored = { t2: 0, spe: 0, t2Limit: 0, speLimit: 0, anomaly: false };
              scores[i] = model.transform(rows[i], new Array<number>(k), scored);
              t2[i] = scored.t2;
              spe[i] = scored.spe;
              flags[i] = scored.anomaly;
              anomalies[i] = scored;
            }
            const explanation = explainer.batch(model, rows, anomalies);
            const last = anomalies[rows.length - 1];
            result = {
              t2,
              spe,
              t2Limit: limit(last.t2Limit),
              speLimit: limit(last.speLimit),
              anomaly: flags,
              contributions: explanation.contributions,
              top: explanation.top,
              contributionLimits: explanation.contributionLimits,
              explainedVarianceRatio: ratio,
              n: model.samplesSeen,
            };
            for (const row of scores) checkFinite(row, what.score);
            checkFinite(t2, what.t2);
            checkFinite(spe, what.spe);
          } else {
            const row = rows[0];
            const score = model.transform(row, new Array<number>(k), anomaly);
            scores = single;
            single[0] = score;
            result = {
              t2: anomaly.t2,
              spe: anomaly.spe,
              t2Limit: limit(anomaly.t2Limit),
              speLimit: limit(anomaly.speLimit),
              anomaly: anomaly.anomaly,
              contributions: explainer.contributions(model, row),
              top: explainer.top(model, row, anomaly),
              contributionLimits: explainer.limits(model),
              explainedVarianceRatio: ratio,
              n: model.samplesSeen,
            };
            checkFinite(score, what.score);
            if (!Number.isFinite(anomaly.t2)) checkFinite([anomaly.t2], what.t2);
            if (!Number.isFinite(anomaly.spe)) checkFinite([anomaly.spe], what.spe);
          }
          checkFinite(ratio, what.ratio);
          output.set(msg, shapeLike(sample, scores, names(k)));
          (msg as unknown as { pca: PcaResult }).pca = result;
        },
        status(gated) {
          const model = gated.pca;
          let explained = 0;
          for (const r of model.explainedVarianceRatio) explained += r;
          const k = model.nComponents;
          const percent = (100 * explained).toFixed(1);
          return k === 1
            ? t('runtime.status.modelOne', { explained: percent })
            : t('runtime.status.model', { k, explained: percent });
        },
      };
    });
  }
  RED.nodes.registerType('ml-pca', PcaNode);
};
