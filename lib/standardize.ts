/**
 * Online feature scaling with scikit-learn's numbers: `StandardScaler` (z-score) and
 * `MinMaxScaler` (to [0, 1]), learned one sample or one batch at a time.
 */
import { describeValue, ModelError } from './errors';
import {
  checkCapacity,
  describeSchema,
  MAX_MODEL_LOCATION,
  MAX_MODEL_VARIANCE,
  readHeader,
  readNumber,
  readVector,
  sameSchema,
  type ModelHeader,
} from './model';
import { decayFactor } from './forgetting';
import { RunningMoments } from './moments';
import { chunkRows, uninitialised } from './chunks';
import { copyRows, RowMatrix, type BatchRows } from './matrix';
import { checkRow, checkRows, MAX_MAGNITUDE } from './rows';
import type { Schema } from './samples';

/** How values are scaled. */
export type ScalingMethod = 'zscore' | 'minmax';

/** Settings of a {@link Standardizer}; all optional, merged over {@link STANDARDIZE_DEFAULTS}. */
export interface StandardizeOptions {
  /** `zscore`: (x − mean) / std; `minmax`: (x − min) / (max − min). */
  method: ScalingMethod;
  /** z-score only: subtract the mean (scikit-learn's `with_mean`). */
  withMean: boolean;
  /** z-score only: divide by the standard deviation (scikit-learn's `with_std`). */
  withStd: boolean;
  /** Samples after which a sample's weight has halved; 0 never forgets. Min/max never forget. */
  halfLife: number;
}

export const STANDARDIZE_DEFAULTS: Readonly<StandardizeOptions> = Object.freeze({
  method: 'zscore',
  withMean: true,
  withStd: true,
  halfLife: 0,
});

/** The model JSON of `ml-standardize` (docs/model-json.md), named after scikit-learn's attributes. */
export interface StandardizeModelJSON extends ModelHeader {
  type: 'ml-standardize';
  mean: number[];
  /** Population variance (ddof = 0). */
  var: number[];
  /** The z-score divisor: √var, or 1 for a constant feature (as scikit-learn). */
  scale: number[];
  data_min: number[];
  data_max: number[];
  data_range: number[];
  /** Sum of the samples' weights; equals n_samples_seen without forgetting. Needed to merge. */
  sum_weights: number;
}

export const STANDARDIZE_TYPE = 'ml-standardize';

const EPSILON = Number.EPSILON;

/**
 * Whether a feature's variance is only rounding noise; such a feature is scaled by 1.
 *
 * This is scikit-learn's test (`sklearn.preprocessing._data._is_constant_feature`),
 * `var ≤ n·ε·var + (n·mean·ε)²`, with one change: `mean` is the mean measured from the moments'
 * shift (their first sample), not from zero. scikit-learn's second term bounds the rounding of
 * sums of values of size |mean|; our moments only ever sum values measured from the shift, so
 * their rounding scales with that distance instead. With the plain mean, a stream at 1e9 with a
 * standard deviation of 0.5 was declared constant after about 2.3e6 samples (the bound grows with
 * n²) although its variance was exact, and every z-score silently doubled.
 * @param variance the feature's variance.
 * @param offset the feature's mean minus the shift of its moments.
 * @param weight the sum of weights (n without forgetting).
 */
function isConstant(variance: number, offset: number, weight: number): boolean {
  const bound = weight * EPSILON * variance + (weight * offset * EPSILON) ** 2;
  return variance <= bound;
}

/** Scales features online; see {@link StandardizeOptions}. */
export class Standardizer {
  readonly schema: Schema;
  readonly options: Readonly<StandardizeOptions>;
  private readonly moments: RunningMoments;
  /**
   * Each feature's divisor (the z-score scale, 1 without `withStd`; the min-max range), computed
   * once after each learning step rather than once per value transformed: a batch of 100 000 rows
   * would otherwise take a square root and the constant-feature test a million times.
   */
  private readonly divisors: Float64Array;
  private divisorsStale = true;

