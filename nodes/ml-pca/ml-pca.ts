/**
 * `ml-pca`: streaming principal component analysis with anomaly scores, one model per key
 * (docs/nodes.md, docs/anomaly.md).
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
import { booleanSetting, numberSetting, SettingError, tableNumber } from '../shared/settings';
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
        refitEvery: tableNumber(config.refitEvery, 'ml-pca', 'refitEvery', t),
        confidence: tableNumber(config.confidence, 'ml-pca', 'confidence', t),
        halfLife: settings.halfLife,
      });
      const learnOnlyNormal = booleanSetting(config.learnOnlyNormal, 'learnOnlyNormal', false, t);
      const relearnAfter = tableNumber(config.relearnAfter, 'ml-pca', 'relearnAfter', t);
      // The warm-up depends on the dimension, known once the first sample arrives.
      const gateOptions = (dimension: number): NormalOnlyOptions => ({
        learnOnlyNormal,
        relearnAfter,
        warmup: settings.warmupSamples ?? defaultWarmup(dimension),
      });
      // Looked up once: a message's errors name them, but most messages have none.
      const labels = explainLabels(t);
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
          const anomaly: PcaAnomaly = { t2: 0, spe: 0, t2Limit: 0, speLimit: 0, anomaly: false };
          const ratio = toArray(model.explainedVarianceRatio);
          const explainer = new Explainer(model, labels);
          const rows = sample.rows;
          const t2 = new Array<number>(rows.length);
          const spe = new Array<number>(rows.length);
          const flags = new Array<boolean>(rows.length);
          const scores = rows.map((row, i) => {
            const out = model.transform(row, new Array<number>(k), anomaly);
            t2[i] = anomaly.t2;
            spe[i] = anomaly.spe;
            flags[i] = anomaly.anomaly;
            explainer.add(row, anomaly);
            return out;
          });
          const batch = sample.batch;
          const result: PcaResult = {
            t2: batch ? t2 : t2[0],
            spe: batch ? spe : spe[0],
            t2Limit: limit(anomaly.t2Limit),
            speLimit: limit(anomaly.speLimit),
            anomaly: batch ? flags : flags[0],
            ...explainer.result(batch),
            explainedVarianceRatio: ratio,
            n: model.samplesSeen,
          };
          for (const row of scores) checkFinite(row, what.score);
          checkFinite(t2, what.t2);
          checkFinite(spe, what.spe);
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
