/**
 * `ml-pca`: streaming principal component analysis with anomaly scores, one model per key
 * (docs/nodes.md, docs/anomaly.md).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import {
  Alarm,
  NormalOnlyPCA,
  StreamingPCA,
  type AlarmEvent,
  type NormalOnlyOptions,
  type PcaAnomaly,
  type PcaOptions,
  type Verdicts,
} from '../../lib/pca';
import { shapeLike } from '../../lib/samples';
import type { Translate } from '../shared/i18n';
import {
  checkFinite,
  setupLearnerNode,
  type LearnerConfig,
  type LearnerKind,
  SHARING_CREDENTIALS,
} from '../shared/learner/learner-node';
import { MessageProperty, readKey } from '../shared/message';
import { booleanSetting, numberSetting, SettingError, tableNumber } from '../shared/settings';
import { explainLabels, Explainer, type PcaExplanation } from './explain';

interface PcaConfig extends LearnerConfig {
  components?: number | string;
  whiten?: boolean | string;
  refitEvery?: number | string;
  confidence?: number | string;
  learnOnlyNormal?: boolean | string;
  relearnAfter?: number | string;
  alarmSpan?: number | string;
  alarmT2Level?: number | string;
  alarmSpeLevel?: number | string;
  alarmHold?: number | string;
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
  /** The alarm after the sample: evidence accumulated over samples, with hysteresis. */
  alarm: boolean | boolean[];
  /** The alarm's evidence, 1 where the alarm starts. */
  alarmLevel: number | number[];
  /** `start` or `end` on the sample where the alarm started or ended, else null. */
  alarmEvent: AlarmEvent | AlarmEvent[];
  /** True while the model is too young to judge: the alarm is held back. */
  learning: boolean | boolean[];
}

/**
 * A covariance of d features needs more than d samples to be of full rank, and about five per
 * feature before its leading eigenvectors settle.
 */
function defaultWarmup(dimension: number): number {
  return Math.max(20, 5 * dimension, dimension + 1);
}

/**
 * Samples a model learns before its alarm may sound: a young model's limits mean little (its SPE
 * limit comes from the variance it discards, which it underestimates), so until then it learns
 * and scores, and says it is learning.
 */
