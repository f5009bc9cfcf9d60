/**
 * The anomaly limits of a PCA model: Hotelling's T² limit from the F distribution and the SPE (Q)
 * limit of Jackson & Mudholkar from the discarded eigenvalues, both finite or Infinity, never NaN.
 */
import { fQuantile, normalQuantile } from '../stats';

/** Eigenvalues below this fraction of the total variance are treated as zero. */
export const ZERO_VARIANCE = 1e-12;
/**
 * The smallest eigenvalue T² divides by. Far below any real variance (a standard deviation of
 * 1e-100), and large enough that T² of any accepted sample against any accepted model stays
 * finite: at most k·d·(3·MAX_MAGNITUDE)² / 1e-200 < 1e268 (docs/limits.md).
 */
export const MIN_T2_VARIANCE = 1e-200;

/**
 * Hotelling's T² limit for a new observation, k(n−1)(n+1)/(n(n−k)) · F(confidence; k, n−k), with
 * the factor formed without overflow (n may be up to 2^53). Infinity while n ≤ k (no limit yet, or
 * an F with almost no degrees of freedom); never NaN.
 * @param k components kept.
 * @param n samples learned (the sum of weights with forgetting).
 * @param confidence the limit's confidence level, 0 < confidence < 1.
 */
export function t2Limit(k: number, n: number, confidence: number): number {
  if (!(n > k)) return Infinity;
  const limit = k * ((n - 1) / n) * ((n + 1) / (n - k)) * fQuantile(confidence, k, n - k);
  return Number.isNaN(limit) ? Infinity : limit;
}

/**
 * Jackson & Mudholkar's SPE limit from the discarded eigenvalues λ_{k+1..d}:
 * θᵢ = Σ λⱼⁱ, h₀ = 1 − 2θ₁θ₃/(3θ₂²), θ₁ [z √(2θ₂h₀²)/θ₁ + 1 + θ₂h₀(h₀−1)/θ₁²]^(1/h₀).
 * h₀ ≤ 1/3 always (Cauchy–Schwarz) but can be ≤ 0 for a spectrum with one large and many small
 * discarded eigenvalues, where the formula is undefined; h₀ = 1/3 is then used, which is exactly
 * Box's g·χ²_h approximation with the Wilson–Hilferty χ² quantile.
 *
 * The θ are computed from λ/θ₁ (the formula is homogeneous of degree 1 in λ), so no power of an
 * eigenvalue can overflow or underflow whatever the data's scale. Never NaN.
 */
export function speLimit(values: ArrayLike<number>, k: number, trace: number, confidence: number): number {
  let theta1 = 0;
  for (let m = k; m < values.length; m++) theta1 += values[m];
  const zero = ZERO_VARIANCE * trace;
  // Nothing left to discard, or only rounding: any real residual is an anomaly.
  if (!(theta1 > zero)) return zero;
  let theta2 = 0;
  let theta3 = 0;
  for (let m = k; m < values.length; m++) {
    const v = values[m] / theta1;
    theta2 += v * v;
    theta3 += v * v * v;
  }
  return speLimitOfSums(theta1, theta2, theta3, confidence);
}

/**
 * Jackson & Mudholkar's SPE limit (see {@link speLimit}) from the power sums of the discarded
 * eigenvalues, θ₂ and θ₃ given in units of θ₁ (Σ(λ/θ₁)², Σ(λ/θ₁)³). An incremental refit gets them
 * from the traces of the residual covariance without knowing the discarded eigenvalues one by one.
 * @param theta1 Σλ over the discarded eigenvalues, > 0.
 * @param theta2 Σ(λ/θ₁)², > 0.
 * @param theta3 Σ(λ/θ₁)³.
 * @param confidence the limit's confidence level, 0 < confidence < 1.
 */
export function speLimitOfSums(theta1: number, theta2: number, theta3: number, confidence: number): number {
  const z = normalQuantile(confidence);
  // In units of θ₁: θ₁ = 1.
  const limitWith = (h0: number): number => {
    const base = z * Math.sqrt(2 * theta2 * h0 * h0) + 1 + theta2 * h0 * (h0 - 1);
    return base > 0 ? theta1 * Math.pow(base, 1 / h0) : NaN;
  };
  const h0 = 1 - (2 * theta3) / (3 * theta2 * theta2);
  const limit = h0 > 0 ? limitWith(h0) : NaN;
  if (Number.isFinite(limit)) return limit;
  const box = limitWith(1 / 3);
  return Number.isFinite(box) ? box : theta1;
}
