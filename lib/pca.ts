/**
 * Streaming principal component analysis with scikit-learn's numbers (DESIGN §4.3): an exact
 * running mean and co-moment matrix (O(d²) per sample, mergeable, forgetting like the moments),
 * eigen-decomposed on a schedule, with Hotelling T² and SPE (Q) anomaly scores and their limits.
 *
 * Eigen solver: `ml-pca` (a required runtime dependency) given the covariance matrix
 * (`isCovarianceMatrix`). Only its eigenvectors and eigenvalues are used: its `predict` would
 * need means we already hold, allocates matrices per call, and it applies no sign convention, so
 * projection, signs, ordering and limits are done here. Under the hood it is ml-matrix's
 * symmetric EVD (Householder tridiagonalisation + QL), which is exact to rounding for the
 * covariance of standardized data (the scikit-learn parity tests agree to ~1e-13).
 */
import { PCA } from 'ml-pca';
import { describeValue, ModelError } from './errors';
import {
  checkCapacity,
  describeSchema,
  MAX_MODEL_LOCATION,
  MAX_MODEL_VARIANCE,
  readHeader,
  readMatrix,
  readNumber,
  readVector,
  sameSchema,
  type ModelHeader,
} from './model';
import { RunningCovariance } from './covariance';
import { decayFactor } from './moments';
import { checkRow, checkRows, MAX_DIMENSION_SETTING, type Schema } from './samples';
import { fQuantile, normalQuantile } from './stats';

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

/** The model JSON of `ml-pca` (DESIGN §3.1), named after scikit-learn's attributes. */
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

/** Relative gap under which two eigenvalues are "nearly equal" (see {@link StreamingPCA}). */
const EIGEN_TIE = 1e-2;
/** Eigenvalues below this fraction of the total variance are treated as zero. */
const ZERO_VARIANCE = 1e-12;
/**
 * The smallest eigenvalue T² divides by. Far below any real variance (a standard deviation of
 * 1e-100), and large enough that T² of any accepted sample against any accepted model stays
 * finite: at most k·d·(3·MAX_MAGNITUDE)² / 1e-200 < 1e268 (docs/limits.md).
 */
export const MIN_T2_VARIANCE = 1e-200;
/** Band within which the largest entry of a component is taken to be ambiguous. */
const PIVOT_BAND = 1e-3;
/** |cos| above which a new component is the continuation of a previous one. */
const SAME_AXIS = 0.5;

/** One eigen refit: immutable once built, so arrays handed out stay a consistent snapshot. */
interface Fit {
  k: number;
  /** All d eigenvalues (divisor W − 1) in model order. */
  values: Float64Array;
  /** All d unit eigenvectors, in model order. */
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
 * Streaming PCA over a fixed set of features; see the module comment and {@link PcaOptions}.
 *
 * Between refits the mean is the live running mean (always up to date with every sample) and the
 * components, explained variances and limits are those of the last refit.
 *
 * Forgetting (`halfLife` > 0): every statistic is weighted; n is then the sum of weights W (an
 * effective sample count), so explained_variance divides the co-moment by W − 1 (n − 1 without
 * forgetting, as scikit-learn) and the limits use n = W. While W ≤ 1 the divisor is 1 (the
 * co-moment is still zero then).
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
export class StreamingPCA {
  readonly schema: Schema;
  readonly options: Readonly<PcaOptions>;
  private readonly covariance: RunningCovariance;
  private fit: Fit | null = null;
  /** Components to keep the orientation of at the next refit (the last fit's, or a loaded model's). */
  private previous: Float64Array[] | null = null;
  private sinceRefit = 0;
  /** Samples seen at the last refit: the early-stream doubling rule of {@link learnOne} reads it. */
  private countAtRefit = 0;
  private readonly centred: Float64Array;
  private readonly scores: Float64Array;

  /**
   * @param schema the features this model reads.
   * @param options merged over {@link PCA_DEFAULTS}.
   * @param covariance statistics to start from (for {@link load} and {@link merge}); fresh by default.
   * @throws RangeError for an invalid option, or an integer `components` above the dimension.
   */
  constructor(schema: Schema, options: Partial<PcaOptions> = {}, covariance?: RunningCovariance) {
    const widest = MAX_DIMENSION_SETTING['ml-pca'];
    if (schema.dimension > widest) {
      // Refused before the d × d co-moment is allocated.
      throw new RangeError(
        `PCA takes at most ${widest} features (its model holds a ${widest} × ${widest} matrix), got ${schema.dimension}`,
      );
    }
    this.options = StreamingPCA.checkOptions(options, schema.dimension);
    this.schema = schema;
    this.covariance =
      covariance ?? new RunningCovariance(schema.dimension, decayFactor(this.options.halfLife));
    this.centred = new Float64Array(schema.dimension);
    this.scores = new Float64Array(schema.dimension);
  }

