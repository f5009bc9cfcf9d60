/**
 * The model JSON of `ml-kmeans` (docs/model-json.md), named after scikit-learn's attributes:
 * writing a model's state, and reading and checking one, field by field.
 */
import { describeValue, ModelError } from '../errors';
import {
  MAX_MODEL_LOCATION,
  MAX_SAMPLES_SEEN,
  readHeader,
  readMatrix,
  readNumber,
  type JsonObject,
  type ModelHeader,
} from '../model';
import { decayFactor } from '../forgetting';
import { MAX_MAGNITUDE } from '../rows';
import type { Schema } from '../samples';
import { emptyState, offerWarmup, rowsOf, type KMeansState } from './centres';
import {
  KMEANS_DEFAULTS,
  KMEANS_TYPE,
  resolveKMeansOptions,
  warmupCapacity,
  type KMeansInit,
  type KMeansOptions,
  type ResolvedKMeansOptions,
} from './options';

/** The model JSON of `ml-kmeans`. */
export interface KMeansModelJSON extends ModelHeader {
  type: 'ml-kmeans';
  n_clusters: number;
  init: KMeansInit;
  /** k rows of n_features_in, or `null` while warming up. */
  cluster_centers: number[][] | null;
  /** Samples absorbed by each centre (a split centre shares its count with the re-seeded one). */
  counts: number[] | null;
  /** Forgetting-weighted counts; equal to `counts` without forgetting and re-seeding. */
  cluster_weights: number[] | null;
  /**
   * Samples buffered for k-means++ while warming up (at most warmupCapacity rows: all of them, or
   * a reservoir of them); empty once initialised.
   */
  warmup_samples: number[][];
  /** Seed of the k-means++ initialisation (scikit-learn's `random_state`). */
  random_state: number;
  /** Centres re-seeded because they starved. */
  n_reseeds: number;
  /**
   * Optional (models saved before it load without it): each cluster's weighted mean squared
   * distance of its members to its centre, the spread the outlier score divides by; `null` while
   * warming up. Without it the spreads are learned afresh from the next samples.
   */
  cluster_spreads?: number[] | null;
}

/** The model JSON of a model's schema, settings and state. */
export function writeKMeansJSON(
  schema: Schema,
  options: Readonly<ResolvedKMeansOptions>,
  state: KMeansState,
): KMeansModelJSON {
  const { k } = options;
  const d = schema.dimension;
  const ready = state.centers !== null;
  return {
    type: 'ml-kmeans',
    version: 1,
    features: schema.features ? [...schema.features] : null,
    n_features_in: d,
    n_samples_seen: state.seen,
    n_clusters: k,
    init: options.init,
    cluster_centers: ready ? rowsOf(state.centers!, k, d) : null,
    counts: ready ? Array.from(state.counts) : null,
    cluster_weights: ready ? Array.from(state.weights) : null,
    warmup_samples: state.warmup.map((row) => Array.from(row)),
    random_state: state.seed,
    n_reseeds: state.reseeds,
    cluster_spreads: ready ? Array.from(state.spreads) : null,
  };
}

/** A model read from JSON: what the model constructor needs to rebuild it. */
export interface ReadKMeansModel {
  schema: Schema;
  options: ResolvedKMeansOptions;
  state: KMeansState;
}

/**
 * Reads and checks a model JSON (from toJSON, or written by hand from scikit-learn's
 * `cluster_centers_` with `counts`). The model's `random_state` takes precedence over `seed`.
 * A warm-up buffer larger than this model's capacity is reduced by the same reservoir.
 * @param options the node's settings; `k`, when given, must match the model's.
 * @throws ModelError naming the first wrong field.
 */
export function readKMeansJSON(json: unknown, options: Partial<KMeansOptions>): ReadKMeansModel {
  const { model, schema, samples } = readHeader(json, KMEANS_TYPE);
  const d = schema.dimension;
  const centers = model.cluster_centers;
  const k = readClusterCount(model, centers, options.k);
  const init = model.init === undefined ? 'kmeans++' : model.init;
  if (init !== 'kmeans++' && init !== 'given') {
    throw new ModelError(`model init must be "kmeans++" or "given", got ${describeValue(init)}`);
  }
  const seed = model.random_state === undefined ? (options.seed ?? KMEANS_DEFAULTS.seed) : model.random_state;
  if (!Number.isSafeInteger(seed)) {
    throw new ModelError(`model random_state must be a whole number, got ${describeValue(seed)}`);
  }
  const reseeds = model.n_reseeds === undefined ? 0 : readNumber(model, 'n_reseeds', 0, MAX_SAMPLES_SEEN);
  if (!Number.isInteger(reseeds))
    throw new ModelError(`model n_reseeds must be a whole number ≥ 0, got ${reseeds}`);
  const warmup = readWarmup(model, d);
  let checked: ResolvedKMeansOptions;
  try {
    checked = resolveKMeansOptions({ ...options, k, init, centers: null, seed: seed as number }, d, false);
  } catch (err) {
    throw new ModelError(`the model does not fit the settings: ${(err as Error).message}`);
  }
  const state: KMeansState = { ...emptyState(k, seed as number), seen: samples, reseeds };
  if (centers === null || centers === undefined) {
    if (init === 'given')
      throw new ModelError('model cluster_centers is missing; a model with init "given" has centres');
    if (model.counts !== null && model.counts !== undefined) {
      throw new ModelError('model counts must be null while cluster_centers is null (warming up)');
    }
    if (model.cluster_spreads !== null && model.cluster_spreads !== undefined) {
      throw new ModelError('model cluster_spreads must be null while cluster_centers is null (warming up)');
    }
    readWarmupState(state, warmup, checked, d);
    return { schema, options: checked, state };
  }
  if (warmup.length > 0)
    throw new ModelError('model warmup_samples must be empty once cluster_centers are set');
  const flat = new Float64Array(k * d);
  readMatrix(model, 'cluster_centers', k, d, MAX_MODEL_LOCATION).forEach((row, j) => flat.set(row, j * d));
  const counts = readCounts(model, k, samples);
  state.centers = flat;
  state.counts.set(counts);
  state.weights.set(model.cluster_weights === undefined ? counts : readWeights(model, k));
  if (model.cluster_spreads !== undefined && model.cluster_spreads !== null) {
    state.spreads.set(readSpreads(model, k));
    state.spreadWeights.set(state.weights);
  }
  return { schema, options: checked, state };
}

