/** k-means++ initialisation, as scikit-learn's greedy variant, on row-major rows. */
import type { SeededRandom } from '../random';
import { PRUNE_MARGIN, rowDistance } from './centres';

/** Buffers of one k-means++ run over n rows, reused by the next restart. */
export class PlusPlusScratch {
  readonly cumulative: Float64Array;
  readonly closest: Float64Array;
  readonly nearest: Int32Array;
  readonly radius: Float64Array;
  constructor(n: number) {
    this.cumulative = new Float64Array(n);
    this.closest = new Float64Array(n);
    this.nearest = new Int32Array(n);
    this.radius = new Float64Array(n);
  }
}

/**
 * Greedy k-means++ as scikit-learn's `_kmeans_plusplus`: the first centre drawn in proportion to
 * the weights, each next one the best (least potential) of 2 + ⌊ln k⌋ candidates drawn in
 * proportion to weight × squared distance to the nearest chosen centre. When every row already is
 * a centre (fewer distinct rows than k) the draw lands on row 0, as scikit-learn's does.
 *
 * The candidates of one step are drawn first (the draws do not depend on their evaluation). A
 * row's distance to a candidate stops being summed once it reaches the row's distance to its
 * nearest chosen centre: the kept minimum is then that distance, bit for bit the value the full sum
 * would give; and a candidate more than twice a row's distance away from the row's nearest chosen
 * centre is not measured at all (Elkan's first lemma).
 * @param data n × d rows, row-major.
 * @returns k × d centres, row-major.
 */
export function kmeansPlusPlus(
  data: Float64Array,
  n: number,
  weights: Float64Array,
  k: number,
  d: number,
  random: SeededRandom,
  scratch: PlusPlusScratch = new PlusPlusScratch(n),
): Float64Array {
  const centers = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const { cumulative, closest, nearest, radius } = scratch;
  // Afterwards `nearest` holds each row's nearest centre, ties to the lowest index (a centre
  // replaces the nearest only when strictly nearer, and skipped ones are farther).
  nearest.fill(0);
  let total = 0;
  for (let i = 0; i < n; i++) cumulative[i] = total += weights[i];
  const first = searchSorted(cumulative, random.next() * total);
  centers.set(data.subarray(first * d, first * d + d), 0);
  let potential = 0;
  for (let i = 0; i < n; i++) {
    const sum = rowDistance(data, i, centers, 0, d);
    closest[i] = sum;
    potential += weights[i] * sum;
  }
  const candidates = new Int32Array(trials);
  const potentials = new Float64Array(trials);
  // Each row's nearest chosen centre and its distance to it (not squared).
  for (let i = 0; i < n; i++) radius[i] = Math.sqrt(closest[i]) * PRUNE_MARGIN;
  // Half the distance of each candidate to each chosen centre: trials × k.
  const gaps = new Float64Array(trials * k);
  for (let c = 1; c < k; c++) {
    let running = 0;
    for (let i = 0; i < n; i++) cumulative[i] = running += weights[i] * closest[i];
    for (let t = 0; t < trials; t++) {
      const r = (candidates[t] = searchSorted(cumulative, random.next() * potential)) * d;
      for (let j = 0; j < c; j++) {
        let sum = 0;
        for (let f = 0; f < d; f++) {
          const delta = data[r + f] - centers[j * d + f];
          sum += delta * delta;
        }
        gaps[t * k + j] = Math.sqrt(sum) / 2;
      }
    }
    potentials.fill(0);
    for (let i = 0; i < n; i++) {
      const o = i * d;
      const limit = closest[i];
      const w = weights[i];
      const near = nearest[i];
      for (let t = 0; t < trials; t++) {
        let value = limit;
        if (gaps[t * k + near] <= radius[i]) value = distanceBelow(data, o, candidates[t] * d, d, limit);
        potentials[t] += w * value;
      }
    }
    let best = 0;
    for (let t = 1; t < trials; t++) if (potentials[t] < potentials[best]) best = t;
    const r = candidates[best] * d;
    centers.set(data.subarray(r, r + d), c * d);
    // The kept candidate's distances again, rather than every candidate's kept from the pass above:
    // n × trials numbers of fresh memory cost more than measuring one candidate twice.
    for (let i = 0; i < n; i++) {
      if (gaps[best * k + nearest[i]] > radius[i]) continue;
      const value = distanceBelow(data, i * d, r, d, closest[i]);
      if (value < closest[i]) {
        closest[i] = value;
        nearest[i] = c;
        radius[i] = Math.sqrt(value) * PRUNE_MARGIN;
      }
    }
    potential = potentials[best];
  }
  return centers;
}

/**
 * The squared distance from the row at `o` to the row at `r` while it stays below `limit`, else
 * `limit`: a sum of squares only grows, so the rest need not be added once it gets there.
 */
function distanceBelow(data: Float64Array, o: number, r: number, d: number, limit: number): number {
  let sum = 0;
  for (let f = 0; f < d && sum < limit; f++) {
    const delta = data[o + f] - data[r + f];
    sum += delta * delta;
  }
  return sum < limit ? sum : limit;
}

/** numpy's `searchsorted(side='left')` clipped to the last index: first i with `sorted[i] ≥ value`. */
function searchSorted(sorted: Float64Array, value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