function judgeAfter(dimension: number, warmupSamples: number | undefined): number {
  return Math.max(warmupSamples ?? 0, defaultWarmup(dimension), 10 * dimension, 50);
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

/** What an alarm message carries on the third output, as `msg.alarm`. */
interface AlarmReport {
  /** true at the start, false at the end. */
  on: boolean;
  event: 'start' | 'end';
  /** The model's key (`null` for a node with one model). */
  key: string | null;
  /** Index of the row in a batch (`null` for a single sample). */
  row: number | null;
  level: number;
  t2: number;
  spe: number;
  t2Limit: number | null;
  speLimit: number | null;
  top: string | number | null;
}

/** Row `i` of a per-row value, or the value itself for a single sample. */
function at<T>(value: T | T[], i: number, batch: boolean): T {
  return batch ? (value as T[])[i] : (value as T);
}

/**
 * The keys whose alarm is on, as the alarm output last told (`''` for a node with one model), oldest
 * first. A model replaced or reset during an alarm (`msg.model`, `msg.reset`, eviction) starts
 * with its alarm off; the output must still send the end, or the learners it holds would stay held.
 */
class AlarmedKeys {
  private readonly keys = new Set<string>();
  /** Each row's event of the last {@link events} call, reused (a copy goes out only for a batch). */
  readonly rowEvents: AlarmEvent[] = [];

  constructor(private readonly max: number) {}

  /**
   * Each row's alarm event into {@link rowEvents}, from the change of the key's alarm as the output
   * last told it; returns the messages for the third output: `msg.hold` mirrors the alarm, so that wiring the output back
   * into the flow's other learners stops their learning for the key during the alarm; no payload,
   * so a learner reads it as a control message.
   */
  events(
    verdicts: Readonly<Verdicts>,
    result: PcaResult,
    count: number,
    batch: boolean,
    key: string | null,
  ): NodeMessage[] | undefined {
    const id = key ?? '';
    let on = this.keys.has(id);
    const events = this.rowEvents;
    events.length = count;
    let messages: NodeMessage[] | undefined;
    for (let i = 0; i < count; i++) {
      const now = verdicts.alarm[i];
      events[i] = now === on ? null : now ? 'start' : 'end';
      on = now;
      if (events[i] === null) continue;
      const report: AlarmReport = {
        on,
        event: events[i]!,
        key,
        row: batch ? i : null,
        level: verdicts.level[i],
        t2: at(result.t2, i, batch),
        spe: at(result.spe, i, batch),
        t2Limit: result.t2Limit,
        speLimit: result.speLimit,
        top: at(result.top, i, batch),
      };
      const message: NodeMessage & { hold: boolean; alarm: AlarmReport } = { hold: on, alarm: report };
      if (key !== null) message.topic = key;
      (messages ??= []).push(message);
    }
    if (!on) {
      this.keys.delete(id);
    } else if (!this.keys.has(id)) {
      this.keys.add(id);
      if (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value!);
    }
    return messages;
  }
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
      const alarm = Alarm.checkOptions({
        span: tableNumber(config.alarmSpan, 'ml-pca', 'alarmSpan', t),
        t2Level: tableNumber(config.alarmT2Level, 'ml-pca', 'alarmT2Level', t),
        speLevel: tableNumber(config.alarmSpeLevel, 'ml-pca', 'alarmSpeLevel', t),
        hold: tableNumber(config.alarmHold, 'ml-pca', 'alarmHold', t),
      });
      // The judging age depends on the dimension, known once the first sample arrives.
      const gateOptions = (dimension: number): NormalOnlyOptions => ({
        learnOnlyNormal,
        relearnAfter,
        warmup: judgeAfter(dimension, settings.warmupSamples),
        alarm,
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
      const keyProperty = settings.keyProperty ? new MessageProperty(RED, settings.keyProperty) : undefined;
      /** The key as the learner reads it, for alarm messages; null for a node with one model. */
      const modelKey = (msg: NodeMessage): string | null => {
        if (!keyProperty) return null;
        try {
          return readKey(keyProperty, msg) ?? null;
        } catch {
          return null;
        }
      };
      const alarmed = new AlarmedKeys(settings.maxKeys);
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
        judge: (gated, sample) => void gated.judge(sample.rows),
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
          const batch = sample.batch;
          const verdicts = gated.state.verdicts;
          let result: PcaResult;
          let scores: number[][];
          if (batch) {
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
              alarm: verdicts.alarm.slice(0, rows.length),
              alarmLevel: verdicts.level.slice(0, rows.length),
              alarmEvent: null,
              learning: verdicts.learning.slice(0, rows.length),
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
              alarm: verdicts.alarm[0],
              alarmLevel: verdicts.level[0],
              alarmEvent: null,
              learning: verdicts.learning[0],
            };
            checkFinite(score, what.score);
            if (!Number.isFinite(anomaly.t2)) checkFinite([anomaly.t2], what.t2);
            if (!Number.isFinite(anomaly.spe)) checkFinite([anomaly.spe], what.spe);
          }
          checkFinite(ratio, what.ratio);
          output.set(msg, shapeLike(sample, scores, names(k)));
          (msg as unknown as { pca: PcaResult }).pca = result;
          const messages = alarmed.events(verdicts, result, rows.length, batch, modelKey(msg));
          const events = alarmed.rowEvents;
          result.alarmEvent = batch ? events.slice(0, rows.length) : events[0];
          return messages;
        },
        alarming: (gated) => gated.state.alarm.on,
        status(gated) {
          const model = gated.pca;
          if (!gated.judging) {
            return t('runtime.status.learning', { seen: model.samplesSeen, of: gated.options.warmup });
          }
          if (gated.state.alarm.on)
            return t('runtime.status.alarm', { level: gated.state.alarm.level.toFixed(1) });
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
  RED.nodes.registerType('ml-pca', PcaNode, { credentials: SHARING_CREDENTIALS });
};
