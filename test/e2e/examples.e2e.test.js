'use strict';
// The flows in examples/ (what users find under Import → Examples) in a real Node-RED runtime:
// each loads without errors, warnings or unknown node types, and the seed pipeline gives
// scikit-learn's numbers on iris.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { Runtime } = require('../support/runtime');
const { freePort } = require('../support/mosquitto');
const { assertClose } = require('../support/numeric');
const { iris } = require('../support/fixtures');

const examplesDir = path.join(__dirname, '..', '..', 'examples');
const exampleFiles = fs
  .readdirSync(examplesDir)
  .filter((file) => file.endsWith('.json'))
  .sort();
const readExample = (file) => JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8'));
const OUR_TYPES = ['ml-window', 'ml-standardize', 'ml-pca', 'ml-kmeans'];

/** Runs `task` over `items`, at most `limit` at a time. */
async function pool(items, limit, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

describe('example flows in a real Node-RED runtime', function () {
  this.timeout(180000);

  it('every example has a comment node, a tab, and unique ids; together they use every node type', () => {
    const used = new Set();
    // Ids unique across files too, so that a user can import every example side by side.
    const owner = new Map();
    for (const file of exampleFiles) {
      const flow = readExample(file);
      assert.ok(Array.isArray(flow) && flow.length > 0, `${file} is a flow`);
      assert.ok(
        flow.some((n) => n.type === 'comment' && n.name),
        `${file} explains itself in a comment node`,
      );
      assert.ok(
        flow.some((n) => n.type === 'tab'),
        `${file} has its own tab`,
      );
      const ids = flow.map((n) => n.id);
      assert.equal(new Set(ids).size, ids.length, `${file}: duplicate ids`);
      for (const n of flow) {
        used.add(n.type);
        assert.ok(!owner.has(n.id), `${file} reuses the id ${n.id} of ${owner.get(n.id)}`);
        owner.set(n.id, file);
      }
    }
    for (const type of OUR_TYPES) assert.ok(used.has(type), `no example uses ${type}`);
  });

  it('every example loads without errors, warnings or missing node types', async () => {
    // Each in its own runtime, as a user imports one at a time; with HTTP on, so that the
    // dashboards start as they do in a user's Node-RED. Four at a time.
    const reports = await pool(exampleFiles, 4, async (file) => {
      // An error a Catch node handles is not logged: add a Catch of everything on each tab.
      const flow = readExample(file);
      const tabs = flow.filter((n) => n.type === 'tab').map((n) => n.id);
      for (const tab of tabs) {
        flow.push(
          {
            id: `catch-${tab}`,
            type: 'catch',
            z: tab,
            scope: null,
            uncaught: false,
            wires: [[`caught-${tab}`]],
          },
          { id: `caught-${tab}`, type: 'probe-sink', z: tab, wires: [] },
        );
      }
      const runtime = await Runtime.start({ flows: flow, port: await freePort() }).catch((err) => {
        throw new Error(`${file}: ${err.message}`);
      });
      try {
        // Let inject-once nodes fire and the first messages run (the example's own timers).
        await new Promise((resolve) => setTimeout(resolve, 2500));
        return {
          file,
          problems: [
            ...runtime.nodeErrors.map((e) => `module ${e.module} failed to load: ${e.error}`),
            ...runtime
              .runtimeWarnings()
              .filter((text) => !/Projects disabled|unencrypted credentials/i.test(text)),
            ...runtime.logs.map((log) => `[${log.nodeType}:${log.node}] ${log.text}`),
            ...tabs
              .flatMap((tab) => runtime.messages(`caught-${tab}`))
              .map((m) => `caught: ${JSON.stringify(m.error)}`),
          ],
          version: runtime.version,
        };
      } finally {
        await runtime.cleanup();
      }
    });
    const failures = reports.filter((r) => r.problems.length > 0);
    assert.deepEqual(
      failures.map((r) => `${r.file}:\n  ${r.problems.join('\n  ')}`),
      [],
      'examples logged problems',
    );
  });

  it('seed-pipeline.json reproduces StandardScaler → PCA(2) → KMeans(3) on iris', async () => {
    const flow = readExample('seed-pipeline.json');
    const byName = (name) => flow.find((n) => n.name === name);
    const tab = flow.find((n) => n.type === 'tab').id;
    // Probe every step's first output, beside the example's own debug nodes.
    const probes = { StandardScaler: 'z-sink', 'PCA(2)': 'y-sink', 'KMeans(3)': 'k-sink' };
    for (const [name, sink] of Object.entries(probes)) {
      byName(name).wires[0].push(sink);
      flow.push({ id: sink, type: 'probe-sink', z: tab, wires: [] });
    }
    const runtime = await Runtime.start({ flows: flow });
    try {
      // The inject fires once, a second after the flows start.
      const [z] = await runtime.waitFor('z-sink', 1);
      const [y] = await runtime.waitFor('y-sink', 1);
      const [k] = await runtime.waitFor('k-sink', 1);
      // Parsing the np.loadtxt text gives exactly the reference X.
      assert.equal(z.payload.length, 150);
      // StandardScaler: Z within 1e-12 of the largest |z| (the scaler's own tests use the same).
      assertClose(z.payload, iris.scaler.Z, 1e-12, 'Z');
      // PCA(2): scores with scikit-learn's sign convention, explained variance ratio.
      assertClose(y.payload, iris.pca['2'].Y, 1e-9, 'PCA scores Y');
      assertClose(
        y.pca.explainedVarianceRatio,
        iris.pca['2'].explained_variance_ratio,
        1e-9,
        'explained variance ratio',
      );
      assertClose(y.pca.t2, iris.pca.anomaly_2.t2, 1e-9, 'T²');
      assertClose(y.pca.spe, iris.pca.anomaly_2.spe, 1e-9, 'SPE');
      assertClose(
        [y.pca.t2Limit, y.pca.speLimit],
        [iris.pca.anomaly_2.limits['0.95'].t2, iris.pca.anomaly_2.limits['0.95'].spe],
        1e-9,
        'limits',
      );
      // KMeans(3) from rows 0, 75, 149: labels exactly, distances (fit_transform) within 1e-9.
      assert.deepEqual(k.cluster, iris.kmeans.fixed.labels);
      assert.deepEqual(k.kmeans.cluster, iris.kmeans.fixed.labels);
      assertClose(k.kmeans.distances, iris.kmeans.fixed.distances, 1e-9, 'k-means distances');
      assertClose(k.payload, iris.pca['2'].Y, 1e-9, 'payload passes through k-means');
      assert.deepEqual(runtime.warnings(), []);
    } finally {
      await runtime.cleanup();
    }
  });
});
