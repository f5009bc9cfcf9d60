/**
 * One eigen refit of a streaming PCA: the eigen-decomposition of the covariance, the order and
 * signs of the components, and everything a refit caches for scoring (k, variances, limits).
 *
 * Eigen solver: `ml-pca` (a required runtime dependency) given the covariance matrix
 * (`isCovarianceMatrix`). Only its eigenvectors and eigenvalues are used: its `predict` would
 * need means we already hold, allocates matrices per call, and it applies no sign convention, so
 * projection, signs, ordering and limits are done here. Under the hood it is ml-matrix's
 * symmetric EVD (Householder tridiagonalisation + QL), which is exact to rounding for the
 * covariance of standardized data (the scikit-learn parity tests agree to ~1e-13).
 *
 * Component order and signs, at every refit:
 * 1. Order is by decreasing eigenvalue, and each component's entry of largest absolute value is
 *    made positive (scikit-learn's convention, `svd_flip` on the components; the first such entry
 *    on an exact tie). This alone decides a first fit, a batch learned by a fresh model, and
 *    anything without a previous fit.
 * 2. When the model already had a fit (a stream's refit, an export, a merge into `a`, a load that
 *    refits from the stored statistics), the previous components are followed where rule 1 is
 *    ill-defined, so that scores do not flip or swap on noise:
 *    - Nearly equal eigenvalues (consecutive λ differing by at most 1e-2 of the larger, or both
 *      zero to 1e-12 of the total variance): within such a group the eigenvectors are arbitrary,
 *      so each previous component at those positions takes the new one it matches best (largest
 *      |dot|, greedily) and the sign agreeing with it; the rest keep rule 1.
 *    - Otherwise, a component continuing the previous one at its position (|dot| ≥ 0.5) whose
 *      previous largest positive entry is within 1e-3 (relative) of its new largest |entry| keeps
 *      that entry positive: when the two largest entries are that close, which one wins is noise.
 *    Outside these bands the signs are exactly scikit-learn's, so a component whose largest
 *    entry genuinely moves to an entry of opposite sign does change sign, as scikit-learn's would.
 */
import { PCA } from 'ml-pca';
import type { RunningCovariance } from '../covariance';
import { MIN_T2_VARIANCE, speLimit, t2Limit, ZERO_VARIANCE } from './limits';
import type { PcaOptions } from './options';

/** Relative gap under which two eigenvalues are "nearly equal" (see the rules above). */
const EIGEN_TIE = 1e-2;
/** Band within which the largest entry of a component is taken to be ambiguous. */
const PIVOT_BAND = 1e-3;
/** |cos| above which a new component is the continuation of a previous one. */
const SAME_AXIS = 0.5;

/**
 * The last eigen fit of a model, read only: what the contributions need. The arrays belong to the
 * fit, which a refit replaces and never changes.
 */
export interface PcaBasis {
  /** Components kept. */
  readonly k: number;
  /** The known unit eigenvectors, in model order: the first k are the components. */
  readonly vectors: ReadonlyArray<Readonly<Float64Array>>;
  /** The known eigenvalues (divisor W − 1), in model order. */
  readonly values: Readonly<Float64Array>;
  /** 1/λₐ of the k components exactly as T² uses it (with its floors). */
  readonly inverseVariance: Readonly<Float64Array>;
  /** Per feature, Σ_{m>k} vₘᵢ²: the diagonal of I − PPᵀ (the residual space's share of it). */
  readonly residualWeights: Readonly<Float64Array>;
  /** Per feature, Σ_{m>k} λₘ vₘᵢ²: its learned residual variance. */
  readonly residualVariances: Readonly<Float64Array>;
}

/** One eigen refit: immutable once built, so arrays handed out stay a consistent snapshot. */
export interface Fit {
  k: number;
  /**
   * True for a full eigen-decomposition (all d eigenpairs, exact to rounding); false for an
   * incremental refit, which knows only the leading eigenpairs (./subspace).
   */
  exact: boolean;
  /** The known eigenvalues (divisor W − 1) in model order: all d when exact, else the leading ones. */
  values: Float64Array;
  /** The unit eigenvectors of `values`, in model order. */
  vectors: Float64Array[];
  /** The first k of `vectors`, flat k × d row-major (the hot loop reads this). */
  components: Float64Array;
  explainedVariance: Float64Array;
  explainedVarianceRatio: Float64Array;
  /** 1/λₐ (with the zero-variance floor) for T². */
  inverseVariance: Float64Array;
  /** 1/√λₐ for whitening, 0 for a component with no variance. */
  whitenScale: Float64Array;
  /** The n the limits were computed with: the sum of weights. */
  n: number;
  t2Limit: number;
  speLimit: number;
}