  /**
   * Merges `options` over the defaults and validates them.
   * @param dimension when given, an integer `components` must not exceed it.
   */
  static checkOptions(options: Partial<PcaOptions>, dimension?: number): PcaOptions {
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

  /** Samples learned so far. */
  get samplesSeen(): number {
    return this.covariance.count;
  }

  /** Sum of the samples' weights (W): the n of the formulas; equals {@link samplesSeen} without forgetting. */
  get sumWeights(): number {
    return this.covariance.weight;
  }

  /** True once a fit exists (after the first sample learned); transforms need one. */
  get ready(): boolean {
    return this.fit !== null;
  }

  /** Components kept by the last refit (0 before any). */
  get nComponents(): number {
    return this.fit?.k ?? 0;
  }

  /** Live running mean (read only). */
  get mean(): Readonly<Float64Array> {
    return this.covariance.mean;
  }

  /** Explained variance of the k components at the last refit (a snapshot; do not modify). */
  get explainedVariance(): Readonly<Float64Array> {
    return this.fit?.explainedVariance ?? new Float64Array(0);
  }

  /** Share of the total variance of each of the k components at the last refit (a snapshot). */
  get explainedVarianceRatio(): Readonly<Float64Array> {
    return this.fit?.explainedVarianceRatio ?? new Float64Array(0);
  }

  /** All d eigenvalues at the last refit, in model order (a snapshot). */
  get eigenvalues(): Readonly<Float64Array> {
    return this.fit?.values ?? new Float64Array(0);
  }

  /** The k components at the last refit, one unit row each (copies). */
  get components(): Float64Array[] {
    return this.fit ? this.fit.vectors.slice(0, this.fit.k).map((v) => Float64Array.from(v)) : [];
  }

  /** T² limit of the last refit (Infinity before enough samples). */
  get t2Limit(): number {
    return this.fit?.t2Limit ?? Infinity;
  }

  /** SPE limit of the last refit. */
  get speLimit(): number {
    return this.fit?.speLimit ?? Infinity;
  }

  /**
   * Learns one sample, then refits when there is no fit yet, when `refitEvery` samples have passed
   * since the last refit, or when the sample count has doubled since it (samples 1, 2, 4, 8, …):
   * early fits from a handful of samples are poor, and without doubling the fit of sample 1 would
   * serve the next `refitEvery` − 1 samples. Doubling adds only log₂(n) refits in all.
   */
  learnOne(x: ArrayLike<number>): void {
    checkRow(x, this.schema.dimension);
    checkCapacity(this.covariance.count, 1);
    this.covariance.update(x);
    this.sinceRefit += 1;
    if (
      this.fit === null ||
      this.sinceRefit >= this.options.refitEvery ||
      this.covariance.count >= 2 * this.countAtRefit
    ) {
      this.refit();
    }
  }

  /**
   * Learns `rows[start..end)` in order (the same statistics as one by one), then refits.
   * @throws SampleError (model unchanged) when any row is bad.
   */
  learnBatch(rows: ReadonlyArray<ArrayLike<number>>, start = 0, end = rows.length): void {
    checkRows(rows, this.schema.dimension, start, end);
    if (end <= start) return;
    checkCapacity(this.covariance.count, end - start);
    this.covariance.updateBatch(rows, start, end);
    this.sinceRefit += end - start;
    this.refit();
  }

  /** Eigen-decomposes the current covariance now (see the class comment for order and signs). */
  refit(): void {
    this.sinceRefit = 0;
    this.countAtRefit = this.covariance.count;
    const covariance = this.covariance;
    if (covariance.count === 0) {
      this.fit = null;
      return;
    }
    const d = this.schema.dimension;
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
    orient(vectors, values, this.previous, trace);
    this.fit = buildFit(vectors, values, trace, this.options, weight);
    this.previous = vectors;
  }

  /**
   * Scores one sample: out[a] = (x − mean)·componentₐ (divided by √λₐ when whitening).
   * Allocates nothing.
   * @param x a sample of `schema.dimension` values.
   * @param out receives the k scores; returned.
   * @param anomaly when given, also receives T², SPE, their limits and the verdict.
   * @throws Error before the first sample is learned.
   */
  transform<T extends { [a: number]: number }>(x: ArrayLike<number>, out: T, anomaly?: PcaAnomaly): T {
    const fit = this.project(x);
    const { scores } = this;
    if (this.options.whiten) {
      for (let a = 0; a < fit.k; a++) out[a] = scores[a] * fit.whitenScale[a];
    } else {
      for (let a = 0; a < fit.k; a++) out[a] = scores[a];
    }
    if (anomaly) this.assess(fit, anomaly);
    return out;
  }

  /**
   * Anomaly scores of one sample (see {@link PcaAnomaly}).
   * @param into object to fill (to avoid allocating); a new one by default.
   */
  anomaly(x: ArrayLike<number>, into?: PcaAnomaly): PcaAnomaly {
    const fit = this.project(x);
    const result = into ?? { t2: 0, spe: 0, t2Limit: 0, speLimit: 0, anomaly: false };
    this.assess(fit, result);
    return result;
  }

  /**
   * Maps k scores back to feature space: mean + Σₐ sₐ·componentₐ (scores unwhitened first when
   * whitening). What is lost is the part of the sample outside the kept components (its SPE).
   * @param scores k scores as produced by {@link transform}.
   * @param out receives the d reconstructed values; returned.
   */
  inverse<T extends { [j: number]: number }>(scores: ArrayLike<number>, out: T): T {
    const fit = this.requireFit();
    const d = this.schema.dimension;
    const mean = this.covariance.mean;
    for (let j = 0; j < d; j++) out[j] = mean[j];
    for (let a = 0; a < fit.k; a++) {
      const s = this.options.whiten
        ? fit.whitenScale[a] > 0
          ? scores[a] / fit.whitenScale[a]
          : 0
        : scores[a];
      const at = a * d;
      for (let j = 0; j < d; j++) out[j] += s * fit.components[at + j];
    }
    return out;
  }

  private requireFit(): Fit {
    if (this.fit === null)
      throw new Error('the PCA model has learned no sample yet: learn at least one first');
    return this.fit;
  }

  /** Centres x into `centred` and writes its k unwhitened scores into `scores`. */
  private project(x: ArrayLike<number>): Fit {
    const fit = this.requireFit();
    const d = this.schema.dimension;
    const { centred, scores } = this;
    const mean = this.covariance.mean;
    for (let j = 0; j < d; j++) centred[j] = x[j] - mean[j];
    const components = fit.components;
    for (let a = 0; a < fit.k; a++) {
      const at = a * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += centred[j] * components[at + j];
      scores[a] = s;
    }
    return fit;
  }

  /** T² and SPE of the sample last projected. */
  private assess(fit: Fit, into: PcaAnomaly): void {
    const d = this.schema.dimension;
    const { centred, scores } = this;
    let t2 = 0;
    for (let a = 0; a < fit.k; a++) {
      const s = scores[a];
      // Skipping exact zeros keeps 0 · Infinity (no variance, no move) from becoming NaN.
      if (s !== 0) t2 += s * s * fit.inverseVariance[a];
    }
    // The residual itself, not ‖x‖² − ‖t‖², whose cancellation would drown a small SPE.
    let spe = 0;
    const components = fit.components;
    for (let j = 0; j < d; j++) {
      let r = centred[j];
      for (let a = 0; a < fit.k; a++) r -= scores[a] * components[a * d + j];
      spe += r * r;
    }
    into.t2 = t2;
    into.spe = spe;
    into.t2Limit = fit.t2Limit;
    into.speLimit = fit.speLimit;
    into.anomaly = t2 > fit.t2Limit || spe > fit.speLimit;
  }

  /** The model as plain JSON, up to date with every sample learned (it refits first if needed). */
  toJSON(): PcaModelJSON {
    if (this.sinceRefit > 0 || (this.fit === null && this.covariance.count > 0)) this.refit();
    const d = this.schema.dimension;
    const { count, weight, mean, comoment } = this.covariance;
    const fit = this.fit;
    const k = fit?.k ?? 0;
    return {
      type: 'ml-pca',
      version: 1,
      features: this.schema.features ? [...this.schema.features] : null,
      n_features_in: d,
      n_samples_seen: count,
      n_components: k,
      mean: Array.from(mean),
      components: fit ? fit.vectors.slice(0, k).map((v) => Array.from(v)) : [],
      explained_variance: fit ? Array.from(fit.explainedVariance) : [],
      explained_variance_ratio: fit ? Array.from(fit.explainedVarianceRatio) : [],
      sum_weights: weight,
      comoment: Array.from({ length: d }, (_, i) => Array.from(comoment.subarray(i * d, (i + 1) * d))),
    };
  }

  /**
   * Reads a model JSON (from {@link toJSON}, a file or another machine) and refits it from its
   * statistics, keeping the orientation of its stored components; the result transforms exactly
   * as the model that wrote it.
   * @param json the model.
   * @param options settings of the node that will use it; `components` must give the model's k.
   * @throws ModelError naming the first wrong field, or saying how the model disagrees with itself
   *   (components that are not the eigenvectors of its co-moment) or with `options`.
   */
  static load(json: unknown, options: Partial<PcaOptions> = {}): StreamingPCA {
    const { model, schema, samples } = readHeader(json, PCA_TYPE);
    const d = schema.dimension;
    let checked: PcaOptions;
    try {
      checked = StreamingPCA.checkOptions(options, d);
    } catch (err) {
      throw new ModelError(`model of ${d} features does not fit these settings: ${(err as Error).message}`);
    }
    const k = readNumber(model, 'n_components', 0);
    if (!Number.isInteger(k) || k > d || (samples > 0 && k < 1) || (samples === 0 && k !== 0)) {
      throw new ModelError(
        `model n_components must be a whole number from 1 to n_features_in (${d}) (0 for a model with no samples), got ${k}`,
      );
    }
    const mean = readVector(model, 'mean', d, MAX_MODEL_LOCATION);
    const components = readMatrix(model, 'components', k, d);
    components.forEach((row, a) => {
      const norm = Math.sqrt(row.reduce((sum, v) => sum + v * v, 0));
      if (Math.abs(norm - 1) > 1e-6) {
        throw new ModelError(`model components[${a}] must have unit length, but its length is ${norm}`);
      }
    });
    const explained = readVector(model, 'explained_variance', k);
    const ratio = readVector(model, 'explained_variance_ratio', k);
    explained.forEach((v, a) => {
      if (v < 0) throw new ModelError(`model explained_variance[${a}] is negative (${v}); a variance is ≥ 0`);
    });
    ratio.forEach((v, a) => {
      if (v < 0 || v > 1)
        throw new ModelError(`model explained_variance_ratio[${a}] must be between 0 and 1, got ${v}`);
    });
    // A model written from scikit-learn's attributes may leave sum_weights out: without
    // forgetting the weight is the sample count.
    const weight = model.sum_weights === undefined ? samples : readNumber(model, 'sum_weights', 0);
    if (weight > samples || (samples > 0 && weight === 0) || (samples === 0 && weight !== 0)) {
      throw new ModelError(
        `model sum_weights (${weight}) must be > 0 and at most n_samples_seen (${samples}), or 0 with no samples`,
      );
    }
    // Each diagonal entry is at most W·(largest variance); the rest follow by Cauchy–Schwarz.
    const comoment = readMatrix(model, 'comoment', d, d, MAX_MODEL_VARIANCE * Math.max(weight, 1));
    const flat = new Float64Array(d * d);
    let largest = 0;
    for (let i = 0; i < d; i++) largest = Math.max(largest, Math.abs(comoment[i][i]));
    for (let i = 0; i < d; i++) {
      if (comoment[i][i] < 0) {
        throw new ModelError(`model comoment[${i}][${i}] is negative; a co-moment's diagonal is ≥ 0`);
      }
    }
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        if (Math.abs(comoment[i][j] - comoment[j][i]) > 1e-12 * largest) {
          throw new ModelError(`model comoment is not symmetric: [${i}][${j}] differs from [${j}][${i}]`);
        }
        if (comoment[i][j] * comoment[i][j] > comoment[i][i] * comoment[j][j] * (1 + 1e-9) + 1e-300) {
          throw new ModelError(
            `model comoment[${i}][${j}] is larger than a co-moment can be (|c_ij|² ≤ c_ii·c_jj)`,
          );
        }
        // Exactly symmetric, whatever rounding the writer had.
        flat[i * d + j] = i <= j ? comoment[i][j] : comoment[j][i];
      }
    }
    const covariance = RunningCovariance.fromState(
      { count: samples, weight, mean, comoment: flat },
      decayFactor(checked.halfLife),
    );
    const pca = new StreamingPCA(schema, checked, covariance);
    if (samples === 0) return pca;
    pca.previous = components;
    pca.refit();
    const fit = pca.fit!;
    if (fit.k !== k) {
      throw new ModelError(
        `model has ${k} component${k === 1 ? '' : 's'} but the components setting (${checked.components}) ` +
          `gives ${fit.k} for it`,
      );
    }
    for (let a = 0; a < k; a++) {
      const cosine = dot(fit.vectors[a], components[a]);
      if (cosine < 1 - 1e-6) {
        throw new ModelError(
          `model components[${a}] is not the eigenvector of its comoment (cosine ${cosine.toFixed(9)}): ` +
            'the model is inconsistent',
        );
      }
      const expected = fit.explainedVariance[a];
      if (Math.abs(explained[a] - expected) > 1e-6 * Math.max(expected, fit.values[0], Number.MIN_VALUE)) {
        throw new ModelError(
          `model explained_variance[${a}] (${explained[a]}) does not match its comoment (${expected})`,
        );
      }
    }
    return pca;
  }

