/**
 * Which features make a PCA anomaly score large: per-feature contributions that add up exactly to
 * T² and to SPE, their control limits, and the feature to blame (docs/anomaly.md).
 *
 * Both decompositions are Alcala & Qin's complete decomposition contributions (CDC; "Analysis and
 * generalization of fault diagnosis methods for process monitoring", J. Process Control 21 (2011)
 * 322–330): for an index x̃ᵀMx̃ the contribution of feature i is (ξᵢᵀ M^{1/2} x̃)², with ξᵢ the i-th
 * unit vector and x̃ the sample centred on the model's mean. They add up to the index exactly.
 * - SPE: M = I − PPᵀ, which is idempotent, so M^{1/2}x̃ is the residual r and the contributions
 *   are rᵢ² (the classic SPE contribution plot).
 * - T²: M = D = PΛ⁻¹Pᵀ, D^{1/2} = PΛ^{-1/2}Pᵀ, so the contributions are the squared entries of
 *   P·(Λ^{-1/2}t), t the k (unwhitened) scores. Unlike the older "partial decomposition"
 *   (Miller et al.), every contribution is ≥ 0 and they sum to T².
 * Whitening changes only the scores a node sends, not T² or SPE, so it does not enter here.
 */
import type { PcaBasis } from './fit';
import type { PcaAnomaly } from './options';
import type { StreamingPCA } from './streaming';
import { normalQuantile } from '../stats';

/** Per-feature contributions of one sample, in feature order. */
export interface PcaContributions {
  /** Complete decomposition of T²: ≥ 0, summing to T². */
  t2: Float64Array;
  /** Squared residual per feature: summing to SPE. */
  spe: Float64Array;
}

/** Where {@link contributions} may write: typed arrays, or plain arrays a message carries. */
export interface ContributionsInto {
  t2: { [j: number]: number };
  spe: { [j: number]: number };
}

/** Per-feature contribution limits of a model at its confidence, in feature order. */
export interface PcaContributionLimits {
  t2: Float64Array;
  spe: Float64Array;
}

/** Contributions of a new sample of `dimension` features (zeros, to be filled by {@link contributions}). */
export function emptyContributions(dimension: number): PcaContributions {
  return { t2: new Float64Array(dimension), spe: new Float64Array(dimension) };
}

/**
 * Scratch of {@link project} and {@link contributions}, overwritten by every call: they run
 * synchronously and call nothing that could call them again, so one set serves every model and
 * a message's explanation allocates nothing but what it sends.
 */
const scratch: { centred: Float64Array; scores: Float64Array; whitened: Float64Array } = {
  centred: new Float64Array(16),
  scores: new Float64Array(4),
  whitened: new Float64Array(4),
};

/** `buffer` when it holds `length` values, else a larger one (kept as the new scratch). */
function atLeast(buffer: Float64Array, length: number): Float64Array {
  return buffer.length >= length ? buffer : new Float64Array(Math.max(length, 2 * buffer.length));
}

/**
 * `x` centred on the model's mean and its scores on the kept components, summed in the order the
 * model sums them, so that the SPE contributions add up to its SPE to the last bit. The arrays are
 * the module's scratch (longer than d and k): read them before the next call.
 */
function project(
  model: StreamingPCA,
  basis: PcaBasis,
  x: ArrayLike<number>,
): { centred: Float64Array; scores: Float64Array } {
  const d = model.schema.dimension;
  const mean = model.mean;
  const centred = (scratch.centred = atLeast(scratch.centred, d));
  for (let j = 0; j < d; j++) centred[j] = x[j] - mean[j];
  const scores = (scratch.scores = atLeast(scratch.scores, basis.k));
  for (let a = 0; a < basis.k; a++) {
    const v = basis.vectors[a];
    let s = 0;
    for (let j = 0; j < d; j++) s += centred[j] * v[j];
    scores[a] = s;
  }
  return scratch;
}

function basisOf(model: StreamingPCA): PcaBasis {
  const basis = model.basis;
  if (basis === null) throw new Error('the PCA model has learned no sample yet: learn at least one first');
  return basis;
}

/**
 * Writes the T² and SPE contributions of `x` into `into`, with the model's current mean and last
 * fit (the same numbers its T² and SPE come from). Every contribution is finite and ≥ 0: each is
 * at most its statistic, which the model keeps finite.
 * @param model a model that has learned at least one sample.
 * @param x a sample of `model.schema.dimension` values.
 * @param into receives both vectors (d values each; plain arrays too); returned.
 */
export function contributions<C extends ContributionsInto = PcaContributions>(
  model: StreamingPCA,
  x: ArrayLike<number>,
  into: C = emptyContributions(model.schema.dimension) as unknown as C,
): C {
  const basis = basisOf(model);
  const d = model.schema.dimension;
  const { k, vectors, inverseVariance } = basis;
  const { centred, scores } = project(model, basis, x);
  const whitened = (scratch.whitened = atLeast(scratch.whitened, k));
  for (let a = 0; a < k; a++) {
    // Zero stays zero (no move along a component of no variance), never 0 · ∞.
    whitened[a] = scores[a] === 0 ? 0 : scores[a] * Math.sqrt(inverseVariance[a]);
  }
  for (let j = 0; j < d; j++) {
    let r = centred[j];
    let w = 0;
    for (let a = 0; a < k; a++) {
      const p = vectors[a][j];
      r -= scores[a] * p;
      w += whitened[a] * p;
    }
    into.spe[j] = r * r;
    into.t2[j] = w * w;
  }
  return into;
}

