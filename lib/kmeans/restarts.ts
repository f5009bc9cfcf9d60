/**
 * A fit from scratch: the best of several k-means++ restarts, each followed by Lloyd, renumbered to
 * match the first restart. A large fit runs its restarts on two threads, this one and one
 * long-lived worker thread, with the very result of the sequential loop, and stays synchronous.
 *
 * How: the rows go once into shared memory (a buffer kept between fits, because first writes to
 * fresh memory cost more than the copy); both threads claim restart indices from one shared
 * counter, so a worker that boots slowly or shares its core simply claims fewer; restart r starts
 * from the generator state the loop would have (restart-job.ts), and the kept restart is chosen by
 * the loop's rule whichever thread ran it. This thread runs restart 0 itself and then waits with
 * `Atomics.wait`, never longer than {@link ThreadSettings.timeoutMs} past the worker's last
 * finished restart: then it runs the worker's restarts itself, and a new worker serves the next fit.
 *
 * Switched off with the environment variable `STREAM_ML_THREADS=0` (read at the first fit) or
 * {@link configureRestartThreads}; small fits and single-core machines always run inline.
 */
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { SeededRandom } from '../random';
import { kmeansPlusPlus } from './init';
import { lloyd, type LloydResult } from './lloyd';
import { matchCenters, permuteRows } from './merge';
import {
  ABANDONED,
  BEST,
  betterRestart,
  CONTROL_LENGTH,
  DONE,
  FINISHED,
  N_ITER,
  NEXT,
  resultBytes,
  resultViews,
  RUNNING,
  RestartScratch,
  runRestart,
  STATUS,
  type RestartJobMessage,
  type RestartSettings,
} from './restart-job';

/** How restarts use the worker thread; see {@link configureRestartThreads}. */
export interface ThreadSettings {
  /** Whether large fits use the worker thread at all. */
  enabled: boolean;
  /**
   * Least n × d × restarts for which a fit starts the worker (about 100 ms of restarts at d = 2):
   * an idle worker holds some 14 MB, which a stream's warm-up fit (at most 655 360 here) does not repay.
   */
  minWork: number;
  /** Least n × d × restarts for which a fit uses a worker already running (its hand-off costs < 1 ms). */
  minSharedWork: number;
  /** Least wait for a restart the worker claimed, in ms; at least 10 × this thread's mean restart. */
  timeoutMs: number;
  /** Idle time after which the shared buffers and scratch are released, in ms. */
  releaseMs: number;
  /** The worker's script (tests substitute a faulty one). */
  script: string;
}

const DEFAULT_SCRIPT = path.join(__dirname, 'restart-worker.js');
/** Times a timed-out worker is replaced before fits stay inline for good. */
const MAX_REPLACEMENTS = 3;

let settings: ThreadSettings | null = null;
let worker: Worker | null = null;
/** Set when the worker failed in a way a new one would repeat: later fits run inline. */
let unavailable = false;
let replacements = 0;
let rowsBuffer: SharedArrayBuffer | null = null;
let resultBuffer: SharedArrayBuffer | null = null;
let scratch: RestartScratch | null = null;
let releaseTimer: NodeJS.Timeout | null = null;
/** Restarts the worker ran in the last fit from scratch (−1: it failed and they ran here). */
let lastWorkerRestarts = 0;

function currentSettings(): ThreadSettings {
  settings ??= {
    enabled: !/^(0|false|off|no)$/i.test(process.env.STREAM_ML_THREADS ?? ''),
    minWork: 1_000_000,
    minSharedWork: 100_000,
    timeoutMs: 2000,
    releaseMs: 30_000,
    script: DEFAULT_SCRIPT,
  };
  return settings;
}

/**
 * Changes how restarts use the worker thread, e.g. `{ enabled: false }` to run every fit on the
 * calling thread. Changing the script or enabling again also forgets an earlier worker failure.
 * @returns the settings now in force.
 */
export function configureRestartThreads(changes: Partial<ThreadSettings>): Readonly<ThreadSettings> {
  const next = { ...currentSettings(), ...changes };
  if (changes.script !== undefined || changes.enabled === true) {
    unavailable = false;
    replacements = 0;
  }
  if (!next.enabled || next.script !== settings!.script) stopWorker();
  settings = next;
  return { ...settings };
}

/** The worker's state, for tests and diagnostics: whether one runs, and whether fits stay inline. */
export function restartThreadState(): {
  running: boolean;
  unavailable: boolean;
  replacements: number;
  lastWorkerRestarts: number;
} {
  return { running: worker !== null, unavailable, replacements, lastWorkerRestarts };
}

/** Ends the worker, if any, and releases the shared buffers (a later large fit starts a new one). */
export function stopRestartThread(): void {
  stopWorker();
  release();
}

function stopWorker(): void {
  const stopping = worker;
  worker = null;
  rowsBuffer = resultBuffer = null;
  if (stopping) void stopping.terminate().catch(() => undefined);
}

