/**
 * Batch k-means on row-major rows: Lloyd's algorithm with scikit-learn's stopping rule and
 * empty-cluster relocation (a fit from scratch, the best of several restarts, is restarts.ts).
 *
 * Speed: rows are one Float64Array; each row keeps Hamerly's bounds on its distances, so a row that
 * cannot have changed cluster is not measured (see RowBounds), and each cluster's sums follow the
 * rows that move instead of being summed again (see ClusterTotals); the per-row buffers are reused
 * from restart to restart (fresh memory costs a page fault per 4 KiB). The labels are those of full
 * comparisons, and the final centres the means of their rows summed in row order.
 */
import { rowDistance } from './centres';
// Where the row weights were first exported; lib/forgetting.ts is their home.
export { ageWeights } from '../forgetting';

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
 * Each centre's half distance to its nearest other centre: a row nearer its own centre than that is
 * nearer its own than any other (Elkan's first lemma).
 */
function halfGaps(centers: Float64Array, k: number, d: number, out: Float64Array): void {
  out.fill(Infinity);
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      let sum = 0;
      for (let f = 0; f < d; f++) {
        const delta = centers[a * d + f] - centers[b * d + f];
        sum += delta * delta;
      }
      const half = Math.sqrt(sum) / 2;
      if (half < out[a]) out[a] = half;
      if (half < out[b]) out[b] = half;
    }
  }
}

/**
 * Hamerly's bounds of each row: `upper` at least its distance to its labelled centre, `lower` at
 * most its distance to any other, both carried from iteration to iteration by how far the centres
 * moved. A row whose upper bound is below its lower bound (or below half its centre's gap to the
 * next) keeps its label without a distance being measured.
 *
 * The bounds pile up rounding over the iterations, so a row is skipped only when it wins by more
 * than `slack`: 1e-9 of the largest distance the fit can see (the diameter of the box holding the
 * rows and every starting centre), far above the accumulated rounding and far below any real gap.
 * A skipped row is then strictly nearest its own centre, which a full comparison would also pick,
 * ties included; every other row is measured against every centre.
 */
class RowBounds {
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  /** How far each centre moved in the last update, and the most any other centre moved. */
  readonly moved: Float64Array;
  readonly movedOther: Float64Array;
  /** Half of each centre's distance to its nearest other centre. */
  readonly gaps: Float64Array;

  /** Bounds that know nothing yet: every row is measured on its first reassignment. */
  constructor(
    scratch: LloydScratch,
    k: number,
    readonly slack: number,
  ) {
    this.upper = scratch.upper.fill(Infinity);
    this.lower = scratch.lower.fill(0);
    this.moved = new Float64Array(k);
    this.movedOther = new Float64Array(k);
    this.gaps = new Float64Array(k);
  }

  /** Records how far each centre moved from `before` to `after`, for the next pass to apply. */
  recordMove(before: Float64Array, after: Float64Array, k: number, d: number): void {
    const { moved, movedOther } = this;
    let most = 0;
    let second = 0;
    for (let j = 0; j < k; j++) {
      let sum = 0;
      for (let f = 0; f < d; f++) {
        const delta = after[j * d + f] - before[j * d + f];
        sum += delta * delta;
      }
      const distance = Math.sqrt(sum);
      moved[j] = distance;
      if (distance > most) {
        second = most;
        most = distance;
      } else if (distance > second) second = distance;
    }
    for (let j = 0; j < k; j++) movedOther[j] = moved[j] === most ? second : most;
  }
}

/**
 * The per-row buffers of a Lloyd run, for the next restart to reuse: first writes to freshly
 * allocated memory cost far more than a pass over the rows (page faults, about 15 µs per 4 KiB
 * page measured here), and a fit runs Lloyd once per restart.
 */
export class LloydScratch {
  readonly upper: Float64Array;
  readonly lower: Float64Array;
  /** The labels of the last run; a caller that keeps them swaps in another array before the next. */
  labels: Int32Array;

  /** @param upper, lower buffers of n numbers to use for the bounds (e.g. another stage's, free by then). */
  constructor(
    readonly n: number,
    upper: Float64Array = new Float64Array(n),
    lower: Float64Array = new Float64Array(n),
  ) {
    this.upper = upper;
    this.lower = lower;
    this.labels = new Int32Array(n);
  }
}

/** The diameter of the box that holds the rows and the given centres. */
function boxDiameter(data: Float64Array, n: number, d: number, centers: Float64Array[]): number {
  const low = data.slice(0, d);
  const high = data.slice(0, d);
  for (const values of [data, ...centers]) {
    const end = values === data ? n * d : values.length;
    for (let at = 0; at < end; at += d) {
      for (let f = 0; f < d; f++) {
        const value = values[at + f];
        if (value < low[f]) low[f] = value;
        else if (value > high[f]) high[f] = value;
      }
    }
  }
  let sum = 0;
  for (let f = 0; f < d; f++) sum += (high[f] - low[f]) ** 2;
  return Math.sqrt(sum);
}

