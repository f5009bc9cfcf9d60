/**
 * A batch as one row-major block of numbers, as a NumPy array holds it: what a batch stage returns
 * and the next stage reads, with no object per row. 100 000 row views cost more than the
 * arithmetic of a whole standardize pass, and a row of plain numbers costs the garbage collector.
 */
import { describeValue } from './errors';

/** `length` rows of `columns` numbers, row-major in `values`. */
export class RowMatrix {
  /** Number of rows (named as an array of rows names it, so `end = rows.length` defaults work). */
  readonly length: number;

  /**
   * @param values `length × columns` numbers, row-major; kept, not copied.
   * @param length the number of rows.
   * @param columns the numbers per row.
   */
  constructor(
    readonly values: Float64Array,
    length: number,
    readonly columns: number,
  ) {
    if (!(values instanceof Float64Array)) {
      throw new TypeError(`a RowMatrix holds a Float64Array, got ${describeValue(values)}`);
    }
    if (!Number.isInteger(length) || length < 0 || !Number.isInteger(columns) || columns < 1) {
      throw new RangeError(`a RowMatrix needs whole rows ≥ 0 and columns ≥ 1, got ${length} × ${columns}`);
    }
    if (values.length !== length * columns) {
      throw new RangeError(
        `${length} rows of ${columns} need ${length * columns} values, got ${values.length}`,
      );
    }
    this.length = length;
  }

  /** Copies rows of arrays (all `columns` long, as checked by the caller) into one matrix. */
  static from(
    rows: ReadonlyArray<ArrayLike<number>>,
    columns: number,
    start = 0,
    end = rows.length,
  ): RowMatrix {
    const n = Math.max(0, end - start);
    const values = new Float64Array(n * columns);
    copyRows(rows, start, n, columns, values, 0);
    return new RowMatrix(values, n, columns);
  }

  /** Row `i` as a view of the matrix (changing it changes the matrix). */
  row(i: number): Float64Array {
    return this.values.subarray(i * this.columns, (i + 1) * this.columns);
  }

  /** The rows as plain arrays, e.g. for a message payload or JSON. */
  toArrays(): number[][] {
    const out = new Array<number[]>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = Array.from(this.row(i));
    return out;
  }
}

/** Copies `count` rows of arrays from `rows[first]` into `into` at `at`, row-major. */
export function copyRows(
  rows: ReadonlyArray<ArrayLike<number>>,
  first: number,
  count: number,
  columns: number,
  into: Float64Array,
  at: number,
): void {
  for (let i = 0; i < count; i++) {
    const row = rows[first + i];
    const o = at + i * columns;
    for (let j = 0; j < columns; j++) into[o + j] = row[j];
  }
}

/** A batch as the learners take it: rows of numbers (e.g. from a message) or one {@link RowMatrix}. */
export type BatchRows = ReadonlyArray<ArrayLike<number>> | RowMatrix;

/**
 * Rows `start..end` of a batch as row-major values: a view when the batch already is a matrix
 * (do not write to it), else a copy.
 */
export function flatRows(rows: BatchRows, columns: number, start = 0, end = rows.length): Float64Array {
  if (rows instanceof RowMatrix) return rows.values.subarray(start * columns, end * columns);
  return RowMatrix.from(rows, columns, start, end).values;
}
