'use strict';
// ml-kmeans: one array sample a message, k = 3, 10, 50 at d = 2 and 16, from given centres so that
// every message is clustered (and learned) from the first. Then a batch of 100k × 2 rows (k = 3)
// through lib/kmeans directly, compared in the same run with scikit-learn when
// `/usr/bin/python3 -c "import sklearn"` works (Debian's python3-sklearn).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** The interpreter that must have scikit-learn; BENCH_PYTHON can point at another one. */
const PYTHON = process.env.BENCH_PYTHON || '/usr/bin/python3';
const BATCH_ROWS = 100000;
const BATCH_K = 3;
/** scikit-learn's default n_init for k-means++ in older releases, and the node's `restarts` default. */
const RESTARTS = 10;

/** A seeded stream of normals (LCG + Box–Muller): the same batch in every run and in Python. */
function blobs(n, seed = 7) {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const centres = [
    [0, 0],
    [6, 6],
    [12, 0],
  ];
  const flat = new Float64Array(n * 2);
  const rows = new Array(n);
  for (let i = 0; i < n; i++) {
    const [cx, cy] = centres[i % 3];
    flat[2 * i] = cx + normal();
    flat[2 * i + 1] = cy + normal();
    rows[i] = flat.subarray(2 * i, 2 * i + 2);
  }
  return { flat, rows };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median seconds and the inertia of `fitTransform` on the batch through lib/kmeans. */
function timeLib(rows, repeats) {
  const { StreamingKMeans } = require(path.resolve(__dirname, '..', '..', 'dist', 'lib', 'kmeans'));
  const times = [];
  let inertia = NaN;
  for (let r = 0; r <= repeats; r++) {
    // A fresh model: k-means++ (best of RESTARTS) + Lloyd on the whole batch, then the distances of
    // every row to every centre, as scikit-learn's fit_transform.
    const model = new StreamingKMeans(
      { dimension: 2, features: null },
      { k: BATCH_K, restarts: RESTARTS, seed: 42 },
    );
    const begin = process.hrtime.bigint();
    const result = model.learnBatch(rows);
    const elapsed = Number(process.hrtime.bigint() - begin) / 1e9;
    if (r > 0) times.push(elapsed); // the first run warms up the JIT
    inertia = result.inertia;
  }
  return { seconds: median(times), inertia };
}

/** Why scikit-learn cannot be used, or `null` when `PYTHON -c "import sklearn"` works. */
function sklearnMissing() {
  const probe = spawnSync(PYTHON, ['-c', 'import sklearn, numpy'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} cannot be run (${probe.error.code || probe.error.message})`;
  if (probe.status !== 0) {
    const lines = (probe.stderr || '').trim().split('\n');
    return `${PYTHON} -c "import sklearn" failed: ${lines[lines.length - 1] || `exit status ${probe.status}`}`;
  }
  return null;
}

/**
 * scikit-learn's KMeans(n_clusters=3, n_init=10, algorithm='lloyd').fit_transform on the same rows,
 * read from a raw float64 file, timed inside Python (the interpreter start and the read are not
 * counted), with its default threads and with one thread (lib/kmeans uses one).
 */
const SKLEARN_SCRIPT = `
import json, sys, time
import numpy as np
from sklearn.cluster import KMeans
X = np.fromfile(sys.argv[1], dtype=np.float64).reshape(-1, 2)
repeats = int(sys.argv[2])
k = int(sys.argv[3])
n_init = int(sys.argv[4])

def run():
    times = []
    inertia = None
    for r in range(repeats + 1):
        model = KMeans(n_clusters=k, init='k-means++', n_init=n_init, algorithm='lloyd', random_state=42)
        begin = time.perf_counter()
        model.fit_transform(X)
        elapsed = time.perf_counter() - begin
        if r > 0:
            times.append(elapsed)
        inertia = float(model.inertia_)
    times.sort()
    return {'seconds': times[len(times) // 2], 'inertia': inertia}

result = {'default': run()}
try:
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1):
        result['one_thread'] = run()
except ImportError:
    result['one_thread'] = None
import sklearn
result['version'] = sklearn.__version__
print(json.dumps(result))
`;

function timeSklearn(flat, repeats) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-kmeans-bench-'));
  try {
    const file = path.join(dir, 'batch.f64');
    fs.writeFileSync(file, Buffer.from(flat.buffer, flat.byteOffset, flat.byteLength));
    const run = spawnSync(
      PYTHON,
      ['-c', SKLEARN_SCRIPT, file, String(repeats), String(BATCH_K), String(RESTARTS)],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    if (run.status !== 0) {
      const lines = (run.stderr || String(run.error || '')).trim().split('\n');
      throw new Error(`scikit-learn run failed: ${lines[lines.length - 1]}`);
    }
    return JSON.parse(run.stdout.trim().split('\n').pop());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const format = (seconds) => `${(seconds * 1000).toFixed(1)} ms`;

/**
 * A stuck sensor: every warm-up sample of a key identical (d = 16, the default warm-up of 10·k =
 * 30 samples, 10 restarts). Milliseconds per key of the warm-up, learned one sample at a time as
 * the node does, median of 5 rounds of 200 keys after one round that warms up the JIT.
 */
function stuckSensor() {
  const { StreamingKMeans } = require(path.resolve(__dirname, '..', '..', 'dist', 'lib', 'kmeans'));
  const d = 16;
  const keys = 200;
  const row = Array.from({ length: d }, (_, j) => 20 + j / 10);
  const rounds = [];
  for (let r = 0; r <= 5; r++) {
    const begin = process.hrtime.bigint();
    for (let key = 0; key < keys; key++) {
      const model = new StreamingKMeans({ dimension: d, features: null }, { k: 3, restarts: RESTARTS });
      for (let i = 0; i < 30; i++) model.learnOne(row);
    }
    if (r > 0) rounds.push(Number(process.hrtime.bigint() - begin) / 1e6 / keys);
  }
  console.log(
    `\nStuck sensor (30 identical warm-up samples, d = ${d}, k = 3, ${RESTARTS} restarts): ` +
      `${median(rounds).toFixed(2)} ms per key (range ${Math.min(...rounds).toFixed(2)}–${Math.max(...rounds).toFixed(2)})`,
  );
}

module.exports = {
  title: 'ml-kmeans (given centres, single array samples) vs change',
  rows({ samplePool }) {
    const rows = [];
    for (const d of [2, 16]) {
      const pool = samplePool(d);
      for (const k of [3, 10, 50]) {
        rows.push({
          name: `kmeans k=${k} d=${d}`,
          poolKey: `array-${d}`,
          // As the editor saves it: centres are JSON text, here the pool's first k samples.
          node: {
            type: 'ml-kmeans',
            k: String(k),
            init: 'given',
            centers: JSON.stringify(pool.slice(0, k)),
            seed: '42',
            restarts: '10',
            learning: 'continuous',
            halfLife: '0',
          },
          make: (i) => ({ payload: pool[i & 1023] }),
        });
      }
    }
    return rows;
  },
  async extra() {
    stuckSensor();
    const repeats = Math.max(1, Number(process.env.BENCH_REPEATS || 3));
    const { flat, rows } = blobs(BATCH_ROWS);
    console.log(
      `\nBatch of ${BATCH_ROWS.toLocaleString('en-US')} × 2 rows, k = ${BATCH_K}: k-means++ (best of ${RESTARTS}) + ` +
        `Lloyd + distances to every centre (fit_transform), median of ${repeats} after one warm-up run`,
    );
    const lib = timeLib(rows, repeats);
    console.log(`| implementation | time | inertia | ratio to lib |`);
    console.log(`|---|---:|---:|---:|`);
    console.log(`| lib/kmeans (1 thread) | ${format(lib.seconds)} | ${lib.inertia.toFixed(1)} | 1.00 |`);
    const missing = sklearnMissing();
    if (missing) {
      console.log(
        `\nscikit-learn comparison skipped: ${missing}. Install Debian's python3-sklearn ` +
          '(apt-get install python3-sklearn), or set BENCH_PYTHON to an interpreter that has it.',
      );
      return;
    }
    try {
      const sk = timeSklearn(flat, repeats);
      const row = (label, r) =>
        console.log(
          `| scikit-learn ${sk.version} KMeans lloyd n_init=${RESTARTS} (${label}) | ${format(r.seconds)} | ` +
            `${r.inertia.toFixed(1)} | ${(r.seconds / lib.seconds).toFixed(2)} |`,
        );
      row('default threads', sk.default);
      if (sk.one_thread) row('1 thread', sk.one_thread);
      console.log(
        `\nlib/kmeans takes ${(lib.seconds / sk.default.seconds).toFixed(2)}× scikit-learn's time` +
          (sk.one_thread
            ? ` (${(lib.seconds / sk.one_thread.seconds).toFixed(2)}× with one thread each)`
            : '') +
          '; ratios above 1 mean lib/kmeans is slower.',
      );
    } catch (err) {
      console.log(`\nscikit-learn comparison skipped: ${err.message}`);
    }
  },
};