/** χ²₁ quantile at `confidence`: the square of the two-sided normal quantile. */
function chiSquare1(confidence: number): number {
  const z = normalQuantile((1 + confidence) / 2);
  return z * z;
}

/** Relative difference under which two reconstruction-based contributions are a tie. */
const TIE = 1e-9;

const limitCache = new WeakMap<object, { confidence: number; limits: PcaContributionLimits }>();

/**
 * Per-feature limits of the contributions, at `confidence` (the model's by default): on normal
 * data each contribution is a scaled χ²₁ variable (a squared linear function of a Gaussian
 * sample), so its limit is its variance times the χ²₁ quantile, as Alcala & Qin (2011) give for
 * CDC.
 * - SPE: the learned residual variance of feature i, Σ_{m>k} λₘ vₘᵢ² (vₘ the discarded
 *   eigenvectors), times χ²₁.
 * - T²: Σ_{a≤k} λₐ/λₐ' vₐᵢ² (λₐ' the variance T² divides by, equal to λₐ unless it is floored),
 *   i.e. the i-th diagonal entry of PPᵀ, times χ²₁.
 * Computed once per fit (the result is shared: do not modify it).
 */
export function contributionLimits(
  model: StreamingPCA,
  confidence = model.options.confidence,
): PcaContributionLimits {
  const basis = basisOf(model);
  const cached = limitCache.get(basis.values);
  if (cached && cached.confidence === confidence) return cached.limits;
  const d = model.schema.dimension;
  const { k, vectors, values, inverseVariance, residualVariances } = basis;
  const q = chiSquare1(confidence);
  const t2 = new Float64Array(d);
  const spe = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    let inside = 0;
    for (let a = 0; a < k; a++) {
      const p = vectors[a][j];
      inside += Math.min(1, values[a] * inverseVariance[a]) * p * p;
    }
    t2[j] = q * inside;
    spe[j] = q * residualVariances[j];
  }
  const limits = { t2, spe };
  limitCache.set(basis.values, { confidence, limits });
  return limits;
}

/**
 * The feature to blame for an anomaly: of the statistic over its limit (when both are, the one
 * furthest over its limit relative to it), the feature that accounts for the largest share of it,
 * measured as Alcala & Qin's reconstruction-based contribution (RBC; "Reconstruction-based
 * contribution for process monitoring", Automatica 45 (2009) 1593–1600): how much the statistic
 * drops when that feature alone is reconstructed from the others, (ξᵢᵀMx̃)² / (ξᵢᵀMξᵢ).
 *
 * The contributions that add up to the statistic (above) are what a chart shows, but they smear: a
 * fault on one sensor leaks through the projection onto the others, and with few features the
 * largest share often lands on the wrong one. RBC divides that leak out, and names the faulty
 * sensor of a large single-sensor fault without fail (Alcala & Qin 2009, Theorem 1).
 * @returns the feature's index, or -1 when neither statistic is over its limit.
 */
export function topFeature(model: StreamingPCA, x: ArrayLike<number>, anomaly: PcaAnomaly): number {
  const overT2 = anomaly.t2 > anomaly.t2Limit;
  const overSpe = anomaly.spe > anomaly.speLimit;
  if (!overT2 && !overSpe) return -1;
  // A zero SPE limit (nothing discarded) makes any SPE infinitely far over it: SPE is then the one.
  const useT2 = overT2 && (!overSpe || anomaly.t2 * anomaly.speLimit >= anomaly.spe * anomaly.t2Limit);
  const basis = basisOf(model);
  const d = model.schema.dimension;
  const { k, vectors, inverseVariance, residualWeights } = basis;
  const { centred, scores } = project(model, basis, x);
  let best = -1;
  let bestValue = 0;
  let bestShare = 0;
  // Should no feature carry weight in M, the largest contribution.
  let fallback = 0;
  let fallbackValue = 0;
  for (let i = 0; i < d; i++) {
    // ξᵢᵀMx̃ and ξᵢᵀMξᵢ: M = D for T²; for SPE M = I − PPᵀ, whose diagonal is the basis's
    // residual weight (summed over the discarded eigenvectors where the fit knows them).
    // Its contribution (CDC) too, which decides between features the RBC cannot tell apart.
    let along = 0;
    let weight = 0;
    let share = 0;
    if (useT2) {
      let root = 0;
      for (let a = 0; a < k; a++) {
        const p = vectors[a][i];
        along += p * scores[a] * inverseVariance[a];
        weight += p * p * inverseVariance[a];
        if (scores[a] !== 0) root += p * scores[a] * Math.sqrt(inverseVariance[a]);
      }
      share = root * root;
    } else {
      along = centred[i];
      for (let a = 0; a < k; a++) along -= scores[a] * vectors[a][i];
      weight = residualWeights[i];
      share = along * along;
    }
    // A feature with no weight in M (no residual direction of its own, or no loading on any kept
    // component) cannot account for any of the statistic.
    const value = weight > (useT2 ? 0 : 1e-12) ? (along * along) / weight : 0;
    if (Number.isFinite(value) && value > 0) {
      // With a single residual direction (or a single component) every RBC is the same: the
      // index cannot isolate a feature, and rounding would pick one at random.
      const ahead = value > bestValue * (1 + TIE);
      const tied = !ahead && value >= bestValue * (1 - TIE);
      if (best < 0 || ahead || (tied && share > bestShare)) {
        best = i;
        bestValue = value;
        bestShare = share;
      }
    }
    if (share > fallbackValue) {
      fallback = i;
      fallbackValue = share;
    }
  }
  return best >= 0 ? best : fallback;
}