  /**
   * @param schema the features this model scales.
   * @param options merged over {@link STANDARDIZE_DEFAULTS}.
   * @param moments statistics to start from (for {@link load}); fresh ones by default.
   */
  constructor(schema: Schema, options: Partial<StandardizeOptions> = {}, moments?: RunningMoments) {
    this.options = Standardizer.checkOptions(options);
    this.schema = schema;
    this.moments = moments ?? new RunningMoments(schema.dimension, decayFactor(this.options.halfLife));
    this.divisors = new Float64Array(schema.dimension);
  }

  /** Merges `options` over the defaults and validates them. */
  static checkOptions(options: Partial<StandardizeOptions>): StandardizeOptions {
    const merged = { ...STANDARDIZE_DEFAULTS, ...options };
    if (merged.method !== 'zscore' && merged.method !== 'minmax') {
      throw new RangeError(`method must be "zscore" or "minmax", got ${describeValue(merged.method)}`);
    }
    decayFactor(merged.halfLife);
    return merged;
  }

  /** Samples learned so far. */
  get samplesSeen(): number {
    return this.moments.count;
  }

  /**
   * Learns one sample of `schema.dimension` finite values within ±{@link MAX_MAGNITUDE}.
   * @throws SampleError (model unchanged) for any other sample.
   */
  learnOne(x: ArrayLike<number>): void {
    checkRow(x, this.schema.dimension);
    checkCapacity(this.moments.count, 1);
    this.moments.update(x);
    this.divisorsStale = true;
  }

  /**
   * Learns `rows[start..end)` in order: rows of arrays (as a message carries them) or a
   * {@link RowMatrix} (as a batch stage returns them, read in place). The same statistics as
   * learning them one by one, computed chunk by chunk (see RunningMoments.updateBatch), which may
   * differ from one pass over the whole batch in the last bits only.
   * @throws SampleError (model unchanged) when any row is bad.
   */
  learnBatch(rows: BatchRows, start = 0, end = rows.length): void {
    // Rows of arrays are checked as they are copied (one read instead of two), before the model
    // changes.
    checkRows(rows, this.schema.dimension, start, end, 'batch', true);
    checkCapacity(this.moments.count, Math.max(0, end - start));
    this.moments.updateBatch(rows, start, end, false);
    this.divisorsStale = true;
  }

  /**
   * Scales one sample with the current statistics.
   * @param x the sample.
   * @param out where to write the scaled values (may be `x` itself); returned.
   */
  transform<T extends { [j: number]: number }>(x: ArrayLike<number>, out: T): T {
    const divisors = this.currentDivisors();
    const dimension = this.schema.dimension;
    if (this.options.method === 'minmax') {
      const min = this.moments.min;
      for (let j = 0; j < dimension; j++) out[j] = (x[j] - min[j]) / divisors[j];
      return out;
    }
    if (!this.options.withMean) {
      // x / 1 is x exactly, so without withStd this is the identity, as scikit-learn's.
      for (let j = 0; j < dimension; j++) out[j] = x[j] / divisors[j];
      return out;
    }
    const { shift, meanFromShift } = this.moments;
    // x − shift − meanFromShift, as RunningMoments.centre, inlined for batches.
    for (let j = 0; j < dimension; j++) out[j] = (x[j] - shift[j] - meanFromShift[j]) / divisors[j];
    return out;
  }

