/**
 * Per-feature summaries of a window (`emit: aggregate`, docs/nodes.md) and how they are named.
 *
 * A window holds every value it summarises, so each statistic is computed exactly from them:
 * a compensated sum, a two-pass mean and deviation (full precision far from zero, where the
 * textbook `E[x²] − E[x]²` loses every digit), and the median from a sorted copy.
 */
import { MAX_MAGNITUDE } from './rows';

/**
 * The largest magnitude a window accepts in a value: the one every node accepts
 * ({@link MAX_MAGNITUDE}, 1e30). With at most 1e7 values held (the bound on `maxSamples`), a sum
 * stays below 1e37 and a squared deviation below 4e60, far from the largest double (1.8e308), so
 * no aggregate can overflow to ±Infinity or NaN. The deviation is computed scaled all the same,
 * so {@link summarize} itself stays finite for any finite values whose sum is.
 */
export const MAX_WINDOW_VALUE = MAX_MAGNITUDE;

/** Most values one window may hold for its aggregates to stay finite (see {@link MAX_WINDOW_VALUE}). */
export const MAX_WINDOW_VALUES = 10_000_000;

/** Every aggregate the window node offers, in the order the editor lists them. */
export const AGGREGATES = ['mean', 'min', 'max', 'std', 'sum', 'count', 'first', 'last', 'median'] as const;

/** One of {@link AGGREGATES}. */
export type AggregateName = (typeof AGGREGATES)[number];

const KNOWN = new Set<string>(AGGREGATES);

/**
 * Parses the aggregates chosen in the node's settings.
 * @param input a comma-separated list (`"mean, max"`) or an array of names.
 * @returns the names in the given order.
 * @throws RangeError on an empty list, an unknown name or a name listed twice.
 */
export function parseAggregates(input: string | readonly string[]): AggregateName[] {
  const names = (typeof input === 'string' ? input.split(',') : [...input])
    .map((name) => String(name).trim())
    .filter((name) => name.length > 0);
  if (names.length === 0) {
    throw new RangeError(`Aggregates: choose at least one of ${AGGREGATES.join(', ')}`);
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (!KNOWN.has(name)) {
      throw new RangeError(`Aggregates: "${name}" is not one of ${AGGREGATES.join(', ')}`);
    }
    if (seen.has(name)) throw new RangeError(`Aggregates: "${name}" is listed twice`);
    seen.add(name);
  }
  return names as AggregateName[];
}

/**
 * Neumaier's compensated sum: exact to the last bit for the sums a window sees, where a naive
 * running sum of large, nearly cancelling values drifts.
 */
function compensatedSum(values: ArrayLike<number>): number {
  let sum = 0;
  let compensation = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const t = sum + v;
    compensation += Math.abs(sum) >= Math.abs(v) ? sum - t + v : v - t + sum;
    sum = t;
  }
  return sum + compensation;
}

/** Mean refined by a second pass, so an offset of 1e9 costs no precision in the result. */
function refinedMean(values: ArrayLike<number>, sum: number): number {
  const n = values.length;
  const mean = sum / n;
  let residual = 0;
  for (let i = 0; i < n; i++) residual += values[i] - mean;
  return mean + residual / n;
}

/**
 * Population standard deviation (ddof = 0) about a precise mean. Deviations beyond 1e150 (or
 * below 1e-150) are scaled by the largest one first, so their squares neither overflow to
 * Infinity nor underflow to 0.
 */
function populationStd(values: ArrayLike<number>, mean: number): number {
  const n = values.length;
  let largest = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(values[i] - mean);
    if (d > largest) largest = d;
  }
  if (largest === 0) return 0;
  const scale = largest > 1e150 || largest < 1e-150 ? largest : 1;
  let squares = 0;
  let residual = 0;
  for (let i = 0; i < n; i++) {
    const d = (values[i] - mean) / scale;
    squares += d * d;
    residual += d;
  }
  // The corrected two-pass formula: removes what rounding left in the mean.
  return scale * Math.sqrt(Math.max(0, (squares - (residual * residual) / n) / n));
}

/** Exact median: the middle value, or the mean of the two middle values (as NumPy). */
function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const mid = n >> 1;
  if (n % 2 === 1) return sorted[mid];
  const low = sorted[mid - 1];
  return low + (sorted[mid] - low) / 2;
}

/**
 * Summarises one feature's values in a window.
 * @param values the feature's values in window order (time order; arrival order for count windows).
 * @param aggregates which statistics, in output order.
 * @returns one number per aggregate. An empty window has `count` and `sum` 0 and `null` for every
 *   other statistic (a mean of nothing is not a number, and learners must never receive NaN).
 */
export function summarize(
  values: ArrayLike<number>,
  aggregates: readonly AggregateName[],
): (number | null)[] {
  return summarizeInto(values, aggregates, new Array<number | null>(aggregates.length), 0);
}

/**
 * {@link summarize}, written into `out` from `at` (a window's payload being built, so that no
 * array per feature is made).
 * @returns `out`.
 */
export function summarizeInto<T extends { [i: number]: number | null }>(
  values: ArrayLike<number>,
  aggregates: readonly AggregateName[],
  out: T,
  at: number,
): T {
  const n = values.length;
  if (n === 0) {
    for (let a = 0; a < aggregates.length; a++) {
      out[at + a] = aggregates[a] === 'count' || aggregates[a] === 'sum' ? 0 : null;
    }
    return out;
  }
  let sum = NaN;
  let mean = NaN;
  const needSum = aggregates.some((name) => name === 'sum' || name === 'mean' || name === 'std');
  if (needSum) sum = compensatedSum(values);
  if (aggregates.includes('mean') || aggregates.includes('std')) mean = refinedMean(values, sum);
  for (let a = 0; a < aggregates.length; a++) {
    out[at + a] = statistic(aggregates[a], values, sum, mean);
  }
  return out;
}

function statistic(name: AggregateName, values: ArrayLike<number>, sum: number, mean: number): number {
  switch (name) {
    case 'mean':
      return mean;
    case 'sum':
      return sum;
    case 'std':
      return populationStd(values, mean);
    case 'count':
      return values.length;
    case 'first':
      return values[0];
    case 'last':
      return values[values.length - 1];
    case 'median':
      return median(values);
    case 'min': {
      let min = values[0];
      for (let i = 1; i < values.length; i++) if (values[i] < min) min = values[i];
      return min;
    }
    case 'max': {
      let max = values[0];
      for (let i = 1; i < values.length; i++) if (values[i] > max) max = values[i];
      return max;
    }
  }
}

/**
 * Names of a flat row of several aggregates: feature-major, `temp_mean, temp_max, hum_mean, …`,
 * so that the statistics of one feature sit together.
 */
export function aggregateNames(features: readonly string[], aggregates: readonly AggregateName[]): string[] {
  const names: string[] = [];
  for (const feature of features) for (const aggregate of aggregates) names.push(`${feature}_${aggregate}`);
  return names;
}

/** Positional feature names `x0, x1, …` for features that have no names. */
export function positionalNames(dimension: number): string[] {
  return Array.from({ length: dimension }, (_, j) => `x${j}`);
}
