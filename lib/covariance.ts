/**
 * Running mean and full co-moment matrix of d features: numerically stable, mergeable, and able
 * to forget, with exactly the weighting of {@link RunningMoments} (see lib/moments.ts).
 *
 * The co-moment is `Σᵢ wᵢ (xᵢ − x̄)(xᵢ − x̄)ᵀ` over the samples' current weights wᵢ, so the sample
 * covariance is `comoment / (W − 1)` and the population one `comoment / W`, W the sum of weights.
 * One sample costs O(d²): Welford's update of the upper triangle, mirrored so that the stored
 * matrix is always exactly symmetric. A batch is a weighted two-pass pass merged by Chan et al.'s
 * pairwise formula, which keeps full precision far from zero, unlike `E[xxᵀ] − x̄x̄ᵀ`.
 */
import { checkShape } from './moments';

/** The sufficient statistics of {@link RunningCovariance}, as plain numbers. */
export interface CovarianceState {
  /** Samples learned (an integer, whatever the forgetting). */
  count: number;
  /** Sum of the samples' current weights; equals `count` without forgetting. */
  weight: number;
  mean: ArrayLike<number>;
  /** d × d co-moment matrix, row-major (symmetric). */
  comoment: ArrayLike<number>;
}

/** Running mean and co-moment matrix; see the module comment. */
export class RunningCovariance {
  readonly dimension: number;
  /** Per-sample decay of earlier weights, from `decayFactor` in lib/moments.ts. */
  readonly decay: number;
  count = 0;
  weight = 0;
  readonly mean: Float64Array;
  /** d × d, row-major, always exactly symmetric. */
  readonly comoment: Float64Array;
  /** Scratch for one sample's deviation, so that {@link update} allocates nothing. */
  private readonly delta: Float64Array;

  /**
   * @param dimension number of features, ≥ 1.
   * @param decay per-sample decay factor in (0, 1]; 1 (the default) never forgets.
   */
  constructor(dimension: number, decay = 1) {
    checkShape(dimension, decay);
    this.dimension = dimension;
    this.decay = decay;
    this.mean = new Float64Array(dimension);
    this.comoment = new Float64Array(dimension * dimension);
    this.delta = new Float64Array(dimension);
  }

  /** Builds the statistics from saved ones (validated by the caller). */
  static fromState(state: CovarianceState, decay = 1): RunningCovariance {
    const d = state.mean.length;
    if (state.comoment.length !== d * d) {
      throw new RangeError(
        `comoment must hold ${d * d} values for ${d} features, got ${state.comoment.length}`,
      );
    }
    const covariance = new RunningCovariance(d, decay);
    covariance.count = state.count;
    covariance.weight = state.weight;
    covariance.mean.set(state.mean);
    covariance.comoment.set(state.comoment);
    return covariance;
  }

  /** Learns one sample of `dimension` finite values (Welford), with no allocation. */
  update(x: ArrayLike<number>): void {
    const d = this.dimension;
    const decay = this.decay;
    const weight = this.weight * decay + 1;
    const share = 1 / weight;
    const { mean, comoment, delta } = this;
    for (let j = 0; j < d; j++) {
      const deviation = x[j] - mean[j];
      delta[j] = deviation;
      mean[j] += deviation * share;
    }
    // Adding a unit-weight point to decayed data of weight W·decay: C ← C·decay + δδᵀ·(W·decay)/(W·decay + 1).
    const keep = 1 - share;
    for (let i = 0; i < d; i++) {
      const scaled = delta[i] * keep;
      const row = i * d;
      for (let j = i; j < d; j++) {
        const value = comoment[row + j] * decay + scaled * delta[j];
        comoment[row + j] = value;
        comoment[j * d + i] = value;
      }
    }
    this.weight = weight;
    this.count += 1;
  }

