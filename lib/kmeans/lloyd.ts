/**
 * Batch k-means on row-major rows: Lloyd's algorithm with scikit-learn's stopping rule and
 * empty-cluster relocation (a fit from scratch, the best of several restarts, is restarts.ts).
 *
 * Speed without changing a bit of the result: rows are one Float64Array read once, and a row's
 * distance to a centre stops being summed as soon as it exceeds the nearest distance found so
 * far (a sum of squares only grows, so that centre could not have won). The search starts from
 * the row's previous label, usually still the nearest, and a centre more than twice the row's
 * distance away from that one is not measured at all (Elkan's first lemma, with a margin against
 * rounding). Elkan's and Hamerly's per-row bounds carried across iterations were not added: from
 * k-means++ Lloyd takes two or three iterations here, too few for bounds to pay for their upkeep.
 */
import { PRUNE_MARGIN, rowDistance } from './centres';

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

/**
 * Half the distance between every two centres, k × k: a row within half of the distance from its
 * centre to another centre is nearer its own (Elkan's first lemma).
 */
function halfGaps(centers: Float64Array, k: number, d: number, out: Float64Array): void {
  for (let a = 0; a < k; a++) {
    out[a * k + a] = 0;
    for (let b = a + 1; b < k; b++) {
      let sum = 0;
      for (let f = 0; f < d; f++) {
        const delta = centers[a * d + f] - centers[b * d + f];
        sum += delta * delta;
      }
      out[a * k + b] = out[b * k + a] = Math.sqrt(sum) / 2;
    }
  }
}

/**
 * One pass over the rows: (when `reassign`) sets `labels[i]` to the nearest centre, ties to the
 * lowest index, exactly as a full comparison would; adds each row into its cluster's weighted sum
 * (after the prior's); and returns the weighted sum of squared distances to the labels' centres.
 * Reading each row once for all three matters when the rows do not fit in the cache.
 *
 * The previous label is measured first; another centre is skipped when half its distance to that
 * one exceeds the row's distance (it is then strictly farther), and its sum is abandoned once it
 * exceeds the best so far (or equals it, for a centre that would lose a tie).
 */
function assignAndAccumulate(
  data: Float64Array,
  n: number,
  rowWeights: Float64Array,
  centers: Float64Array,
  labels: Int32Array,
  reassign: boolean,
  prior: Prior | null,
  settings: LloydSettings,
  scratch: { gaps: Float64Array; sums: Float64Array; weights: Float64Array },
): number {
  const { k, d } = settings;
  const { gaps, sums, weights } = scratch;
  sums.fill(0);
  weights.fill(0);
  if (prior) {
    for (let j = 0; j < k; j++) {
      const w = prior.weights[j];
      weights[j] = w;
      for (let f = 0; f < d; f++) sums[j * d + f] = w * prior.centers[j * d + f];
    }
  }
  if (reassign) halfGaps(centers, k, d, gaps);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const o = i * d;
    const start = labels[i] < 0 ? 0 : labels[i];
    let best = start;
    let bestDistance = rowDistance(data, i, centers, best, d);
    if (reassign) {
      const radius = Math.sqrt(bestDistance) * PRUNE_MARGIN;
      for (let j = 0; j < k; j++) {
        if (j === best || gaps[start * k + j] > radius) continue;
        const c = j * d;
        const winsTie = j < best;
        let sum = 0;
        let f = 0;
        for (; f < d; f++) {
          const delta = data[o + f] - centers[c + f];
          sum += delta * delta;
          if (sum > bestDistance || (sum === bestDistance && !winsTie)) break;
        }
        if (f === d && (sum < bestDistance || (sum === bestDistance && winsTie))) {
          best = j;
          bestDistance = sum;
        }
      }
      labels[i] = best;
    }
    const w = rowWeights[i];
    inertia += w * bestDistance;
    weights[best] += w;
    const offset = best * d;
    for (let f = 0; f < d; f++) sums[offset + f] += w * data[o + f];
  }
  return inertia;
}

/**
 * scikit-learn's absolute tolerance: `tol` times the mean of the features' (unweighted, ddof = 0)
 * variances, so that convergence does not depend on the data's units. Each feature's sums run
 * over the rows in order, as a column-wise loop would.
 */
export function absoluteTolerance(data: Float64Array, n: number, d: number, tol: number): number {
  const means = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let f = 0; f < d; f++) means[f] += data[i * d + f];
  for (let f = 0; f < d; f++) means[f] /= n;
  const m2 = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < d; f++) {
      const delta = data[i * d + f] - means[f];
      m2[f] += delta * delta;
    }
  }
  let total = 0;
  for (let f = 0; f < d; f++) total += m2[f] / n;
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
 * `initialLabels`, when given, are the rows' nearest initial centres (ties to the lowest index),
 * which the first iteration then need not measure.
 * @param data n × d rows, row-major.
 */
export function lloyd(
  data: Float64Array,
  n: number,
  rowWeights: Float64Array,
  init: Float64Array,
  prior: Prior | null,
  settings: LloydSettings,
  initialLabels: Int32Array | null = null,
): LloydResult {
  const { k, d, tolerance, maxIter } = settings;
  let centers = Float64Array.from(init);
  let next = new Float64Array(k * d);
  const clusterWeights = new Float64Array(k);
  const labels = initialLabels ? Int32Array.from(initialLabels) : new Int32Array(n).fill(-1);
  const previous = new Int32Array(n).fill(-1);
  const scratch = { gaps: new Float64Array(k * k), sums: next, weights: clusterWeights };
  let strict = false;
  let nIter = 0;
  for (let iteration = 0; iteration < maxIter; iteration++) {
    nIter = iteration + 1;
    scratch.sums = next;
    const reassign = iteration > 0 || initialLabels === null;
    assignAndAccumulate(data, n, rowWeights, centers, labels, reassign, prior, settings, scratch);
    relocateEmptyClusters(data, n, rowWeights, labels, centers, k, d, next, clusterWeights);
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
  // The final labels' weights and the inertia; the sums themselves are not needed.
  scratch.sums = next;
  const inertia = assignAndAccumulate(
    data,
    n,
    rowWeights,
    centers,
    labels,
    !strict,
    prior,
    settings,
    scratch,
  );
  return { centers, labels, weights: clusterWeights, nIter, inertia };
}

/** scikit-learn's relocation: each empty cluster takes one of the rows farthest from their centre. */
function relocateEmptyClusters(
  data: Float64Array,
  n: number,
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
  const distances = new Float64Array(n);
  for (let i = 0; i < n; i++) distances[i] = rowDistance(data, i, centers, labels[i], d);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => distances[b] - distances[a] || a - b);
  for (let e = 0; e < empty.length && e < order.length; e++) {
    const far = order[e];
    const o = far * d;
    const w = rowWeights[far];
    const from = labels[far];
    const to = empty[e];
    for (let f = 0; f < d; f++) {
      sums[from * d + f] -= w * data[o + f];
      sums[to * d + f] = w * data[o + f];
    }
    weights[from] -= w;
    weights[to] = w;
  }
}

function sameLabels(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
