/**
 * The k-means outlier score: a sample's distance to its nearest centre relative to that
 * cluster's spread, the root mean square distance of the cluster's members to their centre. A
 * score of 1 is a typical member; a new operating mode no cluster fits scores far above the limit.
 *
 * Each cluster keeps the weighted mean of its members' squared distances (`spreads`) with the
 * same forgetting as its weight, and `spreadWeights`, the weight that mean rests on (0: not known
 * yet, e.g. a model saved before spreads were kept, or a given centre no sample has joined).
 */
import type { KMeansState } from './centres';
import type { KMeansOptions } from './options';

/**
 * The outlier score of a sample at `distance` from centre `j`, or `null` while the cluster's
 * spread is unknown, or zero with the sample off the centre (no finite ratio exists). Capped at
 * Number.MAX_VALUE, so that it is always finite.
 */
export function outlierScore(state: KMeansState, j: number, distance: number): number | null {
  if (!(state.spreadWeights[j] > 0)) return null;
  const spread = state.spreads[j];
  if (spread === 0) return distance === 0 ? 0 : null;
  return Math.min(distance / Math.sqrt(spread), Number.MAX_VALUE);
}

/**
 * Adds a sample at squared distance `squared` from centre `j` (measured before the centre moved)
 * to the cluster's spread. Call after the weights were decayed: the spread's weight decays with
 * them, and the sample weighs 1.
 */
export function learnSpread(state: KMeansState, j: number, squared: number, decay: number): void {
  const { spreads, spreadWeights } = state;
  if (decay !== 1) for (let c = 0; c < spreadWeights.length; c++) spreadWeights[c] *= decay;
  const weight = (spreadWeights[j] += 1);
  spreads[j] += (squared - spreads[j]) / weight;
}

/**
 * Pools two spreads about a common centre: each part's mean squared distance to its own centre
 * plus its centre's squared offset from the pooled centre, weighted by the parts' weights (the
 * within-cluster term of Chan's parallel variance). Exact when the parts' centres are their means.
 */
export function pooledSpread(
  weightA: number,
  spreadA: number,
  offsetA: number,
  weightB: number,
  spreadB: number,
  offsetB: number,
): number {
  const total = weightA + weightB;
  if (!(total > 0)) return 0;
  return (weightA * (spreadA + offsetA) + weightB * (spreadB + offsetB)) / total;
}

/** Squared distance between centre `a` of `from` and centre `b` of `to`, k × d row-major. */
export function centreOffset(from: Float64Array, a: number, to: Float64Array, b: number, d: number): number {
  let sum = 0;
  for (let f = 0; f < d; f++) {
    const delta = from[a * d + f] - to[b * d + f];
    sum += delta * delta;
  }
  return sum;
}

/**
 * The spreads after a batch: each cluster's rows (weighted) at their final centre, pooled with
 * what the cluster held before (`prior`, at its old centre) when the batch updated a model.
 * @param data n × d rows, row-major; `labels` their clusters.
 */
export function batchSpreads(
  state: KMeansState,
  data: Float64Array,
  rowWeights: Float64Array,
  labels: Int32Array,
  prior: {
    centers: Float64Array;
    weights: Float64Array;
    spreads: Float64Array;
    spreadWeights: Float64Array;
  } | null,
  k: number,
  d: number,
): void {
  const centers = state.centers!;
  const sums = new Float64Array(k);
  const weights = new Float64Array(k);
  for (let i = 0; i < labels.length; i++) {
    const j = labels[i];
    const o = i * d;
    let squared = 0;
    for (let f = 0; f < d; f++) {
      const delta = data[o + f] - centers[j * d + f];
      squared += delta * delta;
    }
    sums[j] += rowWeights[i] * squared;
    weights[j] += rowWeights[i];
  }
  for (let j = 0; j < k; j++) {
    const batchSpread = weights[j] > 0 ? sums[j] / weights[j] : 0;
    if (prior && prior.spreadWeights[j] > 0) {
      const offset = centreOffset(prior.centers, j, centers, j, d);
      state.spreads[j] = pooledSpread(
        prior.spreadWeights[j],
        prior.spreads[j],
        offset,
        weights[j],
        batchSpread,
        0,
      );
      state.spreadWeights[j] = prior.spreadWeights[j] + weights[j];
    } else {
      state.spreads[j] = batchSpread;
      state.spreadWeights[j] = weights[j];
    }
  }
}

/**
 * Members a cluster's spread must rest on before learn-only-normal skips samples it flags: a
 * spread from a handful of samples is too uncertain to refuse data on (it would lock a young
 * cluster out of the very samples that widen it to its true size).
 */
export const MIN_SPREAD_WEIGHT = 10;

/**
 * Scores a sample at `distance` from centre `j`, counts the run of outliers, and says whether to
 * learn it: always, unless `learnOnlyNormal` and it is an outlier of a cluster whose spread rests
 * on at least {@link MIN_SPREAD_WEIGHT} members; then only once `relearnAfter` outliers came in a
 * row (a lasting new operating mode rather than a fault), and with 0 never.
 */
export function admits(
  state: KMeansState,
  options: Pick<KMeansOptions, 'outlierLimit' | 'learnOnlyNormal' | 'relearnAfter'>,
  j: number,
  distance: number,
): boolean {
  const score = outlierScore(state, j, distance);
  const outlier = score !== null && score > options.outlierLimit;
  state.outlierRun = outlier ? state.outlierRun + 1 : 0;
  if (!outlier || !options.learnOnlyNormal || state.spreadWeights[j] < MIN_SPREAD_WEIGHT) return true;
  return options.relearnAfter > 0 && state.outlierRun >= options.relearnAfter;
}
