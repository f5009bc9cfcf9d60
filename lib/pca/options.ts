/**
 * The settings of a streaming PCA, their defaults and validation, and the shapes it hands out: its
 * model JSON and the anomaly scores of one sample.
 */
import { describeValue } from '../errors';
import type { ModelHeader } from '../model';
import { decayFactor } from '../forgetting';

/** Settings of a {@link StreamingPCA}; all optional, merged over {@link PCA_DEFAULTS}. */
export interface PcaOptions {
  /**
   * An integer k ≥ 1 (at most the number of features: a larger k is rejected, as scikit-learn
   * does), or a fraction 0 < f < 1: the fewest components explaining at least f of the variance,
   * chosen again at each refit.
   */
  components: number;
  /**
   * Divide each score by the standard deviation of its component (√explained_variance), as
   * scikit-learn's `whiten=True`. A component with no variance (see {@link PcaAnomaly}) scores 0.
   * T² and SPE are the same either way.
   */
  whiten: boolean;
  /**
   * Samples learned one by one between two eigen refits (integer ≥ 1). Default 100: a refit costs
   * O(d³) (about 0.1 ms at d = 16, 2 ms at d = 64) against O(d²) for learning a sample, so every
   * 100 samples keeps the amortised refit cost at or below the cost of learning (d ≤ 32) while
   * the components lag at most 100 samples, which moves a covariance learned from n samples by
   * about 100/n. A batch, an export, a load and a merge always refit, and so does a stream while
   * its sample count doubles (see {@link StreamingPCA.learnOne}).
   */
  refitEvery: number;
  /** Samples after which a sample's weight has halved; 0 never forgets. */
  halfLife: number;
  /** Confidence level of the T² and SPE limits, 0 < confidence < 1. */
  confidence: number;
}

/** Defaults of {@link PcaOptions}: two components, as in the seed pipeline. */
export const PCA_DEFAULTS: Readonly<PcaOptions> = Object.freeze({
  components: 2,
  whiten: false,
  refitEvery: 100,
  halfLife: 0,
  confidence: 0.95,
});

export const PCA_TYPE = 'ml-pca';

/** The model JSON of `ml-pca` (docs/model-json.md), named after scikit-learn's attributes. */
export interface PcaModelJSON extends ModelHeader {
  type: 'ml-pca';
  /** Components kept (scikit-learn's `n_components_`); 0 only for a model with no samples. */
  n_components: number;
  mean: number[];
  /** k × d, one unit-length principal axis per row, in model order. */
  components: number[][];
  /** Eigenvalues of the covariance with divisor W − 1 (n − 1 without forgetting). */
  explained_variance: number[];
  explained_variance_ratio: number[];
  /** Sum of the samples' weights (W); equals n_samples_seen without forgetting. */
  sum_weights: number;
  /** d × d co-moment matrix Σ wᵢ(xᵢ − mean)(xᵢ − mean)ᵀ: with sum_weights and mean, enough to merge. */
  comoment: number[][];
}

/** Anomaly scores of one sample, and the limits they are compared with. */
export interface PcaAnomaly {
  /**
   * Hotelling's T² = Σₐ tₐ²/λₐ over the k scores (unwhitened). A component whose eigenvalue is at
   * most 1e-12 of the total variance counts with that floor instead, and no eigenvalue counts as
   * less than 1e-200 ({@link MIN_T2_VARIANCE}), so a move along a direction in which no variance
   * was ever seen gives a huge T², but always a finite one (docs/limits.md).
   */
  t2: number;
  /** Squared reconstruction error ‖x − mean − Pᵀt‖² (Q statistic). */
  spe: number;
  /** k(n−1)(n+1)/(n(n−k)) · F(confidence; k, n−k); Infinity while n ≤ k. */
  t2Limit: number;
  /**
   * Jackson & Mudholkar (1979) from the discarded eigenvalues. When they are all zero (k = d, or
   * the rest of the features never varied), the limit is rounding level: 1e-12 × total variance.
   */
  speLimit: number;
  /** True when t2 > t2Limit or spe > speLimit. */
  anomaly: boolean;
}

/**
 * Merges `options` over the defaults and validates them.
 * @param dimension when given, an integer `components` must not exceed it.
 */
export function checkPcaOptions(options: Partial<PcaOptions>, dimension?: number): PcaOptions {
  const merged = { ...PCA_DEFAULTS, ...options };
  const k = merged.components;
  const isCount = Number.isInteger(k) && k >= 1;
  if (!isCount && !(typeof k === 'number' && k > 0 && k < 1)) {
    throw new RangeError(
      `components must be a whole number ≥ 1 or a fraction between 0 and 1 (of the variance to explain, ` +
        `e.g. 0.95), got ${describeValue(k)}`,
    );
  }
  if (isCount && dimension !== undefined && k > dimension) {
    throw new RangeError(
      `components is ${k} but the samples have ${dimension} feature${dimension === 1 ? '' : 's'}: ` +
        `choose at most ${dimension} components, or a fraction of variance such as 0.95`,
    );
  }
  if (typeof merged.whiten !== 'boolean') {
    throw new RangeError(`whiten must be true or false, got ${describeValue(merged.whiten)}`);
  }
  if (!Number.isInteger(merged.refitEvery) || merged.refitEvery < 1) {
    throw new RangeError(`refitEvery must be an integer ≥ 1, got ${describeValue(merged.refitEvery)}`);
  }
  decayFactor(merged.halfLife);
  if (!(typeof merged.confidence === 'number' && merged.confidence > 0 && merged.confidence < 1)) {
    throw new RangeError(
      `confidence must be between 0 and 1 (e.g. 0.95), got ${describeValue(merged.confidence)}`,
    );
  }
  return merged;
}