function release(): void {
  if (releaseTimer) clearTimeout(releaseTimer);
  releaseTimer = null;
  rowsBuffer = resultBuffer = null;
  scratch = null;
  worker?.postMessage('release');
}

/** The worker, started on first need; null when fits should run inline. */
function availableWorker(n: number, d: number, restarts: number): Worker | null {
  const config = currentSettings();
  const work = n * d * restarts;
  if (
    !config.enabled ||
    unavailable ||
    restarts < 2 ||
    work < Math.min(config.minWork, config.minSharedWork)
  ) {
    return null;
  }
  if (worker) return work >= config.minSharedWork ? worker : null;
  if (work < config.minWork) return null;
  if (availableParallelism() < 2 || typeof SharedArrayBuffer !== 'function') return null;
  let started: Worker;
  try {
    started = new Worker(config.script);
  } catch {
    unavailable = true;
    return null;
  }
  started.unref();
  // Events arrive only between fits (this thread waits synchronously during one): a worker that
  // fails to load or dies is not started again, and fits already stop waiting for it by timeout.
  const lost = (): void => {
    if (worker === started) {
      worker = null;
      unavailable = true;
    }
  };
  started.on('error', lost);
  started.on('exit', lost);
  worker = started;
  return started;
}

/** A shared buffer of at least `bytes`, the kept one when large enough. */
function sharedBuffer(kept: SharedArrayBuffer | null, bytes: number): SharedArrayBuffer {
  return kept !== null && kept.byteLength >= bytes ? kept : new SharedArrayBuffer(bytes);
}

/**
 * Fits centres to `data` from scratch: Lloyd from `start`, or from k-means++ (best of `restarts`,
 * least inertia and ties to the first, renumbered to match the first restart so that the numbering
 * does not depend on which restart won). The result is the same bit for bit whether the restarts
 * run one after another or on two threads (see the module comment).
 * @param data n × d rows, row-major.
 */
export function fitCenters(
  data: Float64Array,
  n: number,
  rowWeights: Float64Array,
  start: Float64Array | null,
  settings: RestartSettings,
): LloydResult {
  if (start) return lloyd(data, n, rowWeights, start, null, settings);
  const { k, d, restarts } = settings;
  const still = identicalRowsFit(data, n, rowWeights, k, d);
  if (still !== null) return still;
  lastWorkerRestarts = 0;
  const thread = availableWorker(n, d, restarts);
  let fit: { first: Float64Array; best: LloydResult } | null = null;
  if (thread) {
    try {
      fit = fitOnTwoThreads(thread, data, n, rowWeights, settings);
    } catch {
      // E.g. no memory for the shared buffers, or k-means++ drew another count than
      // restart-job.ts assumes (a DrawCountError: restarts then cannot be skipped to). The loop
      // below decides, and throws itself if the fit cannot be done at all.
      unavailable = true;
      stopWorker();
    }
  }
  fit ??= fitInOrder(data, n, rowWeights, settings);
  const kept = fit.best;
  const match = matchCenters(fit.first, kept.centers, k, d);
  permuteRows(kept.centers, match, d);
  permuteRows(kept.weights, match, 1);
  const inverse = new Int32Array(k);
  match.forEach((from, to) => (inverse[from] = to));
  for (let i = 0; i < kept.labels.length; i++) kept.labels[i] = inverse[kept.labels[i]];
  return kept;
}

/**
 * The fit of rows that are all the same (a stuck sensor's warm-up), or `null` when two differ:
 * every centre on the row, every row in cluster 0, inertia 0. Nothing can move there, yet Lloyd
 * would relocate the empty clusters back and forth (a mean of copies of a value that is not exact
 * in binary is not always that value) until `maxIter`, on every restart.
 */
function identicalRowsFit(
  data: Float64Array,
  n: number,
  rowWeights: Float64Array,
  k: number,
  d: number,
): LloydResult | null {
  for (let i = d; i < n * d; i++) if (data[i] !== data[i % d]) return null;
  const centers = new Float64Array(k * d);
  for (let c = 0; c < k; c++) for (let f = 0; f < d; f++) centers[c * d + f] = data[f];
  const weights = new Float64Array(k);
  for (let i = 0; i < n; i++) weights[0] += rowWeights[i];
  return { centers, labels: new Int32Array(n), weights, nIter: 1, inertia: 0 };
}

/** The restarts one after another on this thread, from one generator. */
function fitInOrder(
  data: Float64Array,
  n: number,
  rowWeights: Float64Array,
  settings: RestartSettings,
): { first: Float64Array; best: LloydResult } {
  const { k, d } = settings;
  const random = new SeededRandom(settings.seed);
  let first: Float64Array | null = null;
  let best: LloydResult | null = null;
  const scratch = new RestartScratch(n);
  for (let run = 0; run < settings.restarts; run++) {
    const init = kmeansPlusPlus(data, n, rowWeights, k, d, random, scratch.plusPlus);
    // k-means++ already knows each row's nearest centre: Lloyd's first labels, bit for bit.
    const result = lloyd(data, n, rowWeights, init, null, settings, scratch.plusPlus.nearest, scratch.lloyd);
    first ??= result.centers;
    if (best === null || result.inertia < best.inertia) {
      scratch.kept(best);
      best = result;
    }
    // Every row on its centre (a stuck sensor's identical rows, or no more distinct rows than
    // clusters): no later restart can do strictly better, and the generator is this loop's own,
    // so stopping here changes nothing of the result.
    if (best.inertia === 0) break;
  }
  return { first: first!, best: best! };
}

