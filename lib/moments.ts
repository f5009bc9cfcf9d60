/**
 * Running per-feature mean and variance that are numerically stable, mergeable and can forget.
 *
 * Every sample carries a weight. Without forgetting each weight is 1, so the sum of weights is the
 * sample count and the statistics are the ordinary population statistics (ddof = 0). With a
 * half-life of h samples, each new sample multiplies the weight of everything seen before by
 * `2^(-1/h)`: a sample's weight halves every h samples, so the statistics follow drift.
 *
 * Updates use Welford's recurrence, batches a two-pass pass over the batch merged with Chan et
 * al.'s pairwise formula; both keep full precision when the data sit far from zero (an offset of
 * 1e9 loses nothing that matters), unlike the textbook `E[x²] − E[x]²`.
 */

import { describeValue } from './errors';

/**
 * The factor by which every earlier weight is multiplied when one sample arrives.
 * @param halfLife samples after which a weight has halved; 0 means never forget.
 * @returns `2^(-1/halfLife)`, or 1 when `halfLife` is 0.
 */
export function decayFactor(halfLife: number): number {
  if (!(halfLife >= 0) || !Number.isFinite(halfLife)) {
    throw new RangeError(
      `halfLife must be a finite number ≥ 0 (0 = never forget), got ${describeValue(halfLife)}`,
    );
  }
  return halfLife === 0 ? 1 : Math.pow(2, -1 / halfLife);
}

/**
 * Checks the arguments every running statistic is built from.
 * @throws RangeError when `dimension` is not an integer ≥ 1 or `decay` is outside (0, 1].
 */
export function checkShape(dimension: number, decay: number): void {
  if (!Number.isInteger(dimension) || dimension < 1) {
    throw new RangeError(`dimension must be an integer ≥ 1, got ${describeValue(dimension)}`);
  }
  if (!(decay > 0 && decay <= 1))
    throw new RangeError(`decay must be in (0, 1], got ${describeValue(decay)}`);
}

/** The sufficient statistics of {@link RunningMoments}, as plain numbers. */
export interface MomentsState {
  /** Samples learned (an integer, whatever the forgetting). */
  count: number;
  /** Sum of the samples' current weights; equals `count` without forgetting. */
  weight: number;
  mean: ArrayLike<number>;
  /** Weighted sum of squared deviations from the mean (the co-moment's diagonal). */
  m2: ArrayLike<number>;
  /** Smallest and largest value seen of each feature (never forgotten). */
  min: ArrayLike<number>;
  max: ArrayLike<number>;
}

/**
 * Per-feature running mean, variance, minimum and maximum.
 *
 * The mean is held as `shift + meanFromShift`, with `shift` the first sample: values are
 * subtracted from the shift (exact for nearby binary64 values) before anything else, so data far
 * from zero — sensor readings offset by 1e9 — keep the precision of data near zero in the
 * variance and in `x − mean`, which a single binary64 mean near 1e9 (ulp 1.2e-7) cannot.
 */
export class RunningMoments {
  readonly dimension: number;
  /** Per-sample decay of earlier weights, from {@link decayFactor}. */
  readonly decay: number;
  count = 0;
  weight = 0;
  /** The origin of {@link meanFromShift}: the first sample seen. */
  readonly shift: Float64Array;
  /** The mean minus {@link shift}. */
  readonly meanFromShift: Float64Array;
  readonly m2: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;

  /**
   * @param dimension number of features, ≥ 1.
   * @param decay per-sample decay factor in (0, 1]; 1 (the default) never forgets.
   */
  constructor(dimension: number, decay = 1) {
    checkShape(dimension, decay);
    this.dimension = dimension;
    this.decay = decay;
    this.shift = new Float64Array(dimension);
    this.meanFromShift = new Float64Array(dimension);
    this.m2 = new Float64Array(dimension);
    this.min = new Float64Array(dimension).fill(Infinity);
    this.max = new Float64Array(dimension).fill(-Infinity);
  }

  /** Builds moments from saved statistics (validated by the caller). */
  static fromState(state: MomentsState, decay = 1): RunningMoments {
    const moments = new RunningMoments(state.mean.length, decay);
    moments.count = state.count;
    moments.weight = state.weight;
    moments.shift.set(state.mean);
    moments.m2.set(state.m2);
    moments.min.set(state.min);
    moments.max.set(state.max);
    return moments;
  }