/**
 * Eigen-decomposes the covariance of `covariance` (divisor W − 1, or 1 while W ≤ 1) and builds a
 * fit, ordered and signed by the rules above, following `previous` where they are ill-defined.
 * @param covariance statistics with at least one sample.
 * @param previous components to keep the orientation of (the last fit's), or null.
 * @param options the model's settings (components, confidence).
 */
export function solveFit(
  covariance: RunningCovariance,
  previous: Float64Array[] | null,
  options: PcaOptions,
): Fit {
  const d = covariance.dimension;
  const weight = covariance.weight;
  const divisor = weight > 1 ? weight - 1 : 1;
  const solved = new PCA(covariance.covarianceRows(divisor), { isCovarianceMatrix: true });
  const rawValues = solved.getEigenvalues();
  const rawVectors = solved.getEigenvectors();
  // ml-pca returns decreasing eigenvalues today; sorting (stably) keeps that a checked fact.
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => rawValues[j] - rawValues[i]);
  const values = new Float64Array(d);
  const vectors: Float64Array[] = [];
  order.forEach((column, m) => {
    // Rounding can make a zero eigenvalue slightly negative; a variance is ≥ 0.
    values[m] = Math.max(0, rawValues[column]);
    vectors.push(Float64Array.from({ length: d }, (_, j) => rawVectors.get(j, column)));
  });
  const trace = values.reduce((sum, v) => sum + v, 0);
  orient(vectors, values, previous, trace);
  return buildFit(vectors, values, trace, options, weight);
}

/** The dot product of two vectors of the same length. */
export function dot(u: ArrayLike<number>, v: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < u.length; j++) s += u[j] * v[j];
  return s;
}

function negate(v: Float64Array): void {
  for (let j = 0; j < v.length; j++) v[j] = -v[j];
}

/** Index of the entry of largest absolute value (the first on an exact tie, as numpy's argmax). */
function pivotOf(v: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < v.length; j++) if (Math.abs(v[j]) > Math.abs(v[best])) best = j;
  return best;
}

/** Index of the largest (signed) entry. */
function largestOf(v: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < v.length; j++) if (v[j] > v[best]) best = j;
  return best;
}

/**
 * Orders and signs freshly solved eigenvectors (sorted by decreasing eigenvalue) in place, by the
 * rules in the {@link StreamingPCA} comment; `values` is permuted with them.
 */
export function orient(
  vectors: Float64Array[],
  values: Float64Array,
  previous: Float64Array[] | null,
  trace: number,
): void {
  // The vectors known: all d after a full decomposition, the leading ones after an incremental refit.
  const d = vectors.length;
  for (const v of vectors) if (v[pivotOf(v)] < 0) negate(v);
  if (previous === null || previous.length === 0 || previous[0].length !== vectors[0].length) return;
  const zero = ZERO_VARIANCE * trace;
  const tied = new Uint8Array(d);
  let start = 0;
  for (let m = 1; m <= d; m++) {
    const closes = m === d || values[m - 1] - values[m] > EIGEN_TIE * values[m - 1] + zero;
    if (!closes) continue;
    if (m - start > 1) {
      alignGroup(vectors, values, previous, start, m);
      tied.fill(1, start, m);
    }
    start = m;
  }
  const limit = Math.min(d, previous.length);
  for (let m = 0; m < limit; m++) {
    if (tied[m]) continue;
    const v = vectors[m];
    const before = previous[m];
    if (Math.abs(dot(v, before)) < SAME_AXIS) continue;
    const kept = largestOf(before);
    if (Math.abs(v[kept]) >= (1 - PIVOT_BAND) * Math.abs(v[pivotOf(v)]) && v[kept] < 0) negate(v);
  }
}

/**
 * Within positions [start, end) of nearly equal eigenvalues, gives each previous component the new
 * vector it matches best (largest |dot|, greedily) with the sign agreeing with it.
 */
