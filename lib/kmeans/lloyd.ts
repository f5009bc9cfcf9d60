/**
 * Batch k-means: Lloyd's algorithm with scikit-learn's stopping rule and empty-cluster relocation,
 * and a fit from scratch as the best of several k-means++ restarts.
 */
import { SeededRandom } from '../random';
import { nearestCenter, squaredDistance, type Rows } from './centres';
import { kmeansPlusPlus } from './init';
import { matchCenters, permuteRows } from './merge';

/** Centres of a model that earlier samples pin: each keeps its own cluster as a weighted point. */
export interface Prior {
  centers: Float64Array;
  weights: Float64Array;
}

export interface LloydResult {
  centers: Float64Array;
  labels: Int32Array;
  /** Per-cluster weight of the final labels (plus the prior's). */
  weights: Float64Array;
  nIter: number;
  /** Weighted sum of squared distances of the rows to their centres. */
  inertia: number;
}

/** What a Lloyd run needs besides the rows and the start. */
export interface LloydSettings {
  k: number;
  d: number;
  /** Absolute tolerance on the summed squared centre shift (see {@link absoluteTolerance}). */
  tolerance: number;
  maxIter: number;
}

/** Sets `labels[i]` to the nearest centre of each row. */
function assignLabels(rows: Rows, centers: Float64Array, k: number, d: number, labels: Int32Array): void {
  for (let i = 0; i < rows.length; i++) labels[i] = nearestCenter(rows[i], centers, k, d);
}

/**
 * scikit-learn's absolute tolerance: `tol` times the mean of the features' (unweighted, ddof = 0)
 * variances, so that convergence does not depend on the data's units.
 */
export function absoluteTolerance(rows: Rows, d: number, tol: number): number {
  const n = rows.length;
  let total = 0;
  for (let f = 0; f < d; f++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += rows[i][f];
    mean /= n;
    let m2 = 0;
    for (let i = 0; i < n; i++) {
      const delta = rows[i][f] - mean;
      m2 += delta * delta;
    }
    total += m2 / n;
  }
  return (total / d) * tol;
}

/** Forgetting weights of rows 0..n−1 where the last row is the newest: `decay^(n−1−i)`. */
export function ageWeights(n: number, decay: number): Float64Array {
  const weights = new Float64Array(n).fill(1);
  // Powers computed directly, not by repeated multiplication, so the newest rows never underflow.
  if (decay !== 1) for (let i = 0; i < n; i++) weights[i] = Math.pow(decay, n - 1 - i);
  return weights;
}

/**
 * Lloyd's algorithm exactly as scikit-learn's `_kmeans_single_lloyd`: stop when the labels repeat
 * (strict convergence) or when the summed squared centre shift is ≤ `tolerance`; in the latter case
 * re-assign the labels once to the final centres. Empty clusters take the rows farthest from their
 * centres (`_relocate_empty_clusters_dense`). With a `prior`, each old centre adds its weight at
 * its old place to its own cluster, so learned clusters keep their index and their history.
 */
export function lloyd(
  rows: Rows,
  rowWeights: Float64Array,
  init: Float64Array,
  prior: Prior | null,
  settings: LloydSettings,
): LloydResult {
  const { k, d, tolerance, maxIter } = settings;
  const n = rows.length;
  let centers = Float64Array.from(init);
  let next = new Float64Array(k * d);
  const clusterWeights = new Float64Array(k);
  const labels = new Int32Array(n).fill(-1);
  const previous = new Int32Array(n).fill(-1);
  let strict = false;
  let nIter = 0;
  for (let iteration = 0; iteration < maxIter; iteration++) {
    nIter = iteration + 1;
    assignLabels(rows, centers, k, d, labels);
    accumulate(rows, rowWeights, labels, prior, k, d, next, clusterWeights);
    relocateEmptyClusters(rows, rowWeights, labels, centers, k, d, next, clusterWeights);
    let shift = 0;
    for (let j = 0; j < k; j++) {
      const weight = clusterWeights[j];
      let moved = 0;
      for (let f = 0; f < d; f++) {
        const at = j * d + f;
        const value = weight > 0 ? next[at] / weight : centers[at];
        next[at] = value;
        const delta = value - centers[at];
        moved += delta * delta;
      }
      shift += moved;
    }
    [centers, next] = [next, centers];
    if (sameLabels(labels, previous)) {
      strict = true;
      break;
    }
    if (shift <= tolerance) break;
    previous.set(labels);
  }
  if (!strict) assignLabels(rows, centers, k, d, labels);
  accumulate(rows, rowWeights, labels, prior, k, d, next, clusterWeights);
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += rowWeights[i] * squaredDistance(rows[i], centers, labels[i], d);
  return { centers, labels, weights: clusterWeights, nIter, inertia };
}

