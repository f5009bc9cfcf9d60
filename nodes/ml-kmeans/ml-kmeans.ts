/**
 * `ml-kmeans`: streaming k-means clustering, one model per key (docs/nodes.md). The payload passes
 * through; the node adds `msg.cluster` and `msg.kmeans = {cluster, distance, distances}`.
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { SampleError } from '../../lib/errors';
import {
  KMEANS_DEFAULTS,
  resolveKMeansOptions,
  StreamingKMeans,
  type KMeansInit,
  type KMeansOptions,
} from '../../lib/kmeans';
import type { Sample, Schema } from '../../lib/samples';
import type { Translate } from '../shared/i18n';
import {
  checkFinite,
  setupLearnerNode,
  type LearnerConfig,
  type LearnerKind,
  type LearnerSettings,
  SHARING_CREDENTIALS,
} from '../shared/learner/learner-node';
import { NUMBER_SETTINGS } from '../../lib/settings';
import {
  booleanSetting,
  choiceSetting,
  isBlank,
  numberSetting,
  SettingError,
  tableNumber,
} from '../shared/settings';

interface KMeansConfig extends LearnerConfig {
  /** The number of clusters, k. */
  clusters?: number | string;
  /** The number of clusters in flows saved before the setting was named `clusters`. */
  k?: number | string;
  init?: string;
  /** JSON text of k rows (the editor saves text; a flow written by hand may hold the array itself). */
  centers?: string | unknown[];
  seed?: number | string;
  restarts?: number | string;
  outlierLimit?: number | string;
  learnOnlyNormal?: boolean | string;
  relearnAfter?: number | string;
}

/** The node's own settings, parsed. */
interface KMeansSettings {
  k: number;
  init: KMeansInit;
  /** The given centres (init `given`), else `null`. */
  centers: number[][] | null;
  seed: number;
  restarts: number;
  outlierLimit: number;
  learnOnlyNormal: boolean;
  relearnAfter: number;
}

/** A short example of the `centers` setting for k rows, for error messages. */
function centersExample(k: number): string {
  const rows = Array.from({ length: Math.min(k, 3) }, (_, j) => `[${j}, ${j}]`);
  return `[${rows.join(', ')}${k > 3 ? ', …' : ''}]`;
}

/**
 * Parses the `centers` setting's JSON text (a hand-written flow may hold the array itself). The
 * rows themselves are checked by the model's options check, with the rest of the settings.
 * @throws SettingError when the text is empty or not JSON.
 */
function parseCenters(raw: unknown, k: number, t: Translate): number[][] {
  if (typeof raw !== 'string') return raw as number[][];
  if (raw.trim() === '') {
    throw new SettingError(t('runtime.settings.centersEmpty', { k, example: centersExample(k) }));
  }
  try {
    return JSON.parse(raw) as number[][];
  } catch (err) {
    throw new SettingError(
      t('runtime.settings.centersJson', { message: (err as Error).message, k, example: centersExample(k) }),
    );
  }
}

/** The number of clusters; flows saved before the setting was named `clusters` hold it as `k`. */
function readClusters(config: KMeansConfig, t: Translate): number {
  // The editor reserves one-letter names, hence `clusters`; an error names the setting the flow holds.
  const legacy = isBlank(config.clusters) && !isBlank(config.k);
  const spec = NUMBER_SETTINGS['ml-kmeans'].clusters;
  return numberSetting(legacy ? config.k : config.clusters, legacy ? 'k' : 'clusters', spec.blank!, spec, t);
}

/** Parses the node's own settings. @throws SettingError */
function readKMeansSettings(config: KMeansConfig, t: Translate): KMeansSettings {
  const k = readClusters(config, t);
  const init = choiceSetting(config.init, 'init', ['kmeans++', 'given'] as const, t);
  const seed = tableNumber(config.seed, 'ml-kmeans', 'seed', t);
  const restarts = tableNumber(config.restarts, 'ml-kmeans', 'restarts', t);
  const centers = init === 'given' ? parseCenters(config.centers, k, t) : null;
  const outlierLimit = tableNumber(config.outlierLimit, 'ml-kmeans', 'outlierLimit', t);
  const learnOnlyNormal = booleanSetting(
    config.learnOnlyNormal,
    'learnOnlyNormal',
    KMEANS_DEFAULTS.learnOnlyNormal,
    t,
  );
  const relearnAfter = tableNumber(config.relearnAfter, 'ml-kmeans', 'relearnAfter', t);
  return { k, init, centers, seed, restarts, outlierLimit, learnOnlyNormal, relearnAfter };
}

