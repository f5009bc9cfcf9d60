/**
 * Streaming principal component analysis with scikit-learn's numbers: an exact running mean and
 * co-moment matrix (O(d²) per sample, mergeable, forgetting like the moments), eigen-decomposed on
 * a schedule (./fit), with Hotelling T² and SPE (Q) anomaly scores and their limits (./limits).
 * How the scores and limits are meant to be read is in docs/anomaly.md.
 */
import { RunningCovariance } from '../covariance';
import { ModelError } from '../errors';
import { checkCapacity, describeSchema, sameSchema } from '../model';
import { decayFactor } from '../forgetting';
import { chunkRows, uninitialised } from '../chunks';
import { copyRows, RowMatrix, type BatchRows } from '../matrix';
import { checkRow, checkRows } from '../rows';
import { MAX_DIMENSION_SETTING, type Schema } from '../samples';
import { solveFit, type Fit, type PcaBasis } from './fit';
import { checkLoadedFit, pcaToJSON, readPcaModel } from './json';
import { incrementalFit } from './subspace';
import { checkPcaOptions, type PcaAnomaly, type PcaModelJSON, type PcaOptions } from './options';

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
 * Component order and signs at every refit follow scikit-learn's convention, and the previous
 * components where that convention is ill-defined (nearly equal eigenvalues, near-tied largest
 * entries); the rules are in ./fit.
 */
export class StreamingPCA {
  readonly schema: Schema;
  readonly options: Readonly<PcaOptions>;
  private readonly covariance: RunningCovariance;
  /** {@link basis} of the last fit, computed once per fit. */
  private basisOf: { fit: Fit; basis: PcaBasis } | undefined;
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
    return checkPcaOptions(options, dimension);
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

  /**
   * The eigenvalues known at the last refit, in model order (a snapshot): all d after an exact
   * refit, the leading ones (the kept components and a few more) after an incremental one.
   */
  get eigenvalues(): Readonly<Float64Array> {
    return this.fit?.values ?? new Float64Array(0);
  }

  /** The k components at the last refit, one unit row each (copies). */
  get components(): Float64Array[] {
    return this.fit ? this.fit.vectors.slice(0, this.fit.k).map((v) => Float64Array.from(v)) : [];
  }

