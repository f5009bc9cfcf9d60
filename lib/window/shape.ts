/**
 * What a window of whole samples becomes: the batch of its samples in their own form, one flat
 * vector, or per-feature aggregates. Values go out as plain arrays and objects (JSON, not typed).
 */
import { aggregateNames, summarizeInto, type AggregateName } from '../aggregate';
import type { Rows } from './buffers';
import type { ResolvedWindowOptions } from './options';
import type { Layout } from './types';

/** The payload of a window of whole samples. */
export function shapeWindow(
  layout: Layout,
  rows: Rows,
  o: Pick<ResolvedWindowOptions, 'emit' | 'aggregates'>,
): unknown {
  const n = rows.length;
  const d = layout.schema.dimension;
  const values = rows.values;
  if (o.emit === 'vector') return plainArray(values, 0, n * d);
  if (o.emit === 'samples') {
    const batch = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      batch[i] =
        layout.shape === 'object'
          ? namedRow(layout.names, values.subarray(i * d, i * d + d))
          : plainArray(values, i * d, d);
    }
    return batch;
  }
  // Every feature's aggregates in one array, feature by feature: what an array sample sends.
  const m = o.aggregates.length;
  const stats = new Array<number | null>(d * m);
  // Windows of a node mostly hold the same number of rows: the column is kept at that length.
  const column = (columnScratch = columnScratch.length === n ? columnScratch : new Float64Array(n));
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < n; i++) column[i] = values[i * d + j];
    summarizeInto(column, o.aggregates, stats, j * m);
  }
  if (m === 1) {
    if (layout.shape === 'number') return stats[0];
    if (layout.shape === 'array') return stats;
    return namedRow(layout.names, stats);
  }
  return namedRow(aggregateNames(layout.names, o.aggregates), stats);
}

/** One feature's values of the window being shaped (windows are shaped one at a time). */
let columnScratch = new Float64Array(0);

/**
 * Aggregates of a feature that had no reading in the window: `count` and `sum` are those of the
 * window (0), every other statistic is the carried last value (its `std` is 0).
 */
export function carried(last: number, aggregates: readonly AggregateName[]): number[] {
  return aggregates.map((name) => (name === 'count' || name === 'sum' ? 0 : name === 'std' ? 0 : last));
}

/** A plain array of `count` values from `offset`: what goes out in a message (JSON, not typed). */
export function plainArray(values: Float64Array, offset: number, count: number): number[] {
  const out = new Array<number>(count);
  for (let j = 0; j < count; j++) out[j] = values[offset + j];
  return out;
}

/** An object of `names` to `values`, in order. */
export function namedRow(
  names: readonly string[],
  values: ArrayLike<number | null>,
): Record<string, number | null> {
  const row: Record<string, number | null> = {};
  for (let j = 0; j < names.length; j++) row[names[j]] = values[j];
  return row;
}
