/**
 * Minimum-cost matching of two equally long lists (the assignment problem), used to keep k-means
 * cluster indices stable: new centres are matched to old ones so that the total distance is least.
 */

/**
 * Solves the square assignment problem exactly with the Hungarian method (Kuhn–Munkres with
 * potentials, O(n³)); greedy nearest matching can swap two clusters when centres are close.
 * @param cost row-major n × n costs: `cost[i * n + j]` is the cost of giving row i column j.
 * @param n the number of rows and columns.
 * @returns `match` with `match[i]` the column given to row i; a permutation of 0..n−1.
 */
export function minimumCostAssignment(cost: ArrayLike<number>, n: number): Int32Array {
  if (cost.length !== n * n) throw new RangeError(`cost must hold ${n * n} values, got ${cost.length}`);
  // 1-based arrays as in the classical formulation: index 0 is the virtual starting row/column.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const rowOfColumn = new Int32Array(n + 1);
  const way = new Int32Array(n + 1);
  const minSlack = new Float64Array(n + 1);
  const used = new Uint8Array(n + 1);
  for (let i = 1; i <= n; i++) {
    rowOfColumn[0] = i;
    let column = 0;
    minSlack.fill(Infinity);
    used.fill(0);
    do {
      used[column] = 1;
      const row = rowOfColumn[column];
      let delta = Infinity;
      let next = 0;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const slack = cost[(row - 1) * n + (j - 1)] - u[row] - v[j];
        if (slack < minSlack[j]) {
          minSlack[j] = slack;
          way[j] = column;
        }
        if (minSlack[j] < delta) {
          delta = minSlack[j];
          next = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          u[rowOfColumn[j]] += delta;
          v[j] -= delta;
        } else {
          minSlack[j] -= delta;
        }
      }
      column = next;
    } while (rowOfColumn[column] !== 0);
    do {
      const previous = way[column];
      rowOfColumn[column] = rowOfColumn[previous];
      column = previous;
    } while (column !== 0);
  }
  const match = new Int32Array(n);
  for (let j = 1; j <= n; j++) match[rowOfColumn[j] - 1] = j - 1;
  return match;
}
