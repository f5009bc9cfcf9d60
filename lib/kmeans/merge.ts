/**
 * Keeping cluster indices stable: centres are matched to reference centres by least total
 * distance (restarts to the first restart, a peer's model to this one's, `alignTo` to any
 * reference), and matched centres of two models are averaged by weight, as Spark's
 * StreamingKMeans combines a batch's centres with the current ones.
 */
import { minimumCostAssignment } from './assignment';
import type { KMeansState } from './centres';
import { centreOffset, pooledSpread } from './outlier';

/**
 * The permutation that best matches `centers` to `reference` (minimum total Euclidean distance):
 * `match[i]` is the index in `centers` that should become index i.
 */
export function matchCenters(
  reference: Float64Array,
  centers: Float64Array,
  k: number,
  d: number,
): Int32Array {
  const cost = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let sum = 0;
      for (let f = 0; f < d; f++) {
        const delta = reference[i * d + f] - centers[j * d + f];
        sum += delta * delta;
      }
      cost[i * k + j] = Math.sqrt(sum);
    }
  }
  return minimumCostAssignment(cost, k);
}

/** Reorders row-major k × width values so that row i becomes old row `match[i]`. */
export function permuteRows(values: Float64Array, match: Int32Array, width: number): void {
  const copy = Float64Array.from(values);
  for (let i = 0; i < match.length; i++) {
    for (let f = 0; f < width; f++) values[i * width + f] = copy[match[i] * width + f];
  }
}

/** Renumbers the clusters of `state` (whose centres exist) so that new cluster i is old `match[i]`. */
export function permuteState(state: KMeansState, match: Int32Array, d: number): void {
  permuteRows(state.centers!, match, d);
  permuteRows(state.weights, match, 1);
  permuteRows(state.counts, match, 1);
  permuteRows(state.spreads, match, 1);
  permuteRows(state.spreadWeights, match, 1);
}

/**
 * Adds `b`'s clusters into `into` (both with centres, k clusters of d features): each of `into`'s
 * centres is matched to one of `b`'s by least total distance, and the pair is averaged by weight;
 * weights, counts, samples and re-seeds add. `into`'s indices are kept.
 */
export function mergeCentred(into: KMeansState, b: KMeansState, k: number, d: number): void {
  const centers = into.centers!;
  const other = b.centers!;
  const match = matchCenters(centers, other, k, d);
  for (let j = 0; j < k; j++) {
    const m = match[j];
    const wa = into.weights[j];
    const wb = b.weights[m];
    const total = wa + wb;
    const before = Float64Array.from(centers.subarray(j * d, j * d + d));
    if (total > 0) {
      for (let f = 0; f < d; f++)
        centers[j * d + f] = (wa * centers[j * d + f] + wb * other[m * d + f]) / total;
    }
    // Spreads pool about the merged centre, each weighted by the weight it rests on.
    const sa = into.spreadWeights[j];
    const sb = b.spreadWeights[m];
    into.spreads[j] = pooledSpread(
      sa,
      into.spreads[j],
      centreOffset(before, 0, centers, j, d),
      sb,
      b.spreads[m],
      centreOffset(other, m, centers, j, d),
    );
    into.spreadWeights[j] = sa + sb;
    into.weights[j] = total;
    into.counts[j] += b.counts[m];
  }
  into.seen += b.seen;
  into.reseeds += b.reseeds;
}
