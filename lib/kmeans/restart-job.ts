/**
 * One k-means++ restart and the shared-memory job that lets two threads claim restarts of one fit
 * (restarts.ts on the main thread, restart-worker.ts on the worker). This module imports only the
 * k-means++ and Lloyd code and the generator, so the worker loads nothing else.
 *
 * Restart r of a fit runs from the generator state that the sequential loop reaches after r
 * restarts, so which thread runs it does not change a bit of its result: every restart draws the
 * same number of numbers (see {@link plusPlusDraws}), and {@link SeededRandom.skip} jumps there.
 */
import { SeededRandom } from '../random';
import { kmeansPlusPlus, PlusPlusScratch } from './init';
import { lloyd, LloydScratch, type LloydResult, type LloydSettings } from './lloyd';

/** Int32 slots of a job's control block (a SharedArrayBuffer of {@link CONTROL_LENGTH} Int32s). */
export const NEXT = 0;
/** {@link RUNNING}, {@link FINISHED} or {@link FAILED}, written by the worker; waited on. */
export const STATUS = 1;
/** Restarts the worker has completed in this job. */
export const DONE = 2;
/** The worker's best restart index (−1: it ran none), valid once {@link STATUS} is FINISHED. */
export const BEST = 3;
/** Lloyd iterations of the worker's best restart. */
export const N_ITER = 4;
/** Set by the main thread when it stops waiting: the worker claims nothing more. */
export const ABANDONED = 5;
export const CONTROL_LENGTH = 8;

export const RUNNING = 0;
export const FINISHED = 1;
export const FAILED = 2;

/** What the main thread posts to the worker for one fit. */
export interface RestartJobMessage {
  /** Int32 control block, see {@link NEXT}… */
  control: SharedArrayBuffer;
  /** n × d rows then n row weights, Float64, from offset 0 (the buffer may be larger). */
  rows: SharedArrayBuffer;
  /** Float64 inertia, k × d centres, k weights, then Int32 n labels: see {@link resultViews}. */
  result: SharedArrayBuffer;
  n: number;
  settings: RestartSettings;
}

export type RestartSettings = LloydSettings & { restarts: number; seed: number };

/**
 * Numbers k-means++ draws per restart: one for the first centre, then 2 + ⌊ln k⌋ candidates for
 * each of the k − 1 others (init.ts draws them whatever the data). {@link runRestart} checks it.
 */
export function plusPlusDraws(k: number): number {
  return 1 + (k - 1) * (2 + Math.floor(Math.log(k)));
}

/** Thrown when k-means++ drew another count than {@link plusPlusDraws}: restarts must run in order. */
export class DrawCountError extends Error {}

/**
 * The per-row buffers of one thread's restarts, reused from restart to restart and from fit to
 * fit (fresh memory costs a page fault per 4 KiB, more than a pass over the rows).
 */
export class RestartScratch {
  readonly plusPlus: PlusPlusScratch;
  readonly lloyd: LloydScratch;

  constructor(readonly n: number) {
    this.plusPlus = new PlusPlusScratch(n);
    // Lloyd's bounds live in k-means++'s cumulative weights and radii: k-means++ is done with them
    // once the centres are drawn, and the next restart's k-means++ writes them afresh.
    this.lloyd = new LloydScratch(n, this.plusPlus.cumulative, this.plusPlus.radius);
  }

  /**
   * Records that the last restart's result is kept (the best so far): its labels stay with it, and
   * the next restarts write theirs into the labels of the result it replaces, or into new ones.
   */
  kept(replaced: LloydResult | null): void {
    this.lloyd.labels = replaced?.labels ?? new Int32Array(this.n);
  }
}

/**
 * Restart `r` of a fit: k-means++ from the generator state the sequential loop has at restart r,
 * then Lloyd from the labels k-means++ leaves (its nearest centres, bit for bit Lloyd's first).
 * The result's labels are `scratch.lloyd.labels`: call `scratch.kept` before the next restart to keep them.
 * @throws DrawCountError when k-means++ did not draw {@link plusPlusDraws}(k) numbers.
 */
export function runRestart(
  data: Float64Array,
  n: number,
  rowWeights: Float64Array,
  settings: RestartSettings,
  r: number,
  scratch: RestartScratch,
): LloydResult {
  const { k, d, seed } = settings;
  const draws = plusPlusDraws(k);
  const random = new SeededRandom(seed).skip(r * draws);
  const init = kmeansPlusPlus(data, n, rowWeights, k, d, random, scratch.plusPlus);
  if (random.position !== new SeededRandom(seed).skip((r + 1) * draws).position) {
    throw new DrawCountError(`k-means++ did not draw ${draws} numbers for k = ${k}`);
  }
  return lloyd(data, n, rowWeights, init, null, settings, scratch.plusPlus.nearest, scratch.lloyd);
}

/**
 * Whether restart `r` of inertia `inertia` replaces the best so far (`bestIndex` −1: none), so
 * that any order of visits keeps the restart the sequential loop keeps: the least inertia, ties to
 * the lowest index. A NaN inertia never wins, except at restart 0, where the loop's first result
 * then stays (nothing compares less than NaN).
 */
export function betterRestart(r: number, inertia: number, bestIndex: number, bestInertia: number): boolean {
  if (bestIndex === 0 && Number.isNaN(bestInertia)) return false;
  if (r === 0 && Number.isNaN(inertia)) return true;
  if (Number.isNaN(inertia)) return false;
  if (bestIndex < 0) return true;
  return inertia < bestInertia || (inertia === bestInertia && r < bestIndex);
}

/** Bytes of a result block for n rows, k centres of d features. */
export function resultBytes(n: number, k: number, d: number): number {
  return (1 + k * d + k) * 8 + n * 4;
}

/** Views of a result block: where the worker writes its best restart and the main thread reads it. */
export function resultViews(
  buffer: SharedArrayBuffer,
  n: number,
  k: number,
  d: number,
): { inertia: Float64Array; centers: Float64Array; weights: Float64Array; labels: Int32Array } {
  return {
    inertia: new Float64Array(buffer, 0, 1),
    centers: new Float64Array(buffer, 8, k * d),
    weights: new Float64Array(buffer, (1 + k * d) * 8, k),
    labels: new Int32Array(buffer, (1 + k * d + k) * 8, n),
  };
}