/**
 * The lib options for a model that warms up on `warmup` samples. Given centres start ready, so
 * for them a warm-up below k only limits learning "warmup" and the lib's default stands.
 */
function optionsFor(
  own: KMeansSettings,
  learner: LearnerSettings,
  warmup: number | undefined,
): Partial<KMeansOptions> {
  const given = own.init === 'given';
  return {
    k: own.k,
    init: own.init,
    centers: own.centers,
    seed: own.seed,
    restarts: own.restarts,
    outlierLimit: own.outlierLimit,
    learnOnlyNormal: own.learnOnlyNormal,
    relearnAfter: own.relearnAfter,
    halfLife: learner.halfLife,
    warmupSamples: given && warmup !== undefined && warmup < own.k ? undefined : warmup,
  };
}

/**
 * Checks the combination once, at start, with the model's own check, so that the first sample
 * cannot fail on a setting. Given centres must have one value per configured feature.
 * @throws SettingError
 */
function checkCombination(own: KMeansSettings, learner: LearnerSettings, t: Translate): void {
  try {
    resolveKMeansOptions(optionsFor(own, learner, learner.warmupSamples), learner.features?.length);
  } catch (err) {
    const text = (err as Error).message;
    const features =
      learner.features && /^centers/.test(text)
        ? t('runtime.settings.withFeatures', { features: learner.features.join(', ') })
        : '';
    // The lib's message starts with the option's name, which is also the setting's.
    throw new SettingError(
      `${text.replace(/^[\w[\]]+/, (name) => t('runtime.settings.named', { name }))}${features}`,
    );
  }
}

/**
 * Writes one sample's cluster, distances and outlier score onto the message.
 * @param what what a distance is called in the error when one is not finite.
 */
function writeSample(
  model: StreamingKMeans,
  row: ArrayLike<number>,
  fields: Record<string, unknown>,
  what: string,
): void {
  // The one allocation a sample needs: its distances go out on the message.
  const distances = new Array<number>(model.k);
  const cluster = model.transform(row, distances);
  checkFinite(distances, what);
  const distance = distances[cluster];
  fields.cluster = cluster;
  fields.kmeans = {
    cluster,
    distance,
    distances,
    outlier: model.outlierScore(cluster, distance),
    outlierLimit: model.options.outlierLimit,
  };
}

/**
 * Writes a batch's clusters and distances, as plain arrays so that debug, JSON and function nodes see numbers.
 * @param what what a distance is called in the error when one is not finite.
 */
function writeBatch(
  model: StreamingKMeans,
  rows: Sample['rows'],
  fields: Record<string, unknown>,
  what: string,
): void {
  const n = rows.length;
  const clusters = new Array<number>(n);
  const nearest = new Array<number>(n);
  const all = new Array<number[]>(n);
  const outliers = new Array<number | null>(n);
  for (let i = 0; i < n; i++) {
    const distances = new Array<number>(model.k);
    const cluster = model.transform(rows[i], distances);
    checkFinite(distances, what);
    clusters[i] = cluster;
    nearest[i] = distances[cluster];
    all[i] = distances;
    outliers[i] = model.outlierScore(cluster, distances[cluster]);
  }
  fields.cluster = clusters;
  fields.kmeans = {
    cluster: clusters,
    distance: nearest,
    distances: all,
    outlier: outliers,
    outlierLimit: model.options.outlierLimit,
  };
}