  /**
   * Scales `rows[start..end)` (rows as {@link learnBatch} accepts, which it must have checked or
   * learned): the transform half of scikit-learn's `fit_transform` after {@link learnBatch}, with
   * the same values as {@link transform} row by row, bit for bit. The result is one new
   * {@link RowMatrix}, the only allocation of the size of the batch: rows of arrays are copied
   * into it a chunk at a time and scaled there in place, a matrix is read where it is.
   */
  transformBatch(rows: BatchRows, start = 0, end = rows.length): RowMatrix {
    const dimension = this.schema.dimension;
    const size = Math.max(0, end - start);
    const out = new RowMatrix(uninitialised(size * dimension), size, dimension);
    const values = out.values;
    const matrix = rows instanceof RowMatrix ? rows.values : null;
    // In chunks, so that the kernel's passes over a chunk's columns read it from the cache.
    const step = chunkRows(dimension);
    for (let first = 0; first < size; first += step) {
      const count = Math.min(step, size - first);
      const at = first * dimension;
      if (matrix !== null) {
        this.scaleRows(matrix, (start + first) * dimension, values, at, count);
      } else {
        // Copied first, then scaled in place: one kernel for both forms.
        copyRows(rows as ReadonlyArray<ArrayLike<number>>, start + first, count, dimension, values, at);
        this.scaleRows(values, at, values, at, count);
      }
    }
    return out;
  }

  /**
   * Writes the scaled `count` rows of `from` (from index `at`) into `into` (from `to`); `into` may
   * be `from` at the same place. The operations of {@link transform}, column by column so that a
   * feature's statistics stay in registers.
   */
  private scaleRows(from: Float64Array, at: number, into: Float64Array, to: number, count: number): void {
    const dimension = this.schema.dimension;
    const divisors = this.currentDivisors();
    const { shift, meanFromShift, min } = this.moments;
    const minmax = this.options.method === 'minmax';
    const withMean = this.options.withMean;
    const span = count * dimension;
    for (let j = 0; j < dimension; j++) {
      const divisor = divisors[j];
      const offset = to - at;
      const last = at + span;
      if (minmax) {
        const low = min[j];
        for (let o = at + j; o < last; o += dimension) into[o + offset] = (from[o] - low) / divisor;
      } else if (withMean) {
        const origin = shift[j];
        const mean = meanFromShift[j];
        for (let o = at + j; o < last; o += dimension) into[o + offset] = (from[o] - origin - mean) / divisor;
      } else {
        for (let o = at + j; o < last; o += dimension) into[o + offset] = from[o] / divisor;
      }
    }
  }

  /** The divisor of each feature, recomputed when samples were learned since. */
  private currentDivisors(): Float64Array {
    const divisors = this.divisors;
    if (!this.divisorsStale) return divisors;
    const { min, max } = this.moments;
    const weight = this.moments.weight;
    for (let j = 0; j < divisors.length; j++) {
      if (this.options.method === 'minmax') {
        const range = max[j] - min[j];
        divisors[j] = range < 10 * EPSILON ? 1 : range;
      } else {
        divisors[j] = this.options.withStd ? this.scaleOf(j, weight) : 1;
      }
    }
    this.divisorsStale = false;
    return divisors;
  }

  /**
   * Maps scaled values back to the original units.
   * @param z scaled values.
   * @param out where to write (may be `z` itself); returned.
   */
  inverse<T extends { [j: number]: number }>(z: ArrayLike<number>, out: T): T {
    const { min, max } = this.moments;
    const weight = this.moments.weight;
    for (let j = 0; j < this.schema.dimension; j++) {
      if (this.options.method === 'minmax') {
        const range = max[j] - min[j];
        out[j] = z[j] * (range < 10 * EPSILON ? 1 : range) + min[j];
      } else {
        const scaled = this.options.withStd ? z[j] * this.scaleOf(j, weight) : z[j];
        out[j] = this.options.withMean ? scaled + this.moments.mean(j) : scaled;
      }
    }
    return out;
  }

  private scaleOf(j: number, weight: number): number {
    const variance = this.moments.variance(j);
    if (isConstant(variance, this.moments.meanFromShift[j], weight)) return 1;
    const scale = Math.sqrt(variance);
    return scale < 10 * EPSILON ? 1 : scale;
  }

