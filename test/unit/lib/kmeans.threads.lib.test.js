'use strict';
// k-means restarts on two threads (lib/kmeans/restarts): the same result bit for bit as the
// restarts one after another, with a worker that fails, hangs or dies, switched off, or not started
// for small fits; and the generator jump (SeededRandom.skip) that lets a restart run elsewhere.
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const dist = require('../../support/dist');
const { prng, gaussian } = require('../../support/random');

const threads = dist('lib/kmeans/restarts');
const { plusPlusDraws } = dist('lib/kmeans/restart-job');
const { kmeansPlusPlus } = dist('lib/kmeans/init');
const { absoluteTolerance, ageWeights } = dist('lib/kmeans/lloyd');
const { SeededRandom } = dist('lib/random');
const { StreamingKMeans } = dist('lib/kmeans');

const REAL_WORKER = path.join(dist.root, 'lib', 'kmeans', 'restart-worker.js');
const FAULTY_WORKER = path.join(__dirname, '..', '..', 'support', 'kmeans-faulty-worker.js');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** n × d rows around `clusters` random centres, row-major; `duplicates` keeps only 2 distinct rows. */
function dataset(n, d, clusters, seed, duplicates = false) {
  const uniform = prng(seed);
  const normal = gaussian(uniform);
  const centres = Array.from({ length: clusters }, () => Array.from({ length: d }, () => 5 * normal()));
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const centre = centres[Math.floor(uniform() * clusters)];
    for (let f = 0; f < d; f++) data[i * d + f] = duplicates ? centre[f] : centre[f] + normal();
  }
  return data;
}

function settingsFor(data, n, d, k, restarts, seed) {
  return { k, d, tolerance: absoluteTolerance(data, n, d, 1e-4), maxIter: 300, restarts, seed };
}

/** The parts of a fit that must not change with the threads, with typed arrays as plain arrays. */
function snapshot(result) {
  return {
    centers: Array.from(result.centers),
    weights: Array.from(result.weights),
    labels: Array.from(result.labels),
    inertia: result.inertia,
    nIter: result.nIter,
  };
}

function inline(data, n, weights, settings) {
  threads.configureRestartThreads({ enabled: false });
  try {
    return snapshot(threads.fitCenters(data, n, weights, null, settings));
  } finally {
    threads.configureRestartThreads({ enabled: true });
  }
}

/** Lets a fit start the worker if none runs, and gives it time to boot to take part in the next. */
async function bootWorker() {
  if (threads.restartThreadState().running) return;
  const data = dataset(200, 2, 2, 1);
  threads.fitCenters(data, 200, ageWeights(200, 1), null, settingsFor(data, 200, 2, 2, 2, 1));
  await sleep(500);
}

/** A new worker from `script`, booted; failures forgotten. */
async function startWorker(script, timeoutMs = 2000) {
  threads.stopRestartThread();
  threads.configureRestartThreads({ enabled: true, minWork: 0, minSharedWork: 0, timeoutMs, script });
  await bootWorker();
}