/** The restarts claimed by this thread and the worker; see the module comment. */
function fitOnTwoThreads(
  thread: Worker,
  data: Float64Array,
  n: number,
  rowWeights: Float64Array,
  settings: RestartSettings,
): { first: Float64Array; best: LloydResult } {
  const { k, d, restarts } = settings;
  const config = currentSettings();
  rowsBuffer = sharedBuffer(rowsBuffer, (n * d + n) * 8);
  resultBuffer = sharedBuffer(resultBuffer, resultBytes(n, k, d));
  new Float64Array(rowsBuffer, 0, n * d).set(data);
  new Float64Array(rowsBuffer, n * d * 8, n).set(rowWeights);
  const control = new Int32Array(new SharedArrayBuffer(CONTROL_LENGTH * 4));
  control[NEXT] = 1;
  control[STATUS] = RUNNING;
  const buffer = resultBuffer;
  const job: RestartJobMessage = {
    control: control.buffer as SharedArrayBuffer,
    rows: rowsBuffer,
    result: buffer,
    n,
    settings,
  };
  thread.postMessage(job);
  try {
    if (scratch === null || scratch.n !== n) scratch = new RestartScratch(n);
    const here = scratch;
    const began = performance.now();
    const first = runRestart(data, n, rowWeights, settings, 0, here);
    here.kept(null);
    let best = first;
    let bestIndex = 0;
    const keep = (r: number, result: LloydResult, ranHere: boolean): void => {
      if (betterRestart(r, result.inertia, bestIndex, best.inertia)) {
        if (ranHere) here.kept(best);
        best = result;
        bestIndex = r;
      }
    };
    const mine = new Set<number>([0]);
    for (let r = Atomics.add(control, NEXT, 1); r < restarts; r = Atomics.add(control, NEXT, 1)) {
      keep(r, runRestart(data, n, rowWeights, settings, r, here), true);
      mine.add(r);
    }
    lastWorkerRestarts = restarts - mine.size;
    if (mine.size < restarts) {
      const timeout = Math.max(config.timeoutMs, (10 * (performance.now() - began)) / mine.size);
      const theirs = awaitWorker(control, timeout, buffer, n, k, d);
      if (theirs === undefined) {
        // The worker failed or did not finish in time: its restarts run here, and a late result of
        // its lands in buffers no longer used (stopWorker drops them).
        Atomics.store(control, ABANDONED, 1);
        lastWorkerRestarts = -1;
        if (++replacements > MAX_REPLACEMENTS) unavailable = true;
        stopWorker();
        for (let r = 1; r < restarts; r++) {
          if (!mine.has(r)) keep(r, runRestart(data, n, rowWeights, settings, r, here), true);
        }
      } else if (theirs !== null) {
        keep(theirs.index, theirs.result, false);
      }
    }
    scheduleRelease(config.releaseMs);
    return { first: first.centers, best };
  } catch (error) {
    Atomics.store(control, ABANDONED, 1);
    stopWorker();
    throw error;
  }
}

/**
 * Waits for the worker to finish its claimed restarts, at most `timeout` ms past its last progress.
 * @returns its best restart (null: it ran none), or undefined when it failed or timed out.
 */
function awaitWorker(
  control: Int32Array,
  timeout: number,
  buffer: SharedArrayBuffer,
  n: number,
  k: number,
  d: number,
): { index: number; result: LloydResult } | null | undefined {
  let progress = Atomics.load(control, DONE);
  let deadline = performance.now() + timeout;
  for (;;) {
    const status = Atomics.load(control, STATUS);
    if (status === FINISHED) break;
    if (status !== RUNNING) return undefined;
    const done = Atomics.load(control, DONE);
    const now = performance.now();
    if (done !== progress) {
      progress = done;
      deadline = now + timeout;
    }
    if (now >= deadline) return undefined;
    Atomics.wait(control, STATUS, RUNNING, deadline - now);
  }
  const index = control[BEST];
  if (index < 0) return null;
  const views = resultViews(buffer, n, k, d);
  return {
    index,
    result: {
      inertia: views.inertia[0],
      centers: views.centers.slice(),
      weights: views.weights.slice(),
      labels: views.labels.slice(),
      nIter: control[N_ITER],
    },
  };
}

/** Releases the shared buffers and scratch after `ms` without a fit, without keeping the process up. */
function scheduleRelease(ms: number): void {
  if (releaseTimer) clearTimeout(releaseTimer);
  releaseTimer = setTimeout(release, ms);
  releaseTimer.unref();
}