  /** The model as plain JSON, up to date with every sample learned. */
  toJSON(): StandardizeModelJSON {
    const { count, weight, min, max } = this.moments;
    const dimension = this.schema.dimension;
    const variance = Array.from({ length: dimension }, (_, j) => this.moments.variance(j));
    return {
      type: 'ml-standardize',
      version: 1,
      features: this.schema.features ? [...this.schema.features] : null,
      n_features_in: dimension,
      n_samples_seen: count,
      mean: Array.from({ length: dimension }, (_, j) => this.moments.mean(j)),
      var: variance,
      scale: variance.map((_, j) => this.scaleOf(j, weight)),
      // JSON has no Infinity: an empty model reports 0 and is recognised by n_samples_seen.
      data_min: count > 0 ? Array.from(min) : new Array<number>(dimension).fill(0),
      data_max: count > 0 ? Array.from(max) : new Array<number>(dimension).fill(0),
      data_range: count > 0 ? Array.from(max, (v, j) => v - min[j]) : new Array<number>(dimension).fill(0),
      sum_weights: weight,
    };
  }

  /**
   * Reads a model JSON (from {@link toJSON}, a file or another machine).
   * @param json the model.
   * @param options scaling settings of the node that will use it.
   * @throws ModelError naming the first wrong field.
   */
  static load(json: unknown, options: Partial<StandardizeOptions> = {}): Standardizer {
    const { model, schema, samples } = readHeader(json, STANDARDIZE_TYPE);
    const d = schema.dimension;
    const mean = readVector(model, 'mean', d, MAX_MODEL_LOCATION);
    const variance = readVector(model, 'var', d, MAX_MODEL_VARIANCE);
    variance.forEach((v, j) => {
      if (v < 0) throw new ModelError(`model var[${j}] is negative (${v}); a variance is ≥ 0`);
    });
    const dataMin = readVector(model, 'data_min', d, MAX_MAGNITUDE);
    const dataMax = readVector(model, 'data_max', d, MAX_MAGNITUDE);
    dataMin.forEach((v, j) => {
      if (samples > 0 && v > dataMax[j]) {
        throw new ModelError(`model data_min[${j}] (${v}) is larger than data_max[${j}] (${dataMax[j]})`);
      }
    });
    // A model written by hand from scikit-learn's attributes has no sum_weights: without
    // forgetting the weight is the sample count.
    const weight = model.sum_weights === undefined ? samples : readNumber(model, 'sum_weights', 0);
    if (weight > samples || (samples > 0 && weight === 0)) {
      throw new ModelError(
        `model sum_weights (${weight}) must be > 0 and at most n_samples_seen (${samples}) once samples are seen`,
      );
    }
    const checked = Standardizer.checkOptions(options);
    const moments = RunningMoments.fromState(
      {
        count: samples,
        weight,
        mean,
        m2: variance.map((v) => v * weight),
        min: samples > 0 ? dataMin : new Float64Array(d).fill(Infinity),
        max: samples > 0 ? dataMax : new Float64Array(d).fill(-Infinity),
      },
      decayFactor(checked.halfLife),
    );
    return new Standardizer(schema, checked, moments);
  }

  /**
   * Combines two models of the same features into a new one, exactly as if one model had learned
   * both streams (Chan et al.'s parallel update); neither input changes.
   * @throws ModelError when the features differ.
   */
  static merge(a: Standardizer, b: Standardizer): Standardizer {
    if (!sameSchema(a.schema, b.schema)) {
      throw new ModelError(
        `cannot merge models of different features (${describeSchema(a.schema)} and ${describeSchema(b.schema)})`,
      );
    }
    checkCapacity(a.samplesSeen, b.samplesSeen);
    const merged = new Standardizer(a.schema, a.options);
    merged.moments.merge(a.moments);
    merged.moments.merge(b.moments);
    return merged;
  }
}
