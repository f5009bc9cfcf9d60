'use strict';
// The per-message budget at d = 16: each learner node, the window, and the whole pipeline
// window → standardize → pca → k-means, against the same number of core `change` nodes in the
// same runtime, timed in alternation (bare, change, ours; bare, change, ours; …) so that a loaded
// machine's drift falls on both alike. For each run: the hop (time beyond the bare source → sink
// flow) per message, the bytes the hop allocates per message and the share of its time spent in
// garbage collection (V8's GC profiler over the run). Then the cost of keys (the same hop with 1
// and with 10,000 keys) and the memory of 1000 keyed PCA models in the runtime against the same
// models built alone.
//
// BENCH_BUDGET_MESSAGES sets the messages a run (default 50000), BENCH_BUDGET_ROUNDS the timed
// rounds (default 5, after one warm-up round); BENCH_BUDGET_HOPS_ONLY=1 stops after the first table.
const v8 = require('node:v8');
const vm = require('node:vm');
const path = require('node:path');

const D = 16;
const MESSAGES = Number(process.env.BENCH_BUDGET_MESSAGES || 50000);
const ROUNDS = Number(process.env.BENCH_BUDGET_ROUNDS || 5);
const KEYS = 10000;
const MODELS = 1000;

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A collection on demand (as bench/scenarios/50-sklearn.js): memory is read after one. */
function collector() {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
}

/**
 * The nodes under test, configured as a user would (defaults unless said); a learner's second
 * output (models) is unwired, as the editor saves it (`outputs: 2`).
 */
function nodes(pool) {
  const centres2 = [
    [-1, 0],
    [0, 0],
    [1, 0],
  ];
  return {
    standardize: { type: 'ml-standardize', outputs: 2, warmupSamples: 1 },
    // Contributions, top and limits as the node sends them by default.
    pca: { type: 'ml-pca', outputs: 2, components: 2, refitEvery: 1000, warmupSamples: 2 * D + 1 },
    kmeans: {
      type: 'ml-kmeans',
      outputs: 2,
      k: '3',
      init: 'given',
      centers: JSON.stringify(pool.slice(0, 3)),
      learning: 'continuous',
    },
    // Sliding by one: every message sends the mean of the last 10 samples, as a change node sends
    // every message.
    window: { type: 'ml-window', mode: 'count', size: 10, step: 1, emit: 'aggregate', aggregates: 'mean' },
    pipeline: [
      { type: 'ml-window', mode: 'count', size: 10, step: 1, emit: 'aggregate', aggregates: 'mean' },
      { type: 'ml-standardize', outputs: 2, warmupSamples: 1 },
      {
        type: 'ml-pca',
        outputs: 2,
        components: 2,
        refitEvery: 1000,
        warmupSamples: 2 * D + 1,
        whileWarmingUp: 'drop',
      },
      {
        type: 'ml-kmeans',
        outputs: 2,
        k: '3',
        init: 'given',
        centers: JSON.stringify(centres2),
        learning: 'continuous',
      },
    ],
  };
}

/**
 * One run of `count` messages: CPU nanoseconds of this process per message (what a message costs,
 * and far steadier than the wall clock on a machine shared with other work), wall nanoseconds per
 * message, bytes allocated per message and GC nanoseconds per message.
 */
async function measuredRun(runOnce, chain, make, count) {
  const profiler = new v8.GCProfiler();
  const before = v8.getHeapStatistics().used_heap_size;
  const cpuBefore = process.cpuUsage();
  profiler.start();
  const ns = await runOnce(chain, make, count, count);
  const { statistics } = profiler.stop();
  const cpu = process.cpuUsage(cpuBefore);
  const after = v8.getHeapStatistics().used_heap_size;
  let freed = 0;
  let gc = 0;
  for (const s of statistics) {
    freed += s.beforeGC.heapStatistics.usedHeapSize - s.afterGC.heapStatistics.usedHeapSize;
    gc += s.cost * 1000; // microseconds
  }
  return {
    cpu: ((cpu.user + cpu.system) * 1000) / count,
    ns,
    bytes: (after - before + freed) / count,
    gcNs: gc / count,
  };
}

/** Per-message figures of several runs of equal length, averaged. */
function mean(runs) {
  const out = {};
  for (const field of Object.keys(runs[0])) out[field] = runs.reduce((a, r) => a + r[field], 0) / runs.length;
  return out;
}

/** A round's messages go through each chain in this many slices, the chains taking turns. */
const SLICES = 5;