  /**
   * Combines two models of the same features into a new one, exactly as if one model had learned
   * both streams (Chan et al.'s parallel update), then refits keeping `a`'s orientation; neither
   * input changes. Settings are `a`'s.
   * @throws ModelError when the features differ.
   */
  static merge(a: StreamingPCA, b: StreamingPCA): StreamingPCA {
    if (!sameSchema(a.schema, b.schema)) {
      throw new ModelError(
        `cannot merge PCA models of different features (${describeSchema(a.schema)} and ${describeSchema(b.schema)})`,
      );
    }
    checkCapacity(a.samplesSeen, b.samplesSeen);
    const covariance = a.covariance.clone();
    covariance.merge(b.covariance);
    const merged = new StreamingPCA(a.schema, a.options, covariance);
    merged.previous = a.fit?.vectors ?? b.fit?.vectors ?? null;
    merged.refit();
    return merged;
  }
}

function dot(u: ArrayLike<number>, v: ArrayLike<number>): number {
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
function orient(
  vectors: Float64Array[],
  values: Float64Array,
  previous: Float64Array[] | null,
  trace: number,
): void {
  const d = vectors.length;
  for (const v of vectors) if (v[pivotOf(v)] < 0) negate(v);
  if (previous === null || previous.length === 0 || previous[0].length !== d) return;
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
  const open = new Set(slots);
  while (open.size > 0) {
    let best = -1;
    let bestSlot = -1;
    let bestCandidate = -1;
    for (const p of open) {
      for (let c = 0; c < candidates.length; c++) {
        if (used.has(c)) continue;
        const score = Math.abs(dot(candidates[c], previous[p]));
        if (score > best) {
          best = score;
          bestSlot = p;
          bestCandidate = c;
        }
      }
    }
    if (bestCandidate < 0) break;
    placed[bestSlot - start] = bestCandidate;
    used.add(bestCandidate);
    open.delete(bestSlot);
    if (dot(candidates[bestCandidate], previous[bestSlot]) < 0) negate(candidates[bestCandidate]);
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

/** Everything a refit caches: k, the kept components, variances and both limits. */
function buildFit(
  vectors: Float64Array[],
  values: Float64Array,
  trace: number,
  options: PcaOptions,
  weight: number,
): Fit {
  const d = vectors.length;
  const ratioOf = (v: number): number => (trace > 0 ? v / trace : 0);
  let k: number;
  if (options.components >= 1) {
    k = options.components;
  } else {
    // The fewest components explaining at least the fraction (all of them if rounding keeps the
    // cumulative share just under it; one when nothing varies).
    k = d;
    let cumulative = 0;
    for (let m = 0; m < d; m++) {
      cumulative += ratioOf(values[m]);
      if (cumulative >= options.components) {
        k = m + 1;
        break;
      }
    }
    if (trace === 0) k = 1;
  }
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
    values,
    vectors,
    components,
    explainedVariance,
    explainedVarianceRatio,
    inverseVariance,
    whitenScale,
    n,
    t2Limit: t2Limit(k, n, options.confidence),
    speLimit: speLimit(values, k, trace, options.confidence),
  };
}

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
function speLimit(values: Float64Array, k: number, trace: number, confidence: number): number {
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
