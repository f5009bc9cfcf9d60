/**
 * Running per-feature mean and variance that are numerically stable, mergeable and can forget.
 *
 * Every sample carries a weight. Without forgetting each weight is 1, so the sum of weights is the
 * sample count and the statistics are the ordinary population statistics (ddof = 0). With a
 * half-life of h samples, each new sample multiplies the weight of everything seen before by
 * `2^(-1/h)`: a sample's weight halves every h samples, so the statistics follow drift.
 *
 * Updates use Welford's recurrence, batches a two-pass pass over each chunk of rows merged with
 * Chan et al.'s pairwise formula; both keep full precision when the data sit far from zero (an offset of
 * 1e9 loses nothing that matters), unlike the textbook `E[x²] − E[x]²`.
 */

import { describeValue } from './errors';
import { updateInChunks } from './forgetting';
import type { BatchRows } from './matrix';

// Where the decay factor was first exported; lib/forgetting.ts is its home.
export { decayFactor } from './forgetting';

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
   * Learns rows `start..end` of a batch in order, with the weights {@link update} would give them,
   * but faster and more precisely: a two-pass pass over each chunk of rows (see lib/chunks.ts)
   * merged in turn by Chan et al.'s formula. The chunking changes only the last bits against one
   * two-pass pass over the whole batch (the same chunks, so the same bits, for rows of arrays and
   * for a {@link RowMatrix}).
   * @param checked false when rows of arrays are to be checked as they are read (see
   *   `checkRows`); a bad row then throws with these moments unchanged.
   */
  updateBatch(rows: BatchRows, start = 0, end = rows.length, checked = true): void {
    const { dimension, decay } = this;
    updateInChunks<RunningMoments>(this, rows, dimension, decay, start, end, checked, {
      empty: () => new RunningMoments(dimension, decay),
      fromChunk: (part, { values, at, count }, weights) => part.setFromChunk(values, at, count, weights),
      merge: (into, from) => into.merge(from),
      age: (moments, factor) => {
        moments.weight *= factor;
        for (let j = 0; j < dimension; j++) moments.m2[j] *= factor;
      },
    });
  }

  /**
   * Replaces these moments by the weighted two-pass statistics of `count` row-major rows of
   * `values` from `at` (the shift is the first row); `weights[i]` weighs row i, all 1 when null.
   * Column by column, so each feature's sums stay in registers.
   */
  private setFromChunk(values: Float64Array, at: number, count: number, weights: Float64Array | null): void {
    const d = this.dimension;
    const { shift, meanFromShift, m2, min, max } = this;
    let weight = count;
    if (weights !== null) {
      weight = 0;
      for (let i = 0; i < count; i++) weight += weights[i];
    }
    const last = at + count * d;
    for (let j = 0; j < d; j++) {
      const origin = values[at + j];
      let sum = 0;
      let low = origin;
      let high = origin;
      let mean: number;
      let squares: number;
      if (weights === null) {
        // Two rows a step with two sums each: one sum would wait on the previous addition.
        const twice = 2 * d;
        let sum1 = 0;
        let o = at + j;
        for (; o + d < last; o += twice) {
          const value = values[o];
          const next = values[o + d];
          sum += value - origin;
          sum1 += next - origin;
          if (value < low) low = value;
          if (value > high) high = value;
          if (next < low) low = next;
          if (next > high) high = next;
        }
        if (o < last) {
          const value = values[o];
          sum += value - origin;
          if (value < low) low = value;
          if (value > high) high = value;
        }
        mean = (sum + sum1) / weight;
        let squares1 = 0;
        squares = 0;
        for (o = at + j; o + d < last; o += twice) {
          const delta = values[o] - origin - mean;
          const next = values[o + d] - origin - mean;
          squares += delta * delta;
          squares1 += next * next;
        }
        if (o < last) {
          const delta = values[o] - origin - mean;
          squares += delta * delta;
        }
        squares += squares1;
      } else {
        for (let i = 0, o = at + j; o < last; i++, o += d) {
          const value = values[o];
          sum += weights[i] * (value - origin);
          if (value < low) low = value;
          if (value > high) high = value;
        }
        mean = sum / weight;
        squares = 0;
        for (let i = 0, o = at + j; o < last; i++, o += d) {
          const delta = values[o] - origin - mean;
          squares += weights[i] * delta * delta;
        }
      }
      shift[j] = origin;
      meanFromShift[j] = mean;
      m2[j] = squares;
      min[j] = low;
      max[j] = high;
    }
    this.weight = weight;
    this.count = count;
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
    if (other.weight === 0) {
      // Samples whose weights have all underflowed (e.g. a batch's oldest chunk with a short
      // half-life): forgotten, but still counted and still within min and max, which never forget.
      for (let j = 0; j < this.dimension; j++) {
        if (other.min[j] < this.min[j]) this.min[j] = other.min[j];
        if (other.max[j] > this.max[j]) this.max[j] = other.max[j];
      }
      this.count += other.count;
      return;
    }
    if (this.weight === 0) this.shift.set(other.shift);
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