/**
 * Sets `labels[i]` to the row's nearest centre, ties to the lowest index, exactly as a full
 * comparison would, measuring only the rows that Hamerly's bounds cannot keep; and moves each row
 * that changes cluster between the `totals`, when given.
 * @returns the number of labels that changed.
 */
function reassign(
  data: Float64Array,
  n: number,
  centers: Float64Array,
  labels: Int32Array,
  k: number,
  d: number,
  bounds: RowBounds,
  totals: ClusterTotals | null,
): number {
  const { upper, lower, moved, movedOther, gaps, slack } = bounds;
  halfGaps(centers, k, d, gaps);
  let changed = 0;
  for (let i = 0; i < n; i++) {
    const label = labels[i];
    if (label >= 0) {
      let up = upper[i] + moved[label];
      const low = lower[i] - movedOther[label];
      const bound = (low > gaps[label] ? low : gaps[label]) - slack;
      if (up >= bound) up = Math.sqrt(rowDistance(data, i, centers, label, d));
      upper[i] = up;
      lower[i] = low;
      if (up < bound) continue;
    }
    // Every centre, in index order: the nearest (ties to the lowest index) and the next.
    const o = i * d;
    let best = 0;
    let bestDistance = Infinity;
    let nextDistance = Infinity;
    for (let j = 0; j < k; j++) {
      const c = j * d;
      let sum = 0;
      for (let f = 0; f < d; f++) {
        const delta = data[o + f] - centers[c + f];
        sum += delta * delta;
      }
      if (sum < bestDistance) {
        nextDistance = bestDistance;
        bestDistance = sum;
        best = j;
      } else if (sum < nextDistance) nextDistance = sum;
    }
    if (best !== label) {
      changed++;
      if (totals !== null && label >= 0) totals.move(data, i, label, best);
    }
    labels[i] = best;
    upper[i] = Math.sqrt(bestDistance);
    lower[i] = Math.sqrt(nextDistance);
  }
  return changed;
}

/**
 * Each cluster's weighted sum of its rows (after the prior's), its weight and its number of rows,
 * kept up to date as rows change cluster rather than summed again each iteration: after the first
 * iterations few rows move, and summing all of them was half of an iteration's time. The moves
 * add rounding to the sums (relative 1e-16 per move), so the last centres of a run are summed
 * afresh; a cluster that loses its last row gets its sums back exactly (the prior's), so an empty
 * cluster is seen as empty.
 */
class ClusterTotals {
  readonly sums: Float64Array;
  readonly weights: Float64Array;
  readonly counts: Int32Array;

  constructor(
    readonly rowWeights: Float64Array,
    readonly prior: Prior | null,
    readonly k: number,
    readonly d: number,
  ) {
    this.sums = new Float64Array(k * d);
    this.weights = new Float64Array(k);
    this.counts = new Int32Array(k);
  }

  /** Sums every row into its cluster, in row order. */
  sumAll(data: Float64Array, n: number, labels: Int32Array): void {
    const { sums, weights, counts, rowWeights, k, d } = this;
    counts.fill(0);
    for (let j = 0; j < k; j++) this.clear(j);
    for (let i = 0; i < n; i++) {
      const o = i * d;
      const w = rowWeights[i];
      const label = labels[i];
      weights[label] += w;
      counts[label] += 1;
      const offset = label * d;
      for (let f = 0; f < d; f++) sums[offset + f] += w * data[o + f];
    }
  }

  /** Moves row i from cluster `from` to cluster `to`. */
  move(data: Float64Array, i: number, from: number, to: number): void {
    const { sums, weights, counts, d } = this;
    const w = this.rowWeights[i];
    const o = i * d;
    counts[to] += 1;
    weights[to] += w;
    for (let f = 0; f < d; f++) sums[to * d + f] += w * data[o + f];
    if (--counts[from] === 0) {
      this.clear(from);
      return;
    }
    weights[from] -= w;
    for (let f = 0; f < d; f++) sums[from * d + f] -= w * data[o + f];
  }

  /** Cluster j as if it had no rows: the prior's weight and weighted centre, or nothing. */
  private clear(j: number): void {
    const { sums, weights, prior, d } = this;
    const w = prior ? prior.weights[j] : 0;
    weights[j] = w;
    for (let f = 0; f < d; f++) sums[j * d + f] = prior ? w * prior.centers[j * d + f] : 0;
  }
}