/** Why a model does not fit this node's settings, or `undefined`. */
function misfit(
  model: StreamingKMeans,
  own: KMeansSettings,
  learner: LearnerSettings,
  t: Translate,
): string | undefined {
  const width = own.centers ? own.centers[0].length : undefined;
  if (model.k !== own.k) return t('runtime.errors.misfitClusters', { model: model.k, k: own.k });
  if (width !== undefined && model.schema.dimension !== width) {
    return t('runtime.errors.misfitCentres', { model: model.schema.dimension, width });
  }
  if (learner.learning === 'off' && !model.ready) return t('runtime.errors.misfitWarmingUp');
  return undefined;
}

/**
 * Warns when a run of outliers reaches `relearnAfter` and the model, which learns only normal
 * samples, learns them again: a new operating mode, or a lasting fault, is now being learned.
 * Once per run: the run must end (a normal sample) before the next warning.
 */
function warnOnRelearn(
  model: StreamingKMeans,
  own: KMeansSettings,
  warn: (text: string) => void,
  t: Translate,
): void {
  if (!own.learnOnlyNormal || own.relearnAfter === 0 || model.outlierRun !== own.relearnAfter) return;
  warn(t('runtime.warnings.relearn', { count: own.relearnAfter, limit: own.outlierLimit }));
}

/** The k-means learner: how the shared learner node makes, loads, merges and applies its models. */
function kmeansKind(
  own: KMeansSettings,
  learner: LearnerSettings,
  warn: (text: string) => void,
  t: Translate,
): LearnerKind<StreamingKMeans> {
  checkCombination(own, learner, t);
  // Looked up once: an error names it, but most messages have none.
  const distance = t('runtime.values.distance');
  const width = own.centers ? own.centers[0].length : undefined;
  const input = `msg.${learner.property}`;
  return {
    type: 'ml-kmeans',
    defaultWarmup: () => 10 * own.k,
    // Given centres are ready at once; k-means++ once its warm-up buffer has been clustered.
    ready: (model) => model.ready,
    readyWithoutData: own.init === 'given',
    batchRows: own.k,
    batchReady: (model) => model.ready,
    forBatch(model, rows) {
      // A batch is fit_transform: a model still buffering for k-means++ whose buffer and batch hold
      // at least k rows fits them at once, as the same buffer with a warm-up that ends with this batch.
      if (model.ready || model.samplesSeen + rows >= model.options.warmupSamples) return model;
      return StreamingKMeans.load(model.toJSON(), optionsFor(own, learner, model.samplesSeen + rows));
    },
    create(schema: Schema, warmup: number) {
      if (width !== undefined && schema.dimension !== width) {
        // Only reachable without configured Features: then the first sample fixes the dimension.
        throw new SampleError(
          t(schema.dimension === 1 ? 'runtime.errors.centresWidthOne' : 'runtime.errors.centresWidth', {
            input,
            dimension: schema.dimension,
            width,
          }),
        );
      }
      return new StreamingKMeans(schema, optionsFor(own, learner, warmup));
    },
    load: (json) => StreamingKMeans.load(json, optionsFor(own, learner, learner.warmupSamples)),
    misfit: (model) => misfit(model, own, learner, t),
    merge: (a, b) => StreamingKMeans.merge(a, b),
    align(model, reference) {
      const centres = reference.centers;
      if (!model.ready || centres === null) return false;
      return model.alignTo(centres).some((from, to) => from !== to);
    },
    transform(model, sample, msg: NodeMessage) {
      const fields = msg as unknown as Record<string, unknown>;
      if (sample.batch) writeBatch(model, sample.rows, fields, distance);
      else writeSample(model, sample.rows[0], fields, distance);
      warnOnRelearn(model, own, warn, t);
    },
    status: (model) => t('runtime.status.model', { k: model.k, samples: model.samplesSeen }),
  };
}

export = function register(RED: NodeAPI): void {
  function KMeansNode(this: Node, config: KMeansConfig): void {
    RED.nodes.createNode(this, config);
    const warn = (text: string): void => this.warn(text);
    setupLearnerNode(RED, this, config, (learner, t) =>
      kmeansKind(readKMeansSettings(config, t), learner, warn, t),
    );
  }
  RED.nodes.registerType('ml-kmeans', KMeansNode, { credentials: SHARING_CREDENTIALS });
};