describe('lib/kmeans restarts on two threads', function () {
  this.timeout(60000);

  after(() => {
    threads.stopRestartThread();
    threads.configureRestartThreads({
      enabled: true,
      minWork: 1_000_000,
      timeoutMs: 2000,
      script: REAL_WORKER,
    });
  });

  describe('the generator jump', () => {
    it('skip(m) stands where m draws would, also past the period 2³²', () => {
      const walked = new SeededRandom(99);
      for (let i = 0; i < 1000; i++) walked.next();
      const jumped = new SeededRandom(99).skip(1000);
      assert.equal(jumped.position, walked.position);
      assert.equal(jumped.next(), walked.next());
      assert.equal(new SeededRandom(5).skip(2 ** 32 + 7).position, new SeededRandom(5).skip(7).position);
      assert.notEqual(new SeededRandom(5).skip(1).position, new SeededRandom(5).position);
      assert.throws(() => new SeededRandom(5).skip(-1), RangeError);
    });

    it('k-means++ draws 1 + (k − 1)(2 + ⌊ln k⌋) numbers per restart, for k = 1…12', () => {
      const n = 300;
      const d = 3;
      const data = dataset(n, d, 4, 3);
      for (let k = 1; k <= 12; k++) {
        const random = new SeededRandom(k);
        let draws = 0;
        const counting = { next: () => (draws++, random.next()) };
        kmeansPlusPlus(data, n, ageWeights(n, 1), k, d, counting);
        assert.equal(draws, plusPlusDraws(k), `k = ${k}`);
      }
    });
  });

  describe('the kept restart', () => {
    it('is the one the sequential loop keeps, whatever order the restarts are visited in', () => {
      const { betterRestart } = dist('lib/kmeans/restart-job');
      const uniform = prng(21);
      const pool = [1, 2, 2, 3, Infinity, NaN];
      for (let trial = 0; trial < 2000; trial++) {
        const inertias = Array.from(
          { length: 1 + Math.floor(uniform() * 8) },
          () => pool[Math.floor(uniform() * 6)],
        );
        let loop = 0;
        for (let r = 1; r < inertias.length; r++) if (inertias[r] < inertias[loop]) loop = r;
        // Two threads: each folds the indices it claimed, in a shuffled split; then the two bests.
        const order = inertias.map((_, r) => r).sort(() => uniform() - 0.5);
        const best = [-1, -1];
        order.forEach((r, i) => {
          const t = i % 2;
          if (betterRestart(r, inertias[r], best[t], inertias[best[t]])) best[t] = r;
        });
        let kept = best[0];
        if (best[1] >= 0 && betterRestart(best[1], inertias[best[1]], kept, inertias[kept])) kept = best[1];
        assert.equal(kept, loop, `inertias ${inertias}`);
      }
    });
  });

  describe('the same fit as one thread, bit for bit', () => {
    before(() => startWorker(REAL_WORKER));

    const cases = [
      { name: '20 000 × 2, k = 3, 10 restarts', n: 20000, d: 2, k: 3, restarts: 10, seed: 1 },
      {
        name: '12 000 × 5, k = 4, 7 restarts, forgetting weights',
        n: 12000,
        d: 5,
        k: 4,
        restarts: 7,
        seed: 2,
        halfLife: 3000,
      },
      { name: '15 000 × 3, k = 1, 4 restarts', n: 15000, d: 3, k: 1, restarts: 4, seed: 3 },
      { name: '10 000 × 2, k = 8, 10 restarts', n: 10000, d: 2, k: 8, restarts: 10, seed: 4 },
      { name: '20 000 × 16, k = 3, 3 restarts', n: 20000, d: 16, k: 3, restarts: 3, seed: 5 },
      // Two distinct rows for three clusters: equal inertias everywhere, so the tie rule decides.
      {
        name: '20 000 rows of 2 distinct values, k = 3 (ties)',
        n: 20000,
        d: 2,
        k: 3,
        restarts: 10,
        seed: 6,
        duplicates: true,
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const data = dataset(c.n, c.d, 3, c.seed, c.duplicates);
        const weights = ageWeights(c.n, c.halfLife ? Math.pow(2, -1 / c.halfLife) : 1);
        const settings = settingsFor(data, c.n, c.d, c.k, c.restarts, 1000 + c.seed);
        const expected = inline(data, c.n, weights, settings);
        await bootWorker();
        // The worker must have run restarts of its own for the comparison to mean anything; on a
        // busy machine it may miss a fit, so up to three tries.
        let ran = 0;
        for (let attempt = 0; attempt < 3 && ran <= 0; attempt++) {
          const actual = snapshot(threads.fitCenters(data, c.n, weights, null, settings));
          ran = threads.restartThreadState().lastWorkerRestarts;
          assert.deepStrictEqual(actual, expected);
        }
        assert.ok(ran > 0, `the worker ran ${ran} restarts`);
      });
    }

    it('a fresh StreamingKMeans with forgetting learns the same model with and without the thread', async () => {
      const n = 20000;
      const d = 4;
      const flat = dataset(n, d, 3, 7);
      const rows = Array.from({ length: n }, (_, i) => Array.from(flat.subarray(i * d, i * d + d)));
      const learn = () => {
        const model = new StreamingKMeans(
          { dimension: d, features: null },
          { k: 3, restarts: 10, halfLife: 5000 },
        );
        const result = model.learnBatch(rows);
        return { json: model.toJSON(), labels: Array.from(result.labels), inertia: result.inertia };
      };
      threads.configureRestartThreads({ enabled: false });
      const expected = learn();
      threads.configureRestartThreads({ enabled: true });
      await bootWorker();
      assert.deepStrictEqual(learn(), expected);
      assert.ok(threads.restartThreadState().lastWorkerRestarts > 0);
    });
  });

  describe('switched off or too small', () => {
    it('switched off: no worker starts and the result is the same', () => {
      threads.stopRestartThread();
      const n = 20000;
      const data = dataset(n, 2, 3, 8);
      const settings = settingsFor(data, n, 2, 3, 10, 8);
      const expected = inline(data, n, ageWeights(n, 1), settings);
      threads.configureRestartThreads({ enabled: false, minWork: 0 });
      assert.deepStrictEqual(
        snapshot(threads.fitCenters(data, n, ageWeights(n, 1), null, settings)),
        expected,
      );
      assert.equal(threads.restartThreadState().running, false);
    });

    it('STREAM_ML_THREADS=0 keeps a large fit inline; without it a worker starts and the process still exits', () => {
      const script = `
        const threads = require(${JSON.stringify(path.join(dist.root, 'lib', 'kmeans', 'restarts.js'))});
        const { ageWeights, absoluteTolerance } = require(${JSON.stringify(path.join(dist.root, 'lib', 'kmeans', 'lloyd.js'))});
        const n = 200000, d = 2, data = new Float64Array(n * d).map((_, i) => (i % 7) + (i % 3) * 0.5);
        threads.fitCenters(data, n, ageWeights(n, 1), null,
          { k: 3, d, tolerance: absoluteTolerance(data, n, d, 1e-4), maxIter: 300, restarts: 10, seed: 1 });
        console.log(JSON.stringify(threads.restartThreadState()));`;
      const run = (env) =>
        spawnSync(process.execPath, ['-e', script], {
          env: { ...process.env, ...env },
          encoding: 'utf8',
          timeout: 20000,
        });
      const off = run({ STREAM_ML_THREADS: '0' });
      assert.equal(off.status, 0, off.stderr);
      assert.equal(JSON.parse(off.stdout).running, false);
      // Exits on its own (status 0, no timeout signal): the idle worker does not hold the process.
      const on = run({ STREAM_ML_THREADS: '' });
      assert.equal(on.status, 0, on.stderr);
      assert.equal(on.signal, null);
      assert.equal(JSON.parse(on.stdout).running, true);
    });

    it('small fits and single restarts start no worker', async () => {
      threads.stopRestartThread();
      threads.configureRestartThreads({
        enabled: true,
        minWork: 1_000_000,
        minSharedWork: 100_000,
        script: REAL_WORKER,
      });
      const small = dataset(2000, 2, 3, 9);
      threads.fitCenters(small, 2000, ageWeights(2000, 1), null, settingsFor(small, 2000, 2, 3, 10, 9));
      assert.equal(threads.restartThreadState().running, false);
      const n = 100000;
      const large = dataset(n, 2, 3, 10);
      threads.fitCenters(large, n, ageWeights(n, 1), null, settingsFor(large, n, 2, 3, 1, 10));
      assert.equal(threads.restartThreadState().running, false);
      threads.fitCenters(large, n, ageWeights(n, 1), null, settingsFor(large, n, 2, 3, 10, 10));
      assert.equal(threads.restartThreadState().running, true);
      // A running worker also takes fits too small to start it, but not the smallest.
      const medium = dataset(20000, 2, 3, 12);
      const mediumSettings = settingsFor(medium, 20000, 2, 3, 10, 12);
      await sleep(500);
      let ran = 0;
      for (let attempt = 0; attempt < 3 && ran <= 0; attempt++) {
        threads.fitCenters(medium, 20000, ageWeights(20000, 1), null, mediumSettings);
        ran = threads.restartThreadState().lastWorkerRestarts;
      }
      assert.ok(ran > 0, `the worker ran ${ran} restarts`);
      threads.fitCenters(small, 2000, ageWeights(2000, 1), null, settingsFor(small, 2000, 2, 3, 4, 9));
      assert.equal(threads.restartThreadState().lastWorkerRestarts, 0);
    });
  });

  describe('a worker that fails', () => {
    const n = 20000;
    const d = 3;
    const data = dataset(n, d, 3, 11);
    const weights = ageWeights(n, 1);
    const settings = settingsFor(data, n, d, 3, 10, 11);
    let expected;
    before(() => (expected = inline(data, n, weights, settings)));
    afterEach(() => delete process.env.KMEANS_FAULT);

    for (const [fault, what] of [
      ['exit', 'dies after claiming a restart'],
      ['hang', 'hangs after claiming a restart'],
      ['fail', 'reports a failure'],
      ['late', 'answers after the timeout, wrongly'],
    ]) {
      it(`${what}: the fit returns the same result, and the worker is replaced`, async () => {
        process.env.KMEANS_FAULT = fault;
        await startWorker(FAULTY_WORKER, 300);
        const begin = Date.now();
        const actual = snapshot(threads.fitCenters(data, n, weights, null, settings));
        const elapsed = Date.now() - begin;
        assert.deepStrictEqual(actual, expected);
        const state = threads.restartThreadState();
        assert.equal(state.lastWorkerRestarts, -1, 'the worker was given up');
        assert.equal(state.running, false, 'the failed worker was stopped');
        // A failure reported is not waited for; silence is waited for about the timeout only.
        assert.ok(elapsed < (fault === 'fail' ? 1000 : 5000), `${elapsed} ms`);
      });
    }

    it('after repeated failures, fits stay inline', async () => {
      process.env.KMEANS_FAULT = 'fail';
      await startWorker(FAULTY_WORKER, 300);
      // Each failure stops the worker; a new one is started and booted before the next fit.
      for (let i = 0; i < 4; i++) {
        await bootWorker();
        assert.deepStrictEqual(snapshot(threads.fitCenters(data, n, weights, null, settings)), expected);
        assert.equal(threads.restartThreadState().lastWorkerRestarts, -1);
      }
      const state = threads.restartThreadState();
      assert.equal(state.unavailable, true);
      assert.equal(state.running, false);
    });

    it('a worker script that does not load: fits run inline and give the same result', async () => {
      await startWorker(path.join(__dirname, '..', '..', 'support', 'no-such-worker.js'));
      assert.equal(threads.restartThreadState().unavailable, true);
      assert.deepStrictEqual(snapshot(threads.fitCenters(data, n, weights, null, settings)), expected);
      assert.equal(threads.restartThreadState().running, false);
    });
  });
});
