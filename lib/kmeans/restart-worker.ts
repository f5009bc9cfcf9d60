/**
 * The worker thread of restarts.ts: for each job posted to it, claims restarts from the job's
 * shared counter until none are left, runs them (restart-job.ts), and writes the best one into the
 * job's result block. It never throws into the runtime: a failure is reported in the control block,
 * and the main thread then runs the restarts itself.
 */
import { parentPort } from 'node:worker_threads';
import type { LloydResult } from './lloyd';
import {
  ABANDONED,
  BEST,
  betterRestart,
  DONE,
  FAILED,
  FINISHED,
  N_ITER,
  NEXT,
  RestartScratch,
  resultViews,
  runRestart,
  STATUS,
  type RestartJobMessage,
} from './restart-job';

/** Per-row buffers of the last job, kept while fits of the same n follow (see release). */
let scratch: RestartScratch | null = null;

function runJob(job: RestartJobMessage): void {
  const control = new Int32Array(job.control);
  const { n, settings } = job;
  const { k, d, restarts } = settings;
  let best: LloydResult | null = null;
  let bestIndex = -1;
  try {
    const data = new Float64Array(job.rows, 0, n * d);
    const rowWeights = new Float64Array(job.rows, n * d * 8, n);
    for (;;) {
      if (Atomics.load(control, ABANDONED) !== 0) return;
      const r = Atomics.add(control, NEXT, 1);
      if (r >= restarts) break;
      if (scratch === null || scratch.n !== n) scratch = new RestartScratch(n);
      const result = runRestart(data, n, rowWeights, settings, r, scratch);
      if (betterRestart(r, result.inertia, bestIndex, best ? best.inertia : NaN)) {
        scratch.kept(best);
        best = result;
        bestIndex = r;
      }
      Atomics.add(control, DONE, 1);
      Atomics.notify(control, STATUS);
    }
    if (best !== null && Atomics.load(control, ABANDONED) === 0) {
      const out = resultViews(job.result, n, k, d);
      out.inertia[0] = best.inertia;
      out.centers.set(best.centers);
      out.weights.set(best.weights);
      out.labels.set(best.labels);
      control[N_ITER] = best.nIter;
    }
    control[BEST] = bestIndex;
    Atomics.store(control, STATUS, FINISHED);
  } catch {
    Atomics.store(control, STATUS, FAILED);
  }
  Atomics.notify(control, STATUS);
}

parentPort?.on('message', (message: RestartJobMessage | 'release') => {
  if (message === 'release') {
    scratch = null;
  } else {
    runJob(message);
  }
});