function alignGroup(
  vectors: Float64Array[],
  values: Float64Array,
  previous: Float64Array[],
  start: number,
  end: number,
): void {
  const slots = [];
  for (let p = start; p < Math.min(end, previous.length); p++) slots.push(p);
  if (slots.length === 0) return;
  const candidates = vectors.slice(start, end);
  const candidateValues = Array.from(values.subarray(start, end));
  const placed = new Array<number>(end - start).fill(-1); // position offset → candidate index
  const used = new Set<number>();
  // Greedy on the largest |dot| of all (slot, candidate) pairs: each dot once (g²·d for a group of
  // g, at most d³), then the pairs in decreasing order, ties to the lower slot, then candidate.
  // Re-scanning every open pair after each pick cost g³·d, d⁴ for a fully tied spectrum.
  const g = candidates.length;
  const pairs = slots.length * g;
  const scores = new Float64Array(pairs);
  for (let s = 0; s < slots.length; s++) {
    for (let c = 0; c < g; c++) scores[s * g + c] = Math.abs(dot(candidates[c], previous[slots[s]]));
  }
  const order = new Uint32Array(pairs);
  for (let i = 0; i < pairs; i++) order[i] = i;
  // NaN scores (never from finite statistics) sort last and are never picked, as before.
  order.sort((i, j) => score(scores[j]) - score(scores[i]) || i - j);
  const slotDone = new Uint8Array(slots.length);
  let open = slots.length;
  for (let n = 0; n < pairs && open > 0; n++) {
    const pair = order[n];
    const s = Math.floor(pair / g);
    const c = pair - s * g;
    if (slotDone[s] || used.has(c) || !(scores[pair] >= 0)) continue;
    const slot = slots[s];
    placed[slot - start] = c;
    used.add(c);
    slotDone[s] = 1;
    open--;
    if (dot(candidates[c], previous[slot]) < 0) negate(candidates[c]);
  }
  // Unmatched new vectors fill the remaining positions in eigenvalue order.
  let next = 0;
  for (let offset = 0; offset < placed.length; offset++) {
    if (placed[offset] >= 0) continue;
    while (used.has(next)) next++;
    placed[offset] = next;
    used.add(next);
  }
  placed.forEach((c, offset) => {
    vectors[start + offset] = candidates[c];
    values[start + offset] = candidateValues[c];
  });
}

/** A |dot| for sorting, NaN last. */
function score(value: number): number {
  return value >= 0 ? value : -1;
}

/**
 * The number of components to keep from eigenvalues in decreasing order: the setting when it is a
 * count; for a fraction, the fewest explaining at least that share of `trace` (one when nothing
 * varies), or null when the given eigenvalues do not reach it (all of them are then needed when
 * they are all d; an incremental refit that tracks only the leading ones cannot tell).
 */
export function componentsFor(values: ArrayLike<number>, trace: number, options: PcaOptions): number | null {
  if (options.components >= 1) return options.components;
  if (trace === 0) return 1;
  let cumulative = 0;
  for (let m = 0; m < values.length; m++) {
    cumulative += values[m] / trace;
    if (cumulative >= options.components) return m + 1;
  }
  return null;
}

/** Everything a refit caches: k, the kept components, variances and both limits. */
function buildFit(
  vectors: Float64Array[],
  values: Float64Array,
  trace: number,
  options: PcaOptions,
  weight: number,
): Fit {
  // All of them if rounding keeps the cumulative share just under the fraction.
  const k = componentsFor(values, trace, options) ?? vectors.length;
  return assembleFit(
    vectors,
    values,
    k,
    trace,
    options,
    weight,
    speLimit(values, k, trace, options.confidence),
    true,
  );
}

/**
 * Builds a fit from ordered, oriented unit vectors and their eigenvalues.
 * @param vectors at least k unit vectors of d entries, in model order.
 * @param values their eigenvalues (as many as `vectors`).
 * @param k components kept.
 * @param trace total variance (the trace of the covariance).
 * @param options the model's settings (confidence, for the T² limit).
 * @param weight the sum of weights: the n of the T² limit.
 * @param spe the SPE limit, from the discarded eigenvalues.
 * @param exact true when the vectors come from a full eigen-decomposition.
 */
export function assembleFit(
  vectors: Float64Array[],
  values: Float64Array,
  k: number,
  trace: number,
  options: PcaOptions,
  weight: number,
  spe: number,
  exact: boolean,
): Fit {
  const d = vectors[0].length;
  const ratioOf = (v: number): number => (trace > 0 ? v / trace : 0);
  const zero = ZERO_VARIANCE * trace;
  const components = new Float64Array(k * d);
  const explainedVariance = new Float64Array(k);
  const explainedVarianceRatio = new Float64Array(k);
  const inverseVariance = new Float64Array(k);
  const whitenScale = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    components.set(vectors[a], a * d);
    const lambda = values[a];
    explainedVariance[a] = lambda;
    explainedVarianceRatio[a] = ratioOf(lambda);
    const varies = lambda > zero;
    inverseVariance[a] = 1 / Math.max(varies ? lambda : zero, MIN_T2_VARIANCE);
    whitenScale[a] = varies ? 1 / Math.sqrt(lambda) : 0;
  }
  const n = weight;
  return {
    k,
    exact,
    values,
    vectors,
    components,
    explainedVariance,
    explainedVarianceRatio,
    inverseVariance,
    whitenScale,
    n,
    t2Limit: t2Limit(k, n, options.confidence),
    speLimit: spe,
  };
}