/** Weighted sums of each cluster's rows (plus its prior) into `sums`, and their weights. */
function accumulate(
  rows: Rows,
  rowWeights: Float64Array,
  labels: Int32Array,
  prior: Prior | null,
  k: number,
  d: number,
  sums: Float64Array,
  weights: Float64Array,
): void {
  sums.fill(0);
  weights.fill(0);
  if (prior) {
    for (let j = 0; j < k; j++) {
      const w = prior.weights[j];
      weights[j] = w;
      for (let f = 0; f < d; f++) sums[j * d + f] = w * prior.centers[j * d + f];
    }
  }
  for (let i = 0; i < rows.length; i++) {
    const x = rows[i];
    const w = rowWeights[i];
    const offset = labels[i] * d;
    weights[labels[i]] += w;
    for (let f = 0; f < d; f++) sums[offset + f] += w * x[f];
  }
}

/** scikit-learn's relocation: each empty cluster takes one of the rows farthest from their centre. */
function relocateEmptyClusters(
  rows: Rows,
  rowWeights: Float64Array,
  labels: Int32Array,
  centers: Float64Array,
  k: number,
  d: number,
  sums: Float64Array,
  weights: Float64Array,
): void {
  const empty: number[] = [];
  for (let j = 0; j < k; j++) if (weights[j] === 0) empty.push(j);
  if (empty.length === 0) return;
  const distances = rows.map((x, i) => squaredDistance(x, centers, labels[i], d));
  const order = distances.map((_, i) => i).sort((a, b) => distances[b] - distances[a] || a - b);
  for (let e = 0; e < empty.length && e < order.length; e++) {
    const far = order[e];
    const x = rows[far];
    const w = rowWeights[far];
    const from = labels[far];
    const to = empty[e];
    for (let f = 0; f < d; f++) {
      sums[from * d + f] -= w * x[f];
      sums[to * d + f] = w * x[f];
    }
    weights[from] -= w;
    weights[to] = w;
  }
}

function sameLabels(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Fits centres to `rows` from scratch: Lloyd from `start`, or from k-means++ (best of `restarts`,
 * renumbered to match the first restart so that the numbering does not depend on which restart won).
 */
export function fitCenters(
  rows: Rows,
  rowWeights: Float64Array,
  start: Float64Array | null,
  settings: LloydSettings & { restarts: number; seed: number },
): LloydResult {
  if (start) return lloyd(rows, rowWeights, start, null, settings);
  const { k, d } = settings;
  const random = new SeededRandom(settings.seed);
  let first: Float64Array | null = null;
  let best: LloydResult | null = null;
  for (let run = 0; run < settings.restarts; run++) {
    const result = lloyd(rows, rowWeights, kmeansPlusPlus(rows, rowWeights, k, d, random), null, settings);
    first ??= result.centers;
    if (best === null || result.inertia < best.inertia) best = result;
  }
  const kept = best!;
  const match = matchCenters(first!, kept.centers, k, d);
  permuteRows(kept.centers, match, d);
  permuteRows(kept.weights, match, 1);
  const inverse = new Int32Array(k);
  match.forEach((from, to) => (inverse[from] = to));
  for (let i = 0; i < kept.labels.length; i++) kept.labels[i] = inverse[kept.labels[i]];
  return kept;
}