  /** The last fit's basis, read only, for explanations (./contributions); null before any sample. */
  get basis(): PcaBasis | null {
    const fit = this.fit;
    if (fit === null) return null;
    if (this.basisOf?.fit !== fit) this.basisOf = { fit, basis: basisOfFit(fit, this.covariance) };
    return this.basisOf.basis;
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
   *
   * These scheduled refits, the first one included, are incremental when the model has
   * INCREMENTAL_FROM (33) features or more (see ./subspace): they continue from the last
   * components and stay within a few milliseconds where a full decomposition of a wide model would
   * block the event loop for tens. They are synchronous, so there is no "meanwhile": a sample is
   * scored with the fit before the refit or the one after it, never with a partial one. A batch,
   * an export, a load, a merge and {@link refit} are always exact.
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
      this.refitScheduled();
    }
  }

  /** A refit of the stream: incremental where it applies, else exact. */
  private refitScheduled(): void {
    const next = incrementalFit(this.covariance, this.fit, this.options);
    if (next === null) {
      this.refit();
      return;
    }
    this.sinceRefit = 0;
    this.countAtRefit = this.covariance.count;
    this.fit = next;
    this.previous = next.vectors;
  }

  /** True when the last refit was a full eigen-decomposition (see {@link learnOne}). */
  get exact(): boolean {
    return this.fit?.exact ?? true;
  }

  /**
   * Learns `rows[start..end)` in order (the same statistics as one by one, computed chunk by chunk,
   * see RunningCovariance.updateBatch), then refits. Rows of arrays (as a message carries them) or
   * a {@link RowMatrix} (as `Standardizer.transformBatch` returns them, read in place).
   * @throws SampleError (model unchanged) when any row is bad.
   */
  learnBatch(rows: BatchRows, start = 0, end = rows.length): void {
    // Rows of arrays are checked as they are copied, before the model changes.
    checkRows(rows, this.schema.dimension, start, end, 'batch', true);
    if (end <= start) return;
    checkCapacity(this.covariance.count, end - start);
    this.covariance.updateBatch(rows, start, end, false);
    this.sinceRefit += end - start;
    this.refit();
  }

  /** Eigen-decomposes the current covariance now, exactly (see the class comment for order and signs). */
  refit(): void {
    this.sinceRefit = 0;
    this.countAtRefit = this.covariance.count;
    const covariance = this.covariance;
    if (covariance.count === 0) {
      this.fit = null;
      return;
    }
    this.fit = solveFit(covariance, this.previous, this.options);
    this.previous = this.fit.vectors;
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
   * Scores `rows[start..end)` (rows as {@link learnBatch} accepts, already checked or learned) with
   * the current fit: the transform half of scikit-learn's `fit_transform` after
   * {@link learnBatch}. k scores per row, bit for bit those of {@link transform}, in one new
   * `n × k` {@link RowMatrix}; rows of arrays are copied a chunk at a time into a small scratch
   * buffer, a matrix is read in place.
   * @throws Error before the first sample is learned.
   */
  transformBatch(rows: BatchRows, start = 0, end = rows.length): RowMatrix {
    const fit = this.requireFit();
    const d = this.schema.dimension;
    const k = fit.k;
    const size = Math.max(0, end - start);
    const out = new RowMatrix(uninitialised(size * k), size, k);
    if (rows instanceof RowMatrix) {
      this.scoreRows(fit, rows.values, start * d, size, out.values, 0);
      return out;
    }
    const step = chunkRows(d);
    const scratch = new Float64Array(Math.min(step, size) * d);
    for (let first = 0; first < size; first += step) {
      const count = Math.min(step, size - first);
      copyRows(rows, start + first, count, d, scratch, 0);
      this.scoreRows(fit, scratch, 0, count, out.values, first * k);
    }
    return out;
  }

  /**
   * Writes the k scores of `count` row-major rows of `values` (from `at`) into `into` (from `to`),
   * with the operations of {@link transform} in its order.
   */
  private scoreRows(
    fit: Fit,
    values: Float64Array,
    at: number,
    count: number,
    into: Float64Array,
    to: number,
  ): void {
    const d = this.schema.dimension;
    const { k, components, whitenScale } = fit;
    const whiten = this.options.whiten;
    const mean = this.covariance.mean;
    const centred = this.centred;
    for (let i = 0; i < count; i++) {
      const o = at + i * d;
      for (let j = 0; j < d; j++) centred[j] = values[o + j] - mean[j];
      const t = to + i * k;
      for (let a = 0; a < k; a++) {
        const c = a * d;
        let s = 0;
        for (let j = 0; j < d; j++) s += centred[j] * components[c + j];
        into[t + a] = whiten ? s * whitenScale[a] : s;
      }
    }
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

  /**
   * The model as plain JSON, up to date with every sample learned: it refits first, exactly, when
   * samples came since the last refit or that refit was incremental, so an export always has
   * scikit-learn's numbers.
   */
  toJSON(): PcaModelJSON {
    const stale = this.sinceRefit > 0 || (this.fit !== null && !this.fit.exact);
    if (stale || (this.fit === null && this.covariance.count > 0)) this.refit();
    return pcaToJSON(this.schema, this.covariance, this.fit);
  }

  /**
   * The same JSON as {@link toJSON}, but the model keeps scoring with its own fit and refit
   * schedule: an exact fit is made for the JSON alone when the live one is stale. For saves and
   * shares made on a timer, which must not change what the next samples score (verdicts would
   * then depend on the clock).
   */
  snapshot(): PcaModelJSON {
    const stale = this.sinceRefit > 0 || (this.fit !== null && !this.fit.exact);
    if (!stale && (this.fit !== null || this.covariance.count === 0)) {
      return pcaToJSON(this.schema, this.covariance, this.fit);
    }
    return pcaToJSON(this.schema, this.covariance, solveFit(this.covariance, this.previous, this.options));
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
    const read = readPcaModel(json, options);
    const pca = new StreamingPCA(read.schema, read.options, read.covariance);
    if (read.samples === 0) return pca;
    pca.previous = read.components;
    pca.refit();
    checkLoadedFit(pca.fit!, read);
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

/**
 * A fit's basis with each feature's share of the discarded directions. An exact fit sums them over
 * its discarded eigenvectors (no cancellation); an incremental one knows only the leading
 * eigenvectors, so they are the complements of the kept part: 1 − Σₐ pₐᵢ² and Cᵢᵢ − Σₐ λₐ pₐᵢ²,
 * with the covariance's diagonal when the basis is first read (at most `refitEvery` samples after
 * the refit, the same lag as the fit's own eigenvalues).
 */
function basisOfFit(fit: Fit, covariance: RunningCovariance): PcaBasis {
  const { k, vectors, values, inverseVariance } = fit;
  const d = covariance.dimension;
  const residualWeights = new Float64Array(d);
  const residualVariances = new Float64Array(d);
  if (fit.exact) {
    for (let m = k; m < d; m++) {
      const v = vectors[m];
      for (let i = 0; i < d; i++) {
        residualWeights[i] += v[i] * v[i];
        residualVariances[i] += values[m] * v[i] * v[i];
      }
    }
  } else {
    const divisor = covariance.weight > 1 ? covariance.weight - 1 : 1;
    for (let i = 0; i < d; i++) {
      let kept = 0;
      let keptVariance = 0;
      for (let a = 0; a < k; a++) {
        const p = vectors[a][i];
        kept += p * p;
        keptVariance += values[a] * p * p;
      }
      residualWeights[i] = Math.max(0, 1 - kept);
      residualVariances[i] = Math.max(0, covariance.comoment[i * d + i] / divisor - keptVariance);
    }
  }
  return { k, vectors, values, inverseVariance, residualWeights, residualVariances };
}
