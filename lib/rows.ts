/**
 * Checking rows that a learner is given directly (batches of rows of arrays or a RowMatrix, single
 * rows), as opposed to message values, which samples.ts reads; and the magnitude limit every
 * sample value keeps. Learners check before they change anything, so a bad row leaves a model
 * as it was.
 */
import { describeValue, SampleError } from './errors';
import { RowMatrix, type BatchRows } from './matrix';

/**
 * The largest magnitude a sample value may have: |x| ≤ 1e30. Chosen so that no statistic of the
 * learners — sums of squares, co-moments, distances, T², SPE and their limits, with forgetting,
 * over up to 2^53 samples and the largest dimension allowed — can overflow binary64
 * (docs/limits.md, "overflow-safe: proof"). Physical readings sit far below it; data beyond it
 * must be rescaled (other units) before they reach a node.
 */
export const MAX_MAGNITUDE = 1e30;

/** The error for a value beyond {@link MAX_MAGNITUDE}. */
export function magnitudeError(where: string, value: number): SampleError {
  return new SampleError(
    `${where} is ${describeValue(value)}, larger in magnitude than ${MAX_MAGNITUDE}, the largest value ` +
      'this node accepts (so that no statistic can overflow). Rescale the values to other units ' +
      '(e.g. divide by 1e6) before this node.',
  );
}

/**
 * Checks one row a learner is given directly (not through a `SampleReader`): `dimension`
 * finite numbers of magnitude at most {@link MAX_MAGNITUDE}. Learners call it before changing
 * anything, so a bad row leaves the model as it was.
 * @throws SampleError naming the row and the value.
 */
export function checkRow(x: ArrayLike<number> | null | undefined, dimension: number, where = 'sample'): void {
  if (x === null || typeof x !== 'object' || typeof x.length !== 'number') {
    throw new SampleError(`${where} is ${describeValue(x)}, not an array of ${dimension} numbers`);
  }
  if (x.length !== dimension) {
    throw new SampleError(`${where} has ${x.length} values but this model has ${dimension} features`);
  }
  for (let j = 0; j < dimension; j++) {
    const v: unknown = x[j];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new SampleError(`${where}[${j}] is ${describeValue(v)}: every feature must be a finite number`);
    }
    if (v > MAX_MAGNITUDE || v < -MAX_MAGNITUDE) throw magnitudeError(`${where}[${j}]`, v);
  }
}

/**
 * Checks `rows[start..end)` with {@link checkRow}, all of them before any is used.
 * @param copied true when rows of arrays are checked later, by {@link copyCheckedRows} as a
 *   learner copies them (one read of each value instead of two): only the batch and the range are
 *   checked here then. A {@link RowMatrix} is always checked whole here (it is read in place).
 * @throws SampleError naming the first bad row.
 */
export function checkRows(
  rows: BatchRows,
  dimension: number,
  start = 0,
  end = rows.length,
  where = 'batch',
  copied = false,
): void {
  const matrix = rows instanceof RowMatrix;
  if (!matrix && !Array.isArray(rows)) {
    throw new SampleError(`${where} is ${describeValue(rows)}, not an array of rows`);
  }
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= rows.length)) {
    throw new RangeError(`rows ${start}..${end} are outside the batch of ${rows.length}`);
  }
  if (matrix) {
    checkMatrix(rows, dimension, start, end, where);
    return;
  }
  if (copied) return;
  // The row's name is built only for a bad row: a string per row would cost more than the check.
  for (let i = start; i < end; i++) {
    if (!isGoodRow(rows[i], dimension)) checkRow(rows[i], dimension, `${where}[${i}]`);
  }
}

/**
 * Copies `count` rows of arrays from `rows[first]` into `into` at `at`, row-major, checking each
 * as {@link checkRows} does (the same errors) while it is read.
 * @throws SampleError naming the first bad row; rows before it have been copied.
 */
export function copyCheckedRows(
  rows: ReadonlyArray<ArrayLike<number>>,
  first: number,
  count: number,
  columns: number,
  into: Float64Array,
  at: number,
  where = 'batch',
): void {
  for (let i = 0; i < count; i++) {
    const row = rows[first + i];
    if (row === null || typeof row !== 'object' || row.length !== columns) {
      checkRow(row, columns, `${where}[${first + i}]`);
    }
    const o = at + i * columns;
    for (let j = 0; j < columns; j++) {
      const v: unknown = row[j];
      // One comparison of the magnitude also rejects NaN.
      if (typeof v !== 'number' || !(Math.abs(v) <= MAX_MAGNITUDE)) {
        checkRow(row, columns, `${where}[${first + i}]`);
      }
      into[o + j] = v as number;
    }
  }
}

/** {@link checkRows} for a matrix: its width, then every value of rows `start..end`. */
function checkMatrix(rows: RowMatrix, dimension: number, start: number, end: number, where: string): void {
  if (rows.columns !== dimension) {
    throw new SampleError(
      `${where} has ${rows.columns} values per row but this model has ${dimension} features`,
    );
  }
  const values = rows.values;
  for (let at = start * dimension; at < end * dimension; at++) {
    const v = values[at];
    if (!(v <= MAX_MAGNITUDE && v >= -MAX_MAGNITUDE)) {
      const i = Math.floor(at / dimension);
      checkRow(rows.row(i), dimension, `${where}[${i}]`);
    }
  }
}

/** True when {@link checkRow} would accept `x`. */
function isGoodRow(x: ArrayLike<number> | null | undefined, dimension: number): boolean {
  if (x === null || typeof x !== 'object' || x.length !== dimension) return false;
  for (let j = 0; j < dimension; j++) {
    const v: unknown = x[j];
    if (typeof v !== 'number' || !(v <= MAX_MAGNITUDE && v >= -MAX_MAGNITUDE)) return false;
  }
  return true;
}
