/** k-means++ initialisation, as scikit-learn's greedy variant. */
import type { SeededRandom } from '../random';
import { setCenter, squaredDistance, type Rows } from './centres';

/**
 * Greedy k-means++ as scikit-learn's `_kmeans_plusplus`: the first centre drawn in proportion to
 * the weights, each next one the best (least potential) of 2 + ⌊ln k⌋ candidates drawn in
 * proportion to weight × squared distance to the nearest chosen centre. When every row already is
 * a centre (fewer distinct rows than k) the draw lands on row 0, as scikit-learn's does.
 * @returns k × d centres, row-major.
 */
export function kmeansPlusPlus(
  rows: Rows,
  weights: Float64Array,
  k: number,
  d: number,
  random: SeededRandom,
): Float64Array {
  const n = rows.length;
  const centers = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cumulative[i] = total += weights[i];
  const first = searchSorted(cumulative, random.next() * total);
  setCenter(centers, 0, rows[first], d);
  const closest = new Float64Array(n);
  let potential = 0;
  for (let i = 0; i < n; i++) {
    closest[i] = squaredDistance(rows[i], centers, 0, d);
    potential += weights[i] * closest[i];
  }
  const candidateDistances = new Float64Array(n);
  const bestDistances = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let running = 0;
    for (let i = 0; i < n; i++) cumulative[i] = running += weights[i] * closest[i];
    let bestPotential = Infinity;
    let best = 0;
    for (let t = 0; t < trials; t++) {
      const candidate = searchSorted(cumulative, random.next() * potential);
      const row = rows[candidate];
      let candidatePotential = 0;
      for (let i = 0; i < n; i++) {
        let distance = 0;
        const x = rows[i];
        for (let f = 0; f < d; f++) {
          const delta = x[f] - row[f];
          distance += delta * delta;
        }
        const kept = distance < closest[i] ? distance : closest[i];
        candidateDistances[i] = kept;
        candidatePotential += weights[i] * kept;
      }
      if (candidatePotential < bestPotential) {
        bestPotential = candidatePotential;
        best = candidate;
        bestDistances.set(candidateDistances);
      }
    }
    setCenter(centers, c, rows[best], d);
    closest.set(bestDistances);
    potential = bestPotential;
  }
  return centers;
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
