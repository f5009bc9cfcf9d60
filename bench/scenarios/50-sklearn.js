'use strict';
// The seed pipeline in batch, side by side with scikit-learn on the same data: StandardScaler,
// PCA(2), KMeans(3, k-means++, n_init=10) with distances, and the whole pipeline, each stage on
// the previous stage's output. Ours runs through the public API of lib/ (the package's main
// export) in this process; scikit-learn runs in bench/sklearn_pipeline.py when a python3 with
// scikit-learn is found (bench only: never a test or product dependency).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');
const { prng, gaussian } = require('../../test/support/random');

const ROWS = Number(process.env.BENCH_PIPELINE_ROWS || 100000);
const REPEATS = Number(process.env.BENCH_REPEATS || 5);
const DIMENSIONS = [10, 64];
const PYTHONS = ['/usr/bin/python3', '/usr/local/bin/python3', 'python3'];
const SCRIPT = path.join(__dirname, '..', 'sklearn_pipeline.py');

/** A collection before each timed run, as the Python side does, so no run pays for another's garbage. */
function collector() {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
}

/**
 * n rows of d features: three Gaussian clusters (centres 4 apart on random directions) plus noise
 * correlated across features through four latent factors, row-major.
 */
function clusters(n, d, seed = 12345) {
  // Seeded (mulberry32), so both sides read the same rows on every run.
  const uniform = prng(seed);
  const normal = gaussian(uniform);
  const centres = Array.from({ length: 3 }, () => Array.from({ length: d }, () => 4 * normal()));
  const loadings = Array.from({ length: 4 }, () => Array.from({ length: d }, normal));
  const values = new Float64Array(n * d);
  const factors = new Float64Array(4);
  for (let i = 0; i < n; i++) {
    const centre = centres[Math.floor(uniform() * 3)];
    for (let f = 0; f < 4; f++) factors[f] = normal();
    for (let j = 0; j < d; j++) {
      let v = centre[j] + 0.5 * normal();
      for (let f = 0; f < 4; f++) v += factors[f] * loadings[f][j];
      values[i * d + j] = v;
    }
  }
  return values;
}

/** Release numbers compared part by part: 1.10.0 is newer than 1.9.2. */
function newer(a, b) {
  const pa = a.split(/[.+-]/).map((part) => Number.parseInt(part, 10) || 0);
  const pb = b.split(/[.+-]/).map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) > (pb[i] ?? 0);
  }
  return false;
}

/** The python3 with the newest scikit-learn among BENCH_PYTHON and the usual places, or null. */
function findPython() {
  let found = null;
  const candidates = [process.env.BENCH_PYTHON, ...PYTHONS].filter(Boolean);
  for (const python of new Set(candidates)) {
    try {
      const version = execFileSync(python, ['-c', 'import sklearn; print(sklearn.__version__)'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      if (found === null || newer(version, found.version)) found = { python, version };
    } catch {
      // not this one
    }
  }
  return found;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Our stages through the package's public API, each `REPEATS` times with fresh models. The input
 * is rows of arrays, as a message carries them; each stage then hands its `RowMatrix` (one flat
 * buffer, as scikit-learn's stages hand on a NumPy array) to the next.
 */
function ours(lib, rows, d, gc) {
  const { Standardizer, StreamingPCA, StreamingKMeans } = lib;
  const schema = { dimension: d, features: null };
  const plane = { dimension: 2, features: null };
  const scale = () => {
    const scaler = new Standardizer(schema);
    scaler.learnBatch(rows);
    return scaler.transformBatch(rows);
  };
  // z: the scaler's RowMatrix, read in place.
  const project = (z) => {
    const pca = new StreamingPCA(schema, { components: 2 });
    pca.learnBatch(z);
    return pca.transformBatch(z);
  };
  // learnBatch of a fresh k-means model is fit_transform: k-means++ best of 10 and Lloyd on all
  // rows, then labels and the distances to every centre. y: PCA's RowMatrix of scores.
  const cluster = (y) => new StreamingKMeans(plane, { k: 3, restarts: 10 }).learnBatch(y);
  const z = scale();
  const y = project(z);
  const timed = (run) => {
    const wall = [];
    const cpu = [];
    // One untimed run first, on both sides: V8 compiles the loops while they run.
    run();
    for (let r = 0; r < REPEATS; r++) {
      gc();
      const begin = process.hrtime.bigint();
      const beginCpu = process.cpuUsage();
      run();
      const used = process.cpuUsage(beginCpu);
      wall.push(Number(process.hrtime.bigint() - begin) / 1e6);
      cpu.push((used.user + used.system) / 1000);
    }
    return { wall, cpu };
  };
  return {
    scaler: timed(scale),
    pca: timed(() => project(z)),
    kmeans: timed(() => cluster(y)),
    pipeline: timed(() => cluster(project(scale()))),
  };
}

module.exports = {
  title: `Seed pipeline in batch (${ROWS.toLocaleString('en-US')} rows) against scikit-learn, median of ${REPEATS}`,
  async extra() {
    const lib = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js'));
    const gc = collector();
    const found = findPython();
    if (found) console.log(`scikit-learn ${found.version} (${found.python})`);
    else console.log('scikit-learn is absent (no python3 with sklearn): our figures only');
    console.log(
      '\n| d | stage | ours ms | scikit-learn ms | ours / scikit-learn | CPU ms: ours | scikit-learn | ratio |',
    );
    console.log('|---|---|---:|---:|---:|---:|---:|---:|');
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-bench-'));
    try {
      for (const d of DIMENSIONS) {
        const values = clusters(ROWS, d);
        const file = path.join(directory, `rows-${d}.f64`);
        fs.writeFileSync(file, Buffer.from(values.buffer, values.byteOffset, values.byteLength));
        // Rows as a message carries them: arrays of numbers.
        const rows = Array.from({ length: ROWS }, (_, i) => Array.from(values.subarray(i * d, (i + 1) * d)));
        const mine = ours(lib, rows, d, gc);
        const theirs = found
          ? JSON.parse(
              execFileSync(found.python, [SCRIPT, file, String(ROWS), String(d), String(REPEATS)], {
                encoding: 'utf8',
                maxBuffer: 1 << 20,
              }),
            )
          : null;
        for (const [stage, label] of [
          ['scaler', 'StandardScaler'],
          ['pca', 'PCA(2)'],
          ['kmeans', 'KMeans(3) k-means++ ×10 + distances'],
          ['pipeline', 'whole pipeline'],
        ]) {
          const cells = ['wall', 'cpu'].flatMap((clock) => {
            const a = median(mine[stage][clock]);
            const b = theirs ? median(theirs[stage][clock]) : null;
            return [a.toFixed(1), b === null ? '—' : b.toFixed(1), b ? `${(a / b).toFixed(2)}×` : '—'];
          });
          console.log(`| ${d} | ${label} | ${cells.join(' | ')} |`);
        }
      }
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  },
};
