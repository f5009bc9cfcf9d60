'use strict';
// A k-means restart worker that misbehaves after claiming one restart of a job, as a crashed, hung
// or failing worker would (test/unit/lib/kmeans.threads.lib.test.js). The fault is read from the
// environment the worker was started with, KMEANS_FAULT:
//   exit  — the worker thread ends (process.exit in a worker ends only the worker);
//   hang  — it blocks for a minute without reporting;
//   fail  — it reports a failure at once;
//   late  — it waits 1.5 s, then writes a wrong result and reports it finished.
const { parentPort } = require('node:worker_threads');
const dist = require('./dist');
const job = dist('lib/kmeans/restart-job');

const fault = process.env.KMEANS_FAULT;

parentPort.on('message', (message) => {
  if (message === 'release') return;
  const control = new Int32Array(message.control);
  const claimed = Atomics.add(control, job.NEXT, 1);
  if (claimed >= message.settings.restarts) {
    control[job.BEST] = -1;
    Atomics.store(control, job.STATUS, job.FINISHED);
    Atomics.notify(control, job.STATUS);
    return;
  }
  const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  if (fault === 'exit') process.exit(3);
  if (fault === 'hang') sleep(60_000);
  if (fault === 'late') {
    sleep(1500);
    const { n, settings } = message;
    const out = job.resultViews(message.result, n, settings.k, settings.d);
    out.inertia[0] = -1;
    out.centers.fill(12345);
    out.labels.fill(0);
    control[job.BEST] = claimed;
    Atomics.store(control, job.STATUS, job.FINISHED);
  } else {
    Atomics.store(control, job.STATUS, job.FAILED);
  }
  Atomics.notify(control, job.STATUS);
});
