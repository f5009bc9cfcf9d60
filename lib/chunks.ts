/**
 * A batch read as flat row-major chunks, so that each learner's batch kernel is written once, over
 * flat values, whatever the batch came as. A {@link RowMatrix} is read in place; rows of arrays
 * are copied a chunk at a time into one small scratch buffer, so learning never allocates a copy
 * of the whole batch (at 100 000 × 64 a fresh 51 MB buffer costs ~200 ms of page faults in its
 * first write, more than the arithmetic).
 */
import { copyRows, RowMatrix, type BatchRows } from './matrix';
import { copyCheckedRows } from './rows';

/**
 * Values per chunk: 64 KB, small enough that a kernel's column-by-column passes over a chunk read
 * it from the core's cache, large enough that merging one chunk's statistics into the next costs
 * nothing measurable. Measured on `Standardizer.learnBatch` of 100 000 × 10 rows of arrays: 5.1 ms
 * with 64 KB chunks, 5.4–6.6 with 32 KB, 8.1 with 128 KB.
 */
const CHUNK_VALUES = 8192;

/** The rows of one chunk as {@link forEachChunk} passes it. */
export interface Chunk {
  /** Row-major values; rows of the chunk start at `at`. Read only: may be the caller's matrix. */
  values: Float64Array;
  /** Index in `values` of the chunk's first value. */
  at: number;
  /** Index in the batch of the chunk's first row. */
  first: number;
  /** Rows in the chunk (≥ 1). */
  count: number;
}

/**
 * Shared scratch for copied chunks (at most one row of 100 000 values, 800 KB, kept): one batch is
 * read at a time, so a `visit` must not itself read another batch through {@link forEachChunk}.
 */
let scratch = new Float64Array(0);

/** Rows per chunk for rows of `columns` values: at least one. */
export function chunkRows(columns: number): number {
  return Math.max(1, Math.floor(CHUNK_VALUES / columns));
}

/**
 * Calls `visit` with rows `start..end` of a batch, in order, in chunks of {@link chunkRows} rows
 * (the same chunks whether the batch is a matrix or rows of arrays, so both give the same bits).
 * The chunk object and a copied chunk's values are reused: use them before `visit` returns.
 * @param checked false when rows of arrays still need checking (`checkRows(…, copied = true)`):
 *   they are then checked as they are copied, and a bad row throws after the chunks before it were
 *   visited, so a learner accumulates chunks apart and takes them over only at the end.
 */
export function forEachChunk(
  rows: BatchRows,
  columns: number,
  start: number,
  end: number,
  visit: (chunk: Chunk) => void,
  checked = true,
): void {
  const step = chunkRows(columns);
  const chunk: Chunk = { values: scratch, at: 0, first: start, count: 0 };
  if (rows instanceof RowMatrix) {
    chunk.values = rows.values;
    for (let first = start; first < end; first += step) {
      chunk.at = first * columns;
      chunk.first = first;
      chunk.count = Math.min(step, end - first);
      visit(chunk);
    }
    return;
  }
  if (scratch.length < step * columns) scratch = new Float64Array(step * columns);
  const values = scratch;
  for (let first = start; first < end; first += step) {
    const count = Math.min(step, end - first);
    if (checked) copyRows(rows, first, count, columns, values, 0);
    else copyCheckedRows(rows, first, count, columns, values, 0);
    chunk.values = values;
    chunk.at = 0;
    chunk.first = first;
    chunk.count = count;
    visit(chunk);
  }
}

/**
 * A new Float64Array of `length` values that the caller overwrites entirely before anyone reads it:
 * its memory is not zeroed (as numpy's `empty`), which also lets the C allocator hand back the
 * memory a previous batch's result freed. A zeroed array of that size comes fresh from the system
 * each time here, and its first write costs a page fault per 4 KB (at 100 000 × 10, 30 ms against
 * 1 ms recycled).
 */
export function uninitialised(length: number): Float64Array {
  const bytes = Buffer.allocUnsafeSlow(length * Float64Array.BYTES_PER_ELEMENT);
  return new Float64Array(bytes.buffer, bytes.byteOffset, length);
}