/** Sends `count` messages through a chain without timing, then lets it settle (warm-up, models). */
async function prime(chain, make, count) {
  await chain.source.run(count, make);
  await wait(100);
}

const range = (values, digits = 2) =>
  `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;

/**
 * Times `middle` (one node or a chain) against as many change nodes, interleaved; returns the
 * per-round figures of the hop (beyond the bare flow).
 */
async function compare(context, middle, make, primeCount) {
  const { RED, deploy, runOnce, CHANGE_NODE } = context;
  const length = Array.isArray(middle) ? middle.length : 1;
  const changes = Array.from({ length }, () => CHANGE_NODE);
  const chains = await deploy(RED, [null, changes, middle]);
  for (const chain of chains) await prime(chain, make, primeCount);
  const rounds = [];
  for (let r = 0; r <= ROUNDS; r++) {
    // bare, change, ours, bare, change, ours, …: a slower spell of the machine falls on all three.
    const runs = chains.map(() => []);
    for (let slice = 0; slice < SLICES; slice++) {
      for (let c = 0; c < chains.length; c++) {
        runs[c].push(await measuredRun(runOnce, chains[c], make, Math.round(MESSAGES / SLICES)));
      }
    }
    if (r > 0) rounds.push(runs.map(mean));
  }
  return rounds.map(([bare, change, ours]) => {
    const hop = ours.cpu - bare.cpu;
    const changeHop = change.cpu - bare.cpu;
    return {
      ratio: hop / changeHop,
      hop,
      changeHop,
      bytes: ours.bytes - bare.bytes,
      changeBytes: change.bytes - bare.bytes,
      // GC pauses are wall time: their share is of the hop's wall time (and of the whole flow's).
      gcShare: Math.max(0, ours.gcNs - bare.gcNs) / (ours.ns - bare.ns),
      flowGcShare: ours.gcNs / ours.ns,
      changeFlowGcShare: change.gcNs / change.ns,
      wallRatio: (ours.ns - bare.ns) / (change.ns - bare.ns),
    };
  });
}

/** Hop CPU ns/msg with each of `keyCounts` keys (messages cycle through them), interleaved. */
async function keyCost(context, node, pool, keyCounts, primeRounds) {
  const { RED, deploy, runOnce } = context;
  const topics = Array.from({ length: Math.max(...keyCounts) }, (_, i) => `device-${i}`);
  const makers = keyCounts.map((keys) => (i) => ({ payload: pool[i & 1023], topic: topics[i % keys] }));
  const keyed = { ...node, keyProperty: 'topic', maxKeys: KEYS };
  const chains = await deploy(RED, [null, ...keyCounts.map(() => keyed)]);
  for (let c = 1; c < chains.length; c++) {
    await prime(chains[c], makers[c - 1], Math.max(MESSAGES, keyCounts[c - 1] * primeRounds));
  }
  const hops = keyCounts.map(() => []);
  const count = Math.round(MESSAGES / SLICES);
  for (let r = 0; r <= ROUNDS; r++) {
    const runs = chains.map(() => []);
    for (let slice = 0; slice < SLICES; slice++) {
      runs[0].push(await measuredRun(runOnce, chains[0], makers[0], count));
      for (let c = 1; c < chains.length; c++) {
        runs[c].push(await measuredRun(runOnce, chains[c], makers[c - 1], count));
      }
    }
    const [bare, ...keyed] = runs.map(mean);
    if (r > 0) keyed.forEach((run, c) => hops[c].push(run.cpu - bare.cpu));
  }
  return hops;
}

/** Heap and RSS growth (bytes) over `grow()`, each read after a full collection. */
async function growth(gc, grow) {
  gc();
  await wait(50);
  gc();
  const before = process.memoryUsage();
  const kept = await grow();
  await wait(1200); // a round of saving (at most once a second) has run
  gc();
  await wait(50);
  gc();
  const after = process.memoryUsage();
  return { heap: after.heapUsed - before.heapUsed, rss: after.rss - before.rss, kept };
}

module.exports = {
  title: `Per-message budget at d = ${D}: our nodes against as many change nodes (${MESSAGES} messages a run, ${ROUNDS} rounds)`,
  async extra(context) {
    const { samplePool, median, format, RED, deploy } = context;
    const gc = collector();
    const pool = samplePool(D);
    const make = (i) => ({ payload: pool[i & 1023] });
    const configs = nodes(pool);
    console.log(
      'Hop: CPU time of this process per message beyond the bare source → sink flow. Ratio: our hop over the hop',
    );
    console.log(
      'of as many change nodes, per round (median and range; the wall-clock ratio beside it). Bytes and GC:',
    );
    console.log(
      'allocated per message beyond the bare flow; the share of the hop (wall time) and of the whole flow spent in GC pauses.\n',
    );
    console.log(
      '| node | hop ratio (median) | range | wall ratio | hop ns/msg | change hop ns/msg | bytes/msg | change bytes/msg | GC share of hop | GC share of flow: ours / change |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const [name, middle] of Object.entries(configs)) {
      const rounds = await compare(context, middle, make, 2000);
      const ratios = rounds.map((r) => r.ratio);
      const label =
        name === 'pipeline' ? 'pipeline (window → standardize → pca → k-means) vs 4 change' : name;
      console.log(
        `| ${label} | ${format(median(ratios), 2)}× | ${range(ratios)} | ${format(median(rounds.map((r) => r.wallRatio)), 2)}× | ` +
          `${format(median(rounds.map((r) => r.hop)))} | ` +
          `${format(median(rounds.map((r) => r.changeHop)))} | ${format(median(rounds.map((r) => r.bytes)))} | ` +
          `${format(median(rounds.map((r) => r.changeBytes)))} | ${format(100 * median(rounds.map((r) => r.gcShare)), 1)}% | ` +
          `${format(100 * median(rounds.map((r) => r.flowGcShare)), 1)}% / ${format(100 * median(rounds.map((r) => r.changeFlowGcShare)), 1)}% |`,
      );
    }

    if (process.env.BENCH_BUDGET_HOPS_ONLY) return;

    console.log(
      `\nKeys: hop CPU ns/msg with messages spread over 1 and ${KEYS.toLocaleString('en-US')} keys`,
    );
    console.log('| node | 1 key | 10,000 keys | difference (median) | range |');
    console.log('|---|---:|---:|---:|---:|');
    for (const name of ['standardize', 'kmeans', 'pca']) {
      // PCA keys are primed past their early refits (doubling: 1, 2, 4, … 64 samples) so that the
      // timed rounds compare the hop, not refits.
      const primeRounds = name === 'pca' ? 70 : 3;
      const [one, many] = await keyCost(context, configs[name], pool, [1, KEYS], primeRounds);
      const differences = one.map((ns, r) => many[r] - ns);
      console.log(
        `| ${name} | ${format(median(one))} | ${format(median(many))} | ${format(median(differences))} | ` +
          `${range(differences, 0)} |`,
      );
    }

    // Memory of 1000 keyed PCA models: in the runtime (node, store and all), and the same models
    // built alone through lib/.
    const { StreamingPCA } = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'pca'));
    const samples = 2 * D + 8;
    // The keyed rows' nodes are stopped and their models freed before anything is weighed.
    await deploy(RED, [null]);
    await wait(1500);
    const alone = await growth(gc, () => {
      const models = [];
      for (let m = 0; m < MODELS; m++) {
        const model = new StreamingPCA({ dimension: D, features: null }, { components: 2, refitEvery: 1000 });
        for (let s = 0; s < samples; s++) model.learnOne(pool[(m * samples + s) & 1023]);
        models.push(model);
      }
      return models;
    });
    const node = { ...configs.pca, keyProperty: 'topic', maxKeys: MODELS };
    const runtime = await growth(gc, async () => {
      const [chain] = await deploy(RED, [node]);
      const topics = Array.from({ length: MODELS }, (_, i) => `device-${i}`);
      await prime(chain, (i) => ({ payload: pool[i & 1023], topic: topics[i % MODELS] }), MODELS * samples);
      return chain;
    });
    console.log(
      `\nMemory of ${MODELS} keyed PCA models (d = ${D}, ${samples} samples each), after a collection`,
    );
    console.log('| where | heap MB | RSS MB |');
    console.log('|---|---:|---:|');
    const mb = (bytes) => (bytes / 1048576).toFixed(1);
    console.log(`| models built alone (lib) | ${mb(alone.heap)} | ${mb(alone.rss)} |`);
    console.log(`| keyed ml-pca node in the runtime | ${mb(runtime.heap)} | ${mb(runtime.rss)} |`);
    console.log(`\nruntime heap / models' own heap: ${(runtime.heap / alone.heap).toFixed(2)}×`);
  },
};
