/**
 * The d² part of a batch's covariance: the co-moments of a chunk of centred rows, laid out column
 * by column, as dot products of two contiguous columns. It dominates a batch fit (O(n·d²) against
 * O(n·d) for the rest), so it is blocked for the registers: a sweep reads four columns of one side
 * and two of the other and keeps eight sums, so that each value loaded serves two to four products
 * (the chunk itself is sized by lib/chunks.ts to stay in the cache).
 *
 * Every entry is still one sum over the rows in row order, so the result is bit for bit that of
 * the plain dot products.
 */

/**
 * The upper triangle of `comoment` (d × d, row-major) from `d` columns of `count` values each:
 * entry (i, j), j ≥ i, is the dot product of column i of `weighted` and column j of `centred`.
 * Entries below the diagonal are left as they are.
 * @param weighted d columns of `count` values (the centred values times their weights, or
 *   `centred` itself when every weight is 1).
 * @param centred d columns of `count` centred values.
 */
export function upperProducts(
  weighted: Float64Array,
  centred: Float64Array,
  count: number,
  d: number,
  comoment: Float64Array,
): void {
  let i = 0;
  for (; i + 3 < d; i += 4) {
    const a0 = i * count;
    const a1 = a0 + count;
    const a2 = a1 + count;
    const a3 = a2 + count;
    let j = i;
    for (; j + 1 < d; j += 2) {
      const b0 = j * count;
      const b1 = b0 + count;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      let s20 = 0;
      let s21 = 0;
      let s30 = 0;
      let s31 = 0;
      for (let r = 0; r < count; r++) {
        const y0 = centred[b0 + r];
        const y1 = centred[b1 + r];
        const x0 = weighted[a0 + r];
        const x1 = weighted[a1 + r];
        const x2 = weighted[a2 + r];
        const x3 = weighted[a3 + r];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s20 += x2 * y0;
        s21 += x2 * y1;
        s30 += x3 * y0;
        s31 += x3 * y1;
      }
      // Near the diagonal some of the eight are below it: those are not written.
      const row = i * d + j;
      comoment[row] = s00;
      comoment[row + 1] = s01;
      if (j >= i + 1) comoment[row + d] = s10;
      if (j + 1 >= i + 1) comoment[row + d + 1] = s11;
      if (j >= i + 2) comoment[row + 2 * d] = s20;
      if (j + 1 >= i + 2) comoment[row + 2 * d + 1] = s21;
      if (j >= i + 3) comoment[row + 3 * d] = s30;
      if (j + 1 >= i + 3) comoment[row + 3 * d + 1] = s31;
    }
    if (j < d) {
      // The last column alone (d odd): j > i + 3 here, above the diagonal for all four rows.
      const b0 = j * count;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let r = 0; r < count; r++) {
        const y = centred[b0 + r];
        s0 += weighted[a0 + r] * y;
        s1 += weighted[a1 + r] * y;
        s2 += weighted[a2 + r] * y;
        s3 += weighted[a3 + r] * y;
      }
      const row = i * d + j;
      comoment[row] = s0;
      comoment[row + d] = s1;
      comoment[row + 2 * d] = s2;
      comoment[row + 3 * d] = s3;
    }
  }
  // The last rows (fewer than four): one dot product an entry.
  for (; i < d; i++) {
    const a = i * count;
    for (let j = i; j < d; j++) {
      const b = j * count;
      let s = 0;
      for (let r = 0; r < count; r++) s += weighted[a + r] * centred[b + r];
      comoment[i * d + j] = s;
    }
  }
}