  /** Learns one sample of `dimension` finite values (Welford). */
  update(x: ArrayLike<number>): void {
    if (this.count === 0) for (let j = 0; j < this.dimension; j++) this.shift[j] = x[j];
    const weight = this.weight * this.decay + 1;
    const share = 1 / weight;
    const decay = this.decay;
    const { shift, meanFromShift, m2, min, max } = this;
    for (let j = 0; j < this.dimension; j++) {
      const value = x[j];
      const centred = value - shift[j];
      const delta = centred - meanFromShift[j];
      const updated = meanFromShift[j] + delta * share;
      m2[j] = m2[j] * decay + delta * (centred - updated);
      meanFromShift[j] = updated;
      if (value < min[j]) min[j] = value;
      if (value > max[j]) max[j] = value;
    }
    this.weight = weight;
    this.count += 1;
  }

  /**
   * Learns `rows[start..end)` in order, exactly as if each were passed to {@link update}, but with a
   * two-pass pass over the batch merged in one step (more precise and faster).
   */
  updateBatch(rows: ReadonlyArray<ArrayLike<number>>, start = 0, end = rows.length): void {
    const size = end - start;
    if (size <= 0) return;
    const batch = RunningMoments.ofBatch(rows, start, end, this.dimension, this.decay);
    if (this.count > 0) {
      const aged = Math.pow(this.decay, size);
      this.weight *= aged;
      for (let j = 0; j < this.dimension; j++) this.m2[j] *= aged;
    }
    this.merge(batch);
  }

  /**
   * Weighted two-pass statistics of a batch: the newest row has weight 1, each older one `decay`
   * times the next.
   */
  private static ofBatch(
    rows: ReadonlyArray<ArrayLike<number>>,
    start: number,
    end: number,
    dimension: number,
    decay: number,
  ): RunningMoments {
    const batch = new RunningMoments(dimension, decay);
    const { shift, meanFromShift: mean, m2, min, max } = batch;
    // Each weight is computed directly rather than by repeated division, so that a long batch
    // with a short half-life underflows only its oldest rows, never its newest.
    const rowWeight = (i: number): number => (decay === 1 ? 1 : Math.pow(decay, end - 1 - i));
    for (let j = 0; j < dimension; j++) shift[j] = rows[start][j];
    let weight = 0;
    for (let i = start; i < end; i++) {
      const row = rows[i];
      const w = rowWeight(i);
      weight += w;
      for (let j = 0; j < dimension; j++) {
        const value = row[j];
        mean[j] += w * (value - shift[j]);
        if (value < min[j]) min[j] = value;
        if (value > max[j]) max[j] = value;
      }
    }
    for (let j = 0; j < dimension; j++) mean[j] /= weight;
    for (let i = start; i < end; i++) {
      const row = rows[i];
      const w = rowWeight(i);
      for (let j = 0; j < dimension; j++) {
        const delta = row[j] - shift[j] - mean[j];
        m2[j] += w * delta * delta;
      }
    }
    batch.weight = weight;
    batch.count = end - start;
    return batch;
  }

  /**
   * Adds another set of moments of the same dimension (Chan et al.'s parallel update): the result
   * is what learning both streams would have given. Weights are taken as they are; forgetting
   * is not applied across the two.
   */
  merge(other: RunningMoments): void {
    if (other.dimension !== this.dimension) {
      throw new RangeError(`cannot merge moments of ${other.dimension} features into ${this.dimension}`);
    }
    if (other.weight === 0) return;
    if (this.count === 0) this.shift.set(other.shift);
    const weight = this.weight + other.weight;
    const share = other.weight / weight;
    const cross = (this.weight * other.weight) / weight;
    for (let j = 0; j < this.dimension; j++) {
      const otherMean = other.shift[j] - this.shift[j] + other.meanFromShift[j];
      const delta = otherMean - this.meanFromShift[j];
      this.meanFromShift[j] += delta * share;
      this.m2[j] += other.m2[j] + delta * delta * cross;
      if (other.min[j] < this.min[j]) this.min[j] = other.min[j];
      if (other.max[j] > this.max[j]) this.max[j] = other.max[j];
    }
    this.weight = weight;
    this.count += other.count;
  }

  /** Mean of feature `j`; 0 before any sample. */
  mean(j: number): number {
    return this.shift[j] + this.meanFromShift[j];
  }

  /** `x − mean` of feature `j`, at the precision of data near zero. */
  centre(x: number, j: number): number {
    return x - this.shift[j] - this.meanFromShift[j];
  }

  /** Population variance (ddof = 0) of feature `j`; 0 before any sample. */
  variance(j: number): number {
    return this.weight > 0 ? this.m2[j] / this.weight : 0;
  }
}
