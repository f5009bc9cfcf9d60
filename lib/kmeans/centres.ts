/**
 * What every k-means step shares: the row-major centres, distances to them, and the state a
 * model is made of (so that loading, copying and merging build a model from its state).
 */

import { hashUniform } from '../random';
import { STARVING_FRACTION } from './options';

/** Everything a k-means model has learned, beside its schema and settings. */
export interface KMeansState {
  /** k × d centres, row-major, or `null` while warming up. */
  centers: Float64Array | null;
  /** Forgetting-weighted samples absorbed by each centre. */
  weights: Float64Array;
  /** Samples absorbed by each centre. */
  counts: Float64Array;
  /** The warm-up buffer (see warmupCapacity); empty once the centres exist. */
  warmup: Float64Array[];
  /** Samples learned, warm-up included. */
  seen: number;
  /** Centres re-seeded because they starved. */
  reseeds: number;
  /** Seed of the k-means++ draws and of the warm-up reservoir. */
  seed: number;
  /** Per cluster, the weighted mean squared distance of its members to its centre (see outlier.ts). */
  spreads: Float64Array;
  /** Per cluster, the forgetting-weighted samples `spreads` rests on; 0 while unknown. */
  spreadWeights: Float64Array;
  /** Consecutive samples scored as outliers, up to the latest (not saved with the model). */
  outlierRun: number;
}

/** The state of a new model of k clusters, warming up. */
export function emptyState(k: number, seed: number): KMeansState {
  return {
    centers: null,
    weights: new Float64Array(k),
    counts: new Float64Array(k),
    warmup: [],
    seen: 0,
    reseeds: 0,
    seed,
    spreads: new Float64Array(k),
    spreadWeights: new Float64Array(k),
    outlierRun: 0,
  };
}

/** An independent copy of `state`. */
export function copyState(state: KMeansState): KMeansState {
  return {
    centers: state.centers ? Float64Array.from(state.centers) : null,
    weights: Float64Array.from(state.weights),
    counts: Float64Array.from(state.counts),
    warmup: state.warmup.map((row) => Float64Array.from(row)),
    seen: state.seen,
    reseeds: state.reseeds,
    seed: state.seed,
    spreads: Float64Array.from(state.spreads),
    spreadWeights: Float64Array.from(state.spreadWeights),
    outlierRun: state.outlierRun,
  };
}

/** Squared Euclidean distance of `x` to centre `j` of the row-major centres. */
export function squaredDistance(x: ArrayLike<number>, centers: Float64Array, j: number, d: number): number {
  let sum = 0;
  const offset = j * d;
  for (let f = 0; f < d; f++) {
    const delta = x[f] - centers[offset + f];
    sum += delta * delta;
  }
  return sum;
}

/** Index of the nearest centre; ties go to the lowest index. */
export function nearestCenter(x: ArrayLike<number>, centers: Float64Array, k: number, d: number): number {
  let best = 0;
  let bestDistance = Infinity;
  for (let j = 0; j < k; j++) {
    const distance = squaredDistance(x, centers, j, d);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = j;
    }
  }
  return best;
}

/** Copies row `x` into centre `j`. */
export function setCenter(centers: Float64Array, j: number, x: ArrayLike<number>, d: number): void {
  for (let f = 0; f < d; f++) centers[j * d + f] = x[f];
}

/** Row-major k × d values as k plain arrays. */
export function rowsOf(flat: Float64Array, k: number, d: number): number[][] {
  return Array.from({ length: k }, (_, j) => Array.from(flat.subarray(j * d, (j + 1) * d)));
}

/**
 * Offers one warm-up sample to the buffer of `state` (see warmupCapacity) and counts it. The row
 * is copied: the caller's may be a scratch buffer that the next read overwrites.
 * @param capacity the most rows the buffer keeps.
 * @param forgetting true with a half-life: the buffer then keeps the newest rows.
 */
export function offerWarmup(
  state: KMeansState,
  x: ArrayLike<number>,
  d: number,
  capacity: number,
  forgetting: boolean,
): void {
  const index = state.seen;
  state.seen += 1;
  const warmup = state.warmup;
  if (warmup.length < capacity) {
    warmup.push(Float64Array.from({ length: d }, (_, f) => x[f]));
    return;
  }
  if (forgetting) {
    // Keep the newest, in arrival order (the oldest weighs least).
    const reused = warmup.shift()!;
    for (let f = 0; f < d; f++) reused[f] = x[f];
    warmup.push(reused);
    return;
  }
  // Algorithm R: sample number `index` (0-based) replaces a kept one with probability capacity/(index + 1).
  const slot = Math.floor(hashUniform(state.seed, index) * (index + 1));
  if (slot < capacity) {
    const row = warmup[slot];
    for (let f = 0; f < d; f++) row[f] = x[f];
  }
}