/**
 * Each cluster's weight (after the prior's) and the weighted sum of squared distances of the rows
 * to their labels' centres.
 */
function inertiaOf(
  data: Float64Array,
  n: number,
  rowWeights: Float64Array,
  labels: Int32Array,
  centers: Float64Array,
  prior: Prior | null,
  d: number,
  weights: Float64Array,
): number {
  if (prior) weights.set(prior.weights);
  else weights.fill(0);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const w = rowWeights[i];
    weights[labels[i]] += w;
    inertia += w * rowDistance(data, i, centers, labels[i], d);
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

/**
 * Lloyd's algorithm exactly as scikit-learn's `_kmeans_single_lloyd`: stop when the labels repeat
 * (strict convergence) or when the summed squared centre shift is ≤ `tolerance`; in the latter case
 * re-assign the labels once to the final centres. Empty clusters take the rows farthest from their
 * centres (`_relocate_empty_clusters_dense`). With a `prior`, each old centre adds its weight at
 * its old place to its own cluster, so learned clusters keep their index and their history.
 * `initialLabels`, when given, are the rows' nearest initial centres (ties to the lowest index),
 * which the first iteration then need not measure.
 * @param data n × d rows, row-major.
 * @param scratch buffers for n rows to reuse; the result's `labels` is then `scratch.labels`.
 */
export function lloyd(
  data: Float64Array,
  n: number,
  rowWeights: Float64Array,
  init: Float64Array,
  prior: Prior | null,
  settings: LloydSettings,
  initialLabels: Int32Array | null = null,
  scratch: LloydScratch = new LloydScratch(n),
): LloydResult {
  const { k, d, tolerance, maxIter } = settings;
  let centers = Float64Array.from(init);
  let next = new Float64Array(k * d);
  const clusterWeights = new Float64Array(k);
  const labels = scratch.labels;
  if (initialLabels) labels.set(initialLabels);
  else labels.fill(-1);
  const starts = prior ? [init, prior.centers] : [init];
  const bounds = new RowBounds(scratch, k, 1e-9 * boxDiameter(data, n, d, starts));
  let strict = false;
  let nIter = 0;
  const totals = new ClusterTotals(rowWeights, prior, k, d);
  // Moves are exact in the weights only when every row weighs 1: with forgetting, a cluster that
  // loses its newest row could keep a weight that is all rounding.
  const incremental = rowWeights.every((w) => w === 1);
  for (let iteration = 0; iteration < maxIter; iteration++) {
    nIter = iteration + 1;
    const reassigned = iteration > 0 || initialLabels === null;
    // Labels from nowhere (-1) have no totals to move between: those are summed afresh.
    const moving = iteration > 0 && incremental ? totals : null;
    const changed = reassigned ? reassign(data, n, centers, labels, k, d, bounds, moving) : 0;
    const converged = reassigned && changed === 0;
    // The last centres come from sums in row order, the exact means of their rows.
    if (moving === null || converged || iteration === maxIter - 1) totals.sumAll(data, n, labels);
    let shift = nextCenters(data, n, rowWeights, labels, centers, totals, next, clusterWeights, k, d);
    if (!converged && moving !== null && shift <= tolerance) {
      totals.sumAll(data, n, labels);
      shift = nextCenters(data, n, rowWeights, labels, centers, totals, next, clusterWeights, k, d);
    }
    bounds.recordMove(centers, next, k, d);
    [centers, next] = [next, centers];
    // The labels repeat exactly when this pass changed none (scikit-learn's strict convergence).
    if (converged) {
      strict = true;
      break;
    }
    if (shift <= tolerance) break;
  }
  // After a stop on the tolerance, the labels of the final centres (scikit-learn's last E-step).
  if (!strict) reassign(data, n, centers, labels, k, d, bounds, null);
  const inertia = inertiaOf(data, n, rowWeights, labels, centers, prior, d, clusterWeights);
  return { centers, labels, weights: clusterWeights, nIter, inertia };
}

/**
 * The next centres from the totals of the labels (after scikit-learn's relocation of empty
 * clusters, which changes this iteration's centres only) into `next`, their weights into
 * `weights`; a centre without weight stays where it is.
 * @returns the summed squared shift of the centres.
 */
function nextCenters(
  data: Float64Array,
  n: number,
  rowWeights: Float64Array,
  labels: Int32Array,
  centers: Float64Array,
  totals: ClusterTotals,
  next: Float64Array,
  weights: Float64Array,
  k: number,
  d: number,
): number {
  next.set(totals.sums);
  weights.set(totals.weights);
  relocateEmptyClusters(data, n, rowWeights, labels, centers, k, d, next, weights);
  let shift = 0;
  for (let j = 0; j < k; j++) {
    const weight = weights[j];
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
  return shift;
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
