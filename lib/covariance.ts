/**
 * Running mean and full co-moment matrix of d features: numerically stable, mergeable, and able
 * to forget, with exactly the weighting of {@link RunningMoments} (see lib/moments.ts).
 *
 * The co-moment is `Σᵢ wᵢ (xᵢ − x̄)(xᵢ − x̄)ᵀ` over the samples' current weights wᵢ, so the sample
 * covariance is `comoment / (W − 1)` and the population one `comoment / W`, W the sum of weights.
 * One sample costs O(d²): Welford's update of the upper triangle, mirrored so that the stored
 * matrix is always exactly symmetric. A batch is a weighted two-pass pass over each chunk of rows,
 * merged by Chan et al.'s pairwise formula, which keeps full precision far from zero, unlike `E[xxᵀ] − x̄x̄ᵀ`.
 */
import { chunkRows } from './chunks';
import { upperProducts } from './comoments';
import { updateInChunks } from './forgetting';
import type { BatchRows } from './matrix';
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
  /** Per-sample decay of earlier weights, from `decayFactor` in lib/forgetting.ts. */
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
   * Learns rows `start..end` of a batch in order, with the weights {@link update} would give them:
   * a two-pass pass over each chunk of rows (see lib/chunks.ts: a {@link RowMatrix} is read in
   * place, rows of arrays are copied a chunk at a time) merged in turn by Chan et al.'s formula.
   * The chunking changes only the last bits against one two-pass pass over the whole batch.
   * @param checked false when rows of arrays are to be checked as they are read (see
   *   `checkRows`); a bad row then throws with these statistics unchanged.
   */
  updateBatch(rows: BatchRows, start = 0, end = rows.length, checked = true): void {
    if (end <= start) return;
    const { dimension: d, decay } = this;
    const step = chunkRows(d);
    const centred = new Float64Array(step * d);
    const weighted = decay === 1 ? centred : new Float64Array(step * d);
    updateInChunks<RunningCovariance>(this, rows, d, decay, start, end, checked, {
      empty: () => new RunningCovariance(d, decay),
      fromChunk: (part, { values, at, count }, weights) =>
        part.setFromChunk(values, at, count, weights, centred, weighted),
      merge: (into, from) => into.merge(from),
      age: (covariance, factor) => {
        covariance.weight *= factor;
        const { comoment } = covariance;
        for (let i = 0; i < comoment.length; i++) comoment[i] *= factor;
      },
    });
  }

  /**
   * Replaces these statistics by the weighted two-pass ones of `count` row-major rows of `values`
   * from `at`; `weights[i]` weighs row i, all 1 when null. The deviations are laid out column by
   * column in `centred` (and times the weights in `weighted`, which is `centred` when unweighted),
   * so that each co-moment entry is one dot product of two contiguous columns. Only the upper
   * triangle is written: {@link merge} reads no other.
   */
  private setFromChunk(
    values: Float64Array,
    at: number,
    count: number,
    weights: Float64Array | null,
    centred: Float64Array,
    weighted: Float64Array,
  ): void {
    const d = this.dimension;
    const { mean, comoment } = this;
    let weight = count;
    if (weights !== null) {
      weight = 0;
      for (let r = 0; r < count; r++) weight += weights[r];
    }
    const last = at + count * d;
    for (let j = 0; j < d; j++) {
      let sum = 0;
      if (weights === null) {
        for (let o = at + j; o < last; o += d) sum += values[o];
      } else {
        for (let r = 0, o = at + j; o < last; r++, o += d) sum += weights[r] * values[o];
      }
      const m = sum / weight;
      mean[j] = m;
      const column = j * count;
      for (let r = 0, o = at + j; o < last; r++, o += d) centred[column + r] = values[o] - m;
      if (weights !== null) {
        for (let r = 0; r < count; r++) weighted[column + r] = weights[r] * centred[column + r];
      }
    }
    upperProducts(weighted, centred, count, d, comoment);
    this.weight = weight;
    this.count = count;
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
