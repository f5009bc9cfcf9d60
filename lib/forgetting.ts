/**
 * Forgetting, written once for every learner: a half-life of h samples makes each new sample
 * multiply the weight of everything seen before by `2^(-1/h)` (the decay factor), so a sample's
 * weight halves every h samples and the statistics follow drift.
 *
 * A batch of n rows is learned as n samples one after another would be: row i of the batch ends
 * with the weight `decay^(n−1−i)` (the last row weighs 1), and everything learned before the batch
 * ages by `decay^n`. {@link updateInChunks} is the skeleton the mergeable statistics
 * (lib/moments.ts, lib/covariance.ts) share for that: a weighted pass over each chunk of rows,
 * merged in turn, then the old statistics aged and the batch merged into them.
 */
import { chunkRows, forEachChunk, type Chunk } from './chunks';
import { describeValue } from './errors';
import type { BatchRows } from './matrix';

/**
 * The factor by which every earlier weight is multiplied when one sample arrives.
 * @param halfLife samples after which a weight has halved; 0 means never forget.
 * @returns `2^(-1/halfLife)`, or 1 when `halfLife` is 0.
 * @throws RangeError when `halfLife` is not a finite number ≥ 0.
 */
export function decayFactor(halfLife: number): number {
  if (!(halfLife >= 0) || !Number.isFinite(halfLife)) {
    throw new RangeError(
      `halfLife must be a finite number ≥ 0 (0 = never forget), got ${describeValue(halfLife)}`,
    );
  }
  return halfLife === 0 ? 1 : Math.pow(2, -1 / halfLife);
}

/**
 * The factor by which `steps` samples age everything learned before them: `decay^steps`.
 * @param decay per-sample decay factor from {@link decayFactor}.
 * @param steps samples (rows) learned since.
 */
export function ageing(decay: number, steps: number): number {
  return Math.pow(decay, steps);
}

/**
 * The weights of rows `first..first+count−1` of a batch whose newest row is `end − 1`:
 * `decay^(end−1−i)`, written into `out` from index 0. Each power is computed directly rather than
 * by repeated multiplication, so a long batch with a short half-life underflows only its oldest
 * rows, never its newest.
 * @returns `out`.
 */
export function rowWeights(
  decay: number,
  end: number,
  first: number,
  count: number,
  out: Float64Array = new Float64Array(count),
): Float64Array {
  for (let i = 0; i < count; i++) out[i] = Math.pow(decay, end - 1 - (first + i));
  return out;
}

/**
 * The weights of n rows where the last is the newest, `decay^(n−1−i)`; all 1 without forgetting.
 * @param n rows.
 * @param decay per-sample decay factor from {@link decayFactor}.
 */
export function ageWeights(n: number, decay: number): Float64Array {
  const weights = new Float64Array(n).fill(1);
  if (decay !== 1) rowWeights(decay, n, 0, n, weights);
  return weights;
}

/** The steps of {@link updateInChunks} that depend on the statistic. */
export interface ChunkedUpdate<T> {
  /** A new, empty statistic of the same dimension and decay. */
  empty(): T;
  /** Sets `part` to the statistics of one chunk's rows, row i weighing `weights[i]` (all 1 when null). */
  fromChunk(part: T, chunk: Chunk, weights: Float64Array | null): void;
  /** Merges `from` into `into` (Chan et al.'s pairwise formula). */
  merge(into: T, from: T): void;
  /** Multiplies every weight `target` holds (its sum of weights and co-moments) by `factor`. */
  age(target: T, factor: number): void;
}

/**
 * Learns rows `start..end` of a batch into `target` in order, with the weights one update per row
 * would give them: the statistics of each chunk of rows (see lib/chunks.ts) are merged into a
 * batch statistic in turn; then what `target` held ages by one step per row and the batch is
 * merged into it. A bad row (when `checked` is false) throws before `target` changes.
 * @param target the statistic learning the batch; its `count` says whether it holds anything.
 * @param dimension values per row.
 * @param decay per-sample decay factor in (0, 1].
 * @param checked false when rows of arrays are to be checked as they are read (see `checkRows`).
 */
export function updateInChunks<T extends { readonly count: number }>(
  target: T,
  rows: BatchRows,
  dimension: number,
  decay: number,
  start: number,
  end: number,
  checked: boolean,
  steps: ChunkedUpdate<T>,
): void {
  const size = end - start;
  if (size <= 0) return;
  const batch = steps.empty();
  const part = steps.empty();
  const weights = decay === 1 ? null : new Float64Array(chunkRows(dimension));
  const visit = (chunk: Chunk): void => {
    if (weights !== null) rowWeights(decay, end, chunk.first, chunk.count, weights);
    steps.fromChunk(part, chunk, weights);
    steps.merge(batch, part);
  };
  forEachChunk(rows, dimension, start, end, visit, checked);
  // The batch's own weights are relative to its last row.
  if (target.count > 0 && decay !== 1) steps.age(target, ageing(decay, size));
  steps.merge(target, batch);
}
