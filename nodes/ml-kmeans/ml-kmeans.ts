/**
 * `ml-kmeans`: streaming k-means clustering, one model per key (DESIGN §4.4). The payload passes
 * through; the node adds `msg.cluster` and `msg.kmeans = {cluster, distance, distances}`.
 */
import type { Node, NodeAPI } from 'node-red';
import { SampleError } from '../../lib/errors';
import { KMEANS_DEFAULTS, StreamingKMeans, type KMeansInit, type KMeansOptions } from '../../lib/kmeans';
import type { Schema } from '../../lib/samples';
import {
  checkFinite,
  setupLearnerNode,
  type LearnerConfig,
  type LearnerKind,
  type LearnerSettings,
} from '../shared/learner-node';
import { choiceSetting, numberSetting, SettingError } from '../shared/settings';

interface KMeansConfig extends LearnerConfig {
  k?: number | string;
  init?: string;
  /** JSON text of k rows (the editor saves text; a flow written by hand may hold the array itself). */
  centers?: string | unknown[];
  seed?: number | string;
  restarts?: number | string;
}

/** The node's own settings, parsed. */
interface KMeansSettings {
  k: number;
  init: KMeansInit;
  /** The given centres (init `given`), else `null`. */
  centers: number[][] | null;
  seed: number;
  restarts: number;
}

/** Most clusters: every sample is compared with each centre, and each centre is saved with the model. */
const MAX_CLUSTERS = 1000;
/** Most k-means++ runs on the warm-up buffer: each one clusters the whole buffer. */
const MAX_RESTARTS = 100;

/** A short example of the `centers` setting for k rows, for error messages. */
function centersExample(k: number): string {
  const rows = Array.from({ length: Math.min(k, 3) }, (_, j) => `[${j}, ${j}]`);
  return `[${rows.join(', ')}${k > 3 ? ', …' : ''}]`;
}

/**
 * Reads the `centers` setting: JSON text (or an array, from a hand-written flow) of k rows of
 * finite numbers, all of one length, equal to the number of configured Features when there are.
 * Checked here, at start, so that a typo shows as a configuration error before any data arrive.
 * @throws SettingError saying which row or value is wrong.
 */
function readCenters(raw: unknown, k: number, features: readonly string[] | null): number[][] {
  let parsed: unknown = raw;
  if (typeof raw === 'string') {
    if (raw.trim() === '') {
      throw new SettingError(
        `setting "centers" is empty: with init "given", write the k = ${k} initial centres as JSON, ` +
          `e.g. ${centersExample(k)}`,
      );
    }
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      throw new SettingError(
        `setting "centers" is not valid JSON (${(err as Error).message}): write k = ${k} rows such as ${centersExample(k)}`,
      );
    }
  }
  if (!Array.isArray(parsed)) {
    throw new SettingError(
      `setting "centers" must be a JSON array of k = ${k} rows (one centre each), got ${
        parsed === undefined ? 'nothing' : JSON.stringify(parsed)
      }`,
    );
  }
  if (parsed.length !== k) {
    throw new SettingError(
      `setting "centers" has ${parsed.length} row${parsed.length === 1 ? '' : 's'} but k is ${k}: give one centre per cluster`,
    );
  }
  const rows: number[][] = [];
  let width = -1;
  parsed.forEach((row: unknown, j: number) => {
    if (!Array.isArray(row) || row.length === 0) {
      throw new SettingError(
        `setting "centers": row ${j} must be a non-empty array of numbers (one per feature), got ${JSON.stringify(row)}`,
      );
    }
    if (j === 0) width = row.length;
    else if (row.length !== width) {
      throw new SettingError(
        `setting "centers": row ${j} has ${row.length} values but row 0 has ${width}; every centre needs one value per feature`,
      );
    }
    row.forEach((value: unknown, f: number) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new SettingError(
          `setting "centers": row ${j}, value ${f} must be a finite number, got ${JSON.stringify(value)}`,
        );
      }
    });
    rows.push(row as number[]);
  });
  if (features && width !== features.length) {
    throw new SettingError(
      `setting "centers" has rows of ${width} values but Features lists ${features.length} ` +
        `(${features.join(', ')}); give each centre one value per feature, in that order`,
    );
  }
  return rows;
}

/** Parses the node's own settings. @throws SettingError */
function readKMeansSettings(config: KMeansConfig, learner: LearnerSettings): KMeansSettings {
  const k = numberSetting(config.k, 'k', KMEANS_DEFAULTS.k, { min: 1, integer: true });
  if (k > MAX_CLUSTERS) {
    throw new SettingError(
      `setting "clusters" (k) must be a whole number between 1 and ${MAX_CLUSTERS}, got ${JSON.stringify(k)}`,
    );
  }
  const init = choiceSetting(config.init, 'init', ['kmeans++', 'given'] as const);
  const seed = numberSetting(config.seed, 'seed', KMEANS_DEFAULTS.seed, {
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    integer: true,
  });
  const restarts = numberSetting(config.restarts, 'restarts', KMEANS_DEFAULTS.restarts, {
    min: 1,
    max: MAX_RESTARTS,
    integer: true,
  });
  const centers = init === 'given' ? readCenters(config.centers, k, learner.features) : null;
  if (init === 'kmeans++' && learner.warmupSamples !== undefined && learner.warmupSamples < k) {
    throw new SettingError(
      `setting "warmupSamples" (${learner.warmupSamples}) must be at least k (${k}): k-means++ picks its ` +
        'k centres among the warm-up samples',
    );
  }
  return { k, init, centers, seed, restarts };
}