/**
 * Spark's rule: when the lightest centre weighs less than STARVING_FRACTION of the
 * heaviest, the heaviest cluster is split in two — the starving centre moves onto it, both
 * nudged apart by 1e-14 relative and sharing its weight and count; the next samples pull the two
 * apart. Splitting the heaviest (rather than jumping to a random sample, as MiniBatchKMeans does)
 * puts the new centre where most data are, typically where two clusters have been merged.
 * @returns the index re-seeded, or −1.
 */
export function reseedStarving(state: KMeansState, k: number, d: number): number {
  if (k < 2) return -1;
  const { weights, counts, spreads, spreadWeights } = state;
  let largest = 0;
  let smallest = 0;
  for (let j = 1; j < k; j++) {
    if (weights[j] > weights[largest]) largest = j;
    if (weights[j] < weights[smallest]) smallest = j;
  }
  if (!(weights[smallest] < STARVING_FRACTION * weights[largest])) return -1;
  const centers = state.centers!;
  const shared = (weights[largest] + weights[smallest]) / 2;
  weights[largest] = shared;
  weights[smallest] = shared;
  const count = counts[largest];
  counts[largest] = Math.ceil(count / 2);
  counts[smallest] = Math.floor(count / 2);
  for (let f = 0; f < d; f++) {
    const value = centers[largest * d + f];
    const nudge = 1e-14 * Math.max(Math.abs(value), 1);
    centers[largest * d + f] = value + nudge;
    centers[smallest * d + f] = value - nudge;
  }
  // Both halves start with the split cluster's spread.
  spreads[smallest] = spreads[largest];
  const sharedSpread = (spreadWeights[largest] + spreadWeights[smallest]) / 2;
  spreadWeights[largest] = sharedSpread;
  spreadWeights[smallest] = sharedSpread;
  state.reseeds += 1;
  return smallest;
}

/** Result of StreamingKMeans.learnBatch, as scikit-learn's `fit_transform` and `labels_`. */
export interface KMeansBatchResult {
  /** Index of the nearest centre of each row. */
  labels: Int32Array;
  /** Euclidean distances of each row to every centre, n × k row-major (scikit-learn's `fit_transform`). */
  distanceMatrix: Float64Array;
  /**
   * The same distances as one k-number view per row of `distanceMatrix`, made on first read (100k
   * small arrays cost more to allocate and collect than the distances cost to compute).
   */
  readonly distances: Float64Array[];
  /** Sum of squared distances of the batch's rows to their nearest centre. */
  inertia: number;
  /** Lloyd iterations run (of the kept restart), as scikit-learn's `n_iter_`. */
  nIter: number;
}

/**
 * Labels (nearest centre, ties to the lowest index), Euclidean distances to every centre and
 * inertia of n × d row-major rows, as a model's transform computes them one by one; the
 * distances as one n × k row-major matrix; `nIter` is passed through.
 */
export function describeRows(
  data: Float64Array,
  centers: Float64Array,
  k: number,
  d: number,
  nIter: number,
): KMeansBatchResult {
  const n = data.length / d;
  const labels = new Int32Array(n);
  const all = new Float64Array(n * k);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let best = 0;
    let bestDistance = Infinity;
    for (let j = 0; j < k; j++) {
      const c = j * d;
      let sum = 0;
      for (let f = 0; f < d; f++) {
        const delta = data[o + f] - centers[c + f];
        sum += delta * delta;
      }
      all[i * k + j] = Math.sqrt(sum);
      if (sum < bestDistance) {
        bestDistance = sum;
        best = j;
      }
    }
    labels[i] = best;
    inertia += all[i * k + best] ** 2;
  }
  return new BatchResult(labels, all, k, inertia, nIter);
}

/**
 * A {@link KMeansBatchResult} whose row views are made on first read. A class rather than an object
 * literal with a getter: V8 cannot optimise creating the literal, and the deoptimisation at the end
 * of every call sent the next call's loop back to unoptimised code that allocates a heap number
 * per value (measured: most of the collections of a 100 000-row fit).
 */
class BatchResult implements KMeansBatchResult {
  private views: Float64Array[] | undefined;

  constructor(
    readonly labels: Int32Array,
    readonly distanceMatrix: Float64Array,
    private readonly k: number,
    readonly inertia: number,
    readonly nIter: number,
  ) {}

  get distances(): Float64Array[] {
    const { distanceMatrix: all, k } = this;
    this.views ??= Array.from({ length: this.labels.length }, (_, i) => all.subarray(i * k, i * k + k));
    return this.views;
  }
}

/** Squared distance of row `i` of `data` to centre `j`, summed in feature order. */
export function rowDistance(
  data: Float64Array,
  i: number,
  centers: Float64Array,
  j: number,
  d: number,
): number {
  let sum = 0;
  const o = i * d;
  const c = j * d;
  for (let f = 0; f < d; f++) {
    const delta = data[o + f] - centers[c + f];
    sum += delta * delta;
  }
  return sum;
}

/**
 * A margin for the triangle-inequality skips: a centre is skipped only when it is provably farther
 * by more than rounding could blur (relative 1e-9, against rounding errors near 1e-15), so that a
 * skipped comparison is one the full sum would have lost too.
 */
export const PRUNE_MARGIN = 1 + 1e-9;