  /**
   * Learns `rows[start..end)` in order, as if each were passed to {@link update} (the same weights),
   * with a two-pass pass over the batch merged in one step.
   */
  updateBatch(rows: ReadonlyArray<ArrayLike<number>>, start = 0, end = rows.length): void {
    const size = end - start;
    if (size <= 0) return;
    const batch = RunningCovariance.ofBatch(rows, start, end, this.dimension, this.decay);
    if (this.count > 0 && this.decay !== 1) {
      const aged = Math.pow(this.decay, size);
      this.weight *= aged;
      const { comoment } = this;
      for (let i = 0; i < comoment.length; i++) comoment[i] *= aged;
    }
    this.merge(batch);
  }

  /** Weighted two-pass statistics of a batch: the newest row weighs 1, each older one `decay` times the next. */
  private static ofBatch(
    rows: ReadonlyArray<ArrayLike<number>>,
    start: number,
    end: number,
    d: number,
    decay: number,
  ): RunningCovariance {
    const batch = new RunningCovariance(d, decay);
    const { mean, comoment, delta } = batch;
    // Each weight is computed directly, so a long batch with a short half-life underflows only its
    // oldest rows, never its newest (as in RunningMoments).
    const rowWeight = (i: number): number => (decay === 1 ? 1 : Math.pow(decay, end - 1 - i));
    let weight = 0;
    for (let r = start; r < end; r++) {
      const row = rows[r];
      const w = rowWeight(r);
      weight += w;
      for (let j = 0; j < d; j++) mean[j] += w * row[j];
    }
    for (let j = 0; j < d; j++) mean[j] /= weight;
    for (let r = start; r < end; r++) {
      const row = rows[r];
      const w = rowWeight(r);
      for (let j = 0; j < d; j++) delta[j] = row[j] - mean[j];
      for (let i = 0; i < d; i++) {
        const scaled = w * delta[i];
        const at = i * d;
        for (let j = i; j < d; j++) comoment[at + j] += scaled * delta[j];
      }
    }
    mirrorUpper(comoment, d);
    batch.weight = weight;
    batch.count = end - start;
    return batch;
  }

  /**
   * Adds another set of statistics of the same dimension (Chan et al.'s parallel update): the result
   * is what learning both streams would have given. Weights are taken as they are; forgetting is
   * not applied across the two.
   */
  merge(other: RunningCovariance): void {
    const d = this.dimension;
    if (other.dimension !== d) {
      throw new RangeError(`cannot merge a covariance of ${other.dimension} features into ${d}`);
    }
    if (other.weight === 0) {
      this.count += other.count;
      return;
    }
    const weight = this.weight + other.weight;
    const share = other.weight / weight;
    const cross = (this.weight * other.weight) / weight;
    const { mean, comoment, delta } = this;
    for (let j = 0; j < d; j++) {
      delta[j] = other.mean[j] - mean[j];
      mean[j] += delta[j] * share;
    }
    for (let i = 0; i < d; i++) {
      const scaled = delta[i] * cross;
      const at = i * d;
      for (let j = i; j < d; j++) {
        const value = comoment[at + j] + other.comoment[at + j] + scaled * delta[j];
        comoment[at + j] = value;
        comoment[j * d + i] = value;
      }
    }
    this.weight = weight;
    this.count += other.count;
  }

  /**
   * The covariance matrix as rows, `comoment / divisor`.
   * @param divisor e.g. `weight − 1` (sample covariance, as scikit-learn's PCA) or `weight`.
   */
  covarianceRows(divisor: number): number[][] {
    const d = this.dimension;
    const rows: number[][] = new Array<number[]>(d);
    for (let i = 0; i < d; i++) {
      const row = new Array<number>(d);
      for (let j = 0; j < d; j++) row[j] = this.comoment[i * d + j] / divisor;
      rows[i] = row;
    }
    return rows;
  }

  /** An independent copy. */
  clone(): RunningCovariance {
    return RunningCovariance.fromState(this, this.decay);
  }
}

/** Copies the upper triangle of a row-major d × d matrix onto its lower triangle. */
function mirrorUpper(matrix: Float64Array, d: number): void {
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) matrix[j * d + i] = matrix[i * d + j];
  }
}