export = function register(RED: NodeAPI): void {
  function KMeansNode(this: Node, config: KMeansConfig): void {
    RED.nodes.createNode(this, config);
    setupLearnerNode(RED, this, config, (settings): LearnerKind<StreamingKMeans> => {
      const own = readKMeansSettings(config, settings);
      const { k, init, centers } = own;
      const width = centers ? centers[0].length : undefined;
      const input = `msg.${settings.property}`;
      /** Lib options for `warmup` samples before k-means++ (ignored by given centres, which start ready). */
      const optionsFor = (warmup: number | undefined): Partial<KMeansOptions> => ({
        k,
        init,
        centers,
        seed: own.seed,
        restarts: own.restarts,
        halfLife: settings.halfLife,
        // The lib needs warmupSamples ≥ k; with given centres a smaller warm-up only limits learning "warmup".
        warmupSamples: warmup !== undefined && warmup >= k ? warmup : undefined,
      });
      // Check the combination once, at start, so the first sample cannot fail on a setting.
      try {
        StreamingKMeans.checkOptions(optionsFor(settings.warmupSamples), width);
      } catch (err) {
        throw new SettingError((err as Error).message);
      }
      return {
        type: 'ml-kmeans',
        defaultWarmup: () => 10 * k,
        // Given centres are ready at once; k-means++ once its warm-up buffer has been clustered.
        ready: (model) => model.ready,
        readyWithoutData: init === 'given',
        batchRows: k,
        batchReady: (model) => model.ready,
        forBatch(model, rows) {
          // A model still buffering for k-means++ whose buffer and batch hold at least k rows fits
          // them at once (DESIGN §4.1): the same buffer, with a warm-up that ends with this batch.
          if (model.ready || model.samplesSeen + rows >= model.options.warmupSamples) return model;
          return StreamingKMeans.load(model.toJSON(), optionsFor(model.samplesSeen + rows));
        },
        create(schema: Schema, warmup: number) {
          if (width !== undefined && schema.dimension !== width) {
            // Only reachable without configured Features: then the first sample fixes the dimension.
            throw new SampleError(
              `${input} has ${schema.dimension} feature${schema.dimension === 1 ? '' : 's'} but the given ` +
                `centres (setting "centers") have ${width}. Send samples of ${width} values, or change the centres.`,
            );
          }
          return new StreamingKMeans(schema, optionsFor(warmup));
        },
        load: (json) => StreamingKMeans.load(json, optionsFor(settings.warmupSamples)),
        misfit(model) {
          if (model.k !== k) return `the model has ${model.k} clusters but this node is set to k = ${k}`;
          if (width !== undefined && model.schema.dimension !== width) {
            return (
              `the model has ${model.schema.dimension} features but the given centres (setting "centers") ` +
              `have ${width}`
            );
          }
          if (settings.learning === 'off' && !model.ready) {
            return (
              'the model is still warming up (cluster_centers is null) and learning is off, so it could never ' +
              'cluster: send a model with cluster_centers, or set Learning to continuous or warm-up'
            );
          }
          return undefined;
        },
        merge: (a, b) => StreamingKMeans.merge(a, b),
        transform(model, sample, msg) {
          const fields = msg as unknown as Record<string, unknown>;
          const rows = sample.rows;
          if (!sample.batch) {
            // The one allocation a sample needs: its distances go out on the message.
            const distances = new Array<number>(k);
            const cluster = model.transform(rows[0], distances);
            checkFinite(distances, 'a distance to a centre');
            fields.cluster = cluster;
            fields.kmeans = { cluster, distance: distances[cluster], distances };
            return;
          }
          // Plain arrays (not the lib's typed arrays), so that debug, JSON and function nodes see numbers.
          const n = rows.length;
          const clusters = new Array<number>(n);
          const nearest = new Array<number>(n);
          const all = new Array<number[]>(n);
          for (let i = 0; i < n; i++) {
            const distances = new Array<number>(k);
            const cluster = model.transform(rows[i], distances);
            checkFinite(distances, 'a distance to a centre');
            clusters[i] = cluster;
            nearest[i] = distances[cluster];
            all[i] = distances;
          }
          fields.cluster = clusters;
          fields.kmeans = { cluster: clusters, distance: nearest, distances: all };
        },
        status: (model) => `k=${model.k} n=${model.samplesSeen}`,
      };
    });
  }
  RED.nodes.registerType('ml-kmeans', KMeansNode);
};