/**
 * All the warm-up samples, or a reservoir of them (see warmupCapacity); a model written with a
 * larger buffer (another node's settings, or before the buffer was bounded) is reduced to this
 * one's by the same reservoir.
 */
function readWarmupState(
  state: KMeansState,
  warmup: Float64Array[],
  options: ResolvedKMeansOptions,
  d: number,
): void {
  const samples = state.seen;
  const capacity = warmupCapacity(options.warmupSamples, options.k, d);
  if (warmup.length > samples || warmup.length < Math.min(samples, capacity)) {
    throw new ModelError(
      `model warmup_samples holds ${warmup.length} rows but n_samples_seen is ${samples}; while warming up ` +
        `it holds every sample, or at least ${capacity} of them`,
    );
  }
  if (warmup.length <= capacity) {
    state.warmup = warmup;
    return;
  }
  state.seen = 0;
  const forgetting = decayFactor(options.halfLife) !== 1;
  for (const row of warmup) offerWarmup(state, row, d, capacity, forgetting);
  state.seen = samples;
}

/** The model's k, from its centres or `n_clusters`, checked against the node's `k`. */
function readClusterCount(model: JsonObject, centers: unknown, wanted: number | undefined): number {
  let k: number;
  if (Array.isArray(centers)) {
    k = centers.length;
    if (k < 1) throw new ModelError('model cluster_centers must hold at least one centre');
    if (model.n_clusters !== undefined && model.n_clusters !== k) {
      throw new ModelError(
        `model n_clusters is ${describeValue(model.n_clusters)} but cluster_centers has ${k} rows`,
      );
    }
  } else if (centers === null || centers === undefined) {
    if (!Number.isInteger(model.n_clusters) || (model.n_clusters as number) < 1) {
      throw new ModelError(`model n_clusters must be an integer ≥ 1, got ${describeValue(model.n_clusters)}`);
    }
    k = model.n_clusters as number;
  } else {
    throw new ModelError('model cluster_centers must be an array of centres, or null while warming up');
  }
  if (wanted !== undefined && wanted !== k) {
    throw new ModelError(`model has ${k} clusters but this node is set to k = ${wanted}`);
  }
  return k;
}

function readWarmup(model: JsonObject, d: number): Float64Array[] {
  const rows = model.warmup_samples;
  if (rows === undefined || rows === null) return [];
  if (!Array.isArray(rows)) throw new ModelError('model warmup_samples must be an array of rows');
  return readMatrix(model, 'warmup_samples', rows.length, d, MAX_MAGNITUDE);
}

function readCounts(model: JsonObject, k: number, samples: number): Float64Array {
  const raw = model.counts;
  if (!Array.isArray(raw) || raw.length !== k)
    throw new ModelError(`model counts must be an array of ${k} integers`);
  const counts = new Float64Array(k);
  let total = 0;
  raw.forEach((v: unknown, j) => {
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > samples) {
      throw new ModelError(
        `model counts[${j}] must be an integer ≥ 0 (at most n_samples_seen), got ${describeValue(v)}`,
      );
    }
    counts[j] = v as number;
    total += v as number;
  });
  if (total > samples) {
    throw new ModelError(`model counts add up to ${total}, more than n_samples_seen (${samples})`);
  }
  return counts;
}

function readSpreads(model: JsonObject, k: number): Float64Array {
  const raw = model.cluster_spreads;
  if (!Array.isArray(raw) || raw.length !== k) {
    throw new ModelError(`model cluster_spreads must be null or an array of ${k} numbers ≥ 0`);
  }
  const spreads = new Float64Array(k);
  raw.forEach((v: unknown, j) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ModelError(
        `model cluster_spreads[${j}] must be a finite number ≥ 0, got ${describeValue(v)}`,
      );
    }
    spreads[j] = v;
  });
  return spreads;
}

/** The largest cluster weight a loaded model may hold: 2^54, twice the most samples a model can count. */
const MAX_CLUSTER_WEIGHT = 2 ** 54;

function readWeights(model: JsonObject, k: number): Float64Array {
  const raw = model.cluster_weights;
  if (!Array.isArray(raw) || raw.length !== k) {
    throw new ModelError(`model cluster_weights must be an array of ${k} numbers ≥ 0`);
  }
  const weights = new Float64Array(k);
  raw.forEach((v: unknown, j) => {
    // Weights add up to at most the samples seen plus the given centres' weights of merged models.
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_CLUSTER_WEIGHT) {
      throw new ModelError(
        `model cluster_weights[${j}] must be a number from 0 to ${MAX_CLUSTER_WEIGHT}, got ${describeValue(v)}`,
      );
    }
    weights[j] = v;
  });
  return weights;
}
