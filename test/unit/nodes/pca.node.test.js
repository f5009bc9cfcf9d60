'use strict';
// ml-pca through node-red-node-test-helper: parity, output shapes, anomaly scores, its own settings.
// What every learner does (bad samples, control messages, keys, warm-up, persistence) is in
// learner-contract.node.test.js.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { helper, useHelper, load, eventually } = require('../../support/helper');
const { assertClose } = require('../../support/numeric');
const { iris, wine } = require('../../support/fixtures');

const pcaNode = dist('nodes/ml-pca/ml-pca');
const { StreamingPCA } = dist('lib/pca');
const start = (settings) => load(pcaNode, 'ml-pca', settings);

describe('ml-pca node', () => {
  useHelper();

  it('a batch of standardized iris gives scikit-learn scores, T², SPE and limits', async () => {
    const t = await start();
    await t.send({ payload: iris.scaler.Z });
    const [msg] = t.seen.out;
    assertClose(msg.payload, iris.pca['2'].Y, 1e-9, 'Y');
    const reference = iris.pca.anomaly_2;
    assertClose(msg.pca.t2, reference.t2, 1e-9, 't2');
    assertClose(msg.pca.spe, reference.spe, 1e-9, 'spe');
    assertClose([msg.pca.t2Limit], [reference.limits['0.95'].t2], 1e-9, 't2Limit');
    assertClose([msg.pca.speLimit], [reference.limits['0.95'].spe], 1e-9, 'speLimit');
    const expectedFlags = reference.t2.map(
      (t2, i) => t2 > reference.limits['0.95'].t2 || reference.spe[i] > reference.limits['0.95'].spe,
    );
    assert.deepEqual(msg.pca.anomaly, expectedFlags);
    assert.equal(msg.pca.n, 150);
    assertClose(msg.pca.explainedVarianceRatio, iris.pca['2'].explained_variance_ratio, 1e-9, 'ratio');
  });

  it('a 6-row batch into a fresh node is fit_transform at once, whatever the warm-up', async () => {
    const rows = iris.scaler.Z.slice(0, 6);
    const t = await start();
    await t.send({ payload: rows });
    assert.equal(t.seen.out.length, 1, 'the batch was transformed');
    const reference = new StreamingPCA({ dimension: 4, features: null }, { components: 2 });
    reference.learnBatch(rows);
    const expected = rows.map((row) => Array.from(reference.transform(row, new Array(2))));
    assertClose(t.seen.out[0].payload, expected, 1e-12, 'scores');
    assert.equal(t.seen.out[0].pca.n, 6);
    for (const v of [...t.seen.out[0].pca.t2, ...t.seen.out[0].pca.spe]) assert.ok(Number.isFinite(v));
  });

  it('a 2-row batch is enough: finite scores, and limits null until n > components (never Infinity)', async () => {
    const t = await start();
    await t.send({
      payload: [
        [1, 2, 3, 4],
        [2, 3, 1, 5],
      ],
    });
    const [msg] = t.seen.out;
    assert.equal(msg.pca.t2Limit, null);
    for (const v of [...msg.payload.flat(), ...msg.pca.t2, ...msg.pca.spe]) assert.ok(Number.isFinite(v));
  });

  it('a batch of one row is not enough for PCA: it waits for the warm-up like a single sample', async () => {
    const t = await start();
    await t.send({ payload: iris.scaler.Z.slice(0, 1) });
    assert.equal(t.seen.out.length, 0);
    assert.deepEqual(t.seen.errors, []);
  });

  it('confidence 0.99 gives the 0.99 limits', async () => {
    const t = await start({ confidence: 0.99 });
    await t.send({ payload: iris.scaler.Z });
    const limits = iris.pca.anomaly_2.limits['0.99'];
    assertClose(
      [t.seen.out[0].pca.t2Limit, t.seen.out[0].pca.speLimit],
      [limits.t2, limits.spe],
      1e-9,
      'limits',
    );
  });

  it("components 0.95 on wine keeps scikit-learn's number of components", async () => {
    const t = await start({ components: 0.95 });
    await t.send({ payload: wine.scaler.Z });
    const reference = wine.pca['0.95'];
    assert.equal(t.seen.out[0].payload[0].length, reference.n_components);
    assertClose(t.seen.out[0].payload, reference.Y, 1e-9, 'Y');
  });

  it('rows one by one, then export: the model equals the batch reference', async () => {
    const t = await start();
    await t.send(...iris.scaler.Z.map((row) => ({ payload: row })));
    assert.equal(t.seen.out.length, 150 - 19, 'the default warm-up (20 for d = 4) drops the first 19');
    const [model] = await t.exported();
    const reference = iris.pca['2'];
    assert.equal(model.n_samples_seen, 150);
    assertClose(model.components, reference.components, 1e-9, 'components');
    assertClose(model.explained_variance, reference.explained_variance, 1e-9, 'explained_variance');
    await t.send({ payload: iris.scaler.Z[0], learn: false });
    assertClose(t.seen.out.at(-1).payload, reference.Y[0], 1e-9, 'Y[0] after export');
  });

  it('named input gives named scores pc1, pc2 and a status with the variance explained', async () => {
    const t = await start({ warmupSamples: 150, refitEvery: 1 });
    const rows = iris.scaler.Z.map(([a, b, c, d]) => ({ sl: a, sw: b, pl: c, pw: d }));
    await t.send(...rows.map((payload) => ({ payload })));
    const last = t.seen.out[0];
    assert.deepEqual(Object.keys(last.payload), ['pc1', 'pc2']);
    assertClose([last.payload.pc1, last.payload.pc2], iris.pca['2'].Y[149], 1e-9, 'scores of the last row');
    assert.equal(typeof last.pca.t2, 'number');
    const ratio = iris.pca['2'].explained_variance_ratio;
    await eventually(() =>
      assert.equal(t.lastStatus().text, `2 PCs ${(100 * (ratio[0] + ratio[1])).toFixed(1)}%`),
    );
  });

  it('d = 1 with one component, and a constant feature, give finite scores', async () => {
    const t = await start({ components: 1, warmupSamples: 3 });
    await t.send({ payload: 1 }, { payload: 2 }, { payload: 3 });
    assert.equal(t.seen.out[0].payload, 1);
    await helper.unload();
    const c = await start({ warmupSamples: 3 });
    await c.send({
      payload: [
        [1, 5, 0],
        [2, 5, 1],
        [3, 5, 5],
        [4, 5, 2],
      ],
    });
    for (const row of c.seen.out[0].payload) assert.ok(row.every(Number.isFinite));
    assert.ok(c.seen.out[0].pca.spe.every(Number.isFinite));
  });

  it('rejects a model with another number of components', async () => {
    const source = await start({ components: 3 });
    await source.send({ payload: iris.scaler.Z });
    const [model] = await source.exported();
    await helper.unload();
    const t = await start();
    await t.send({ model });
    assert.match(t.seen.errors[0].error.message, /component/);
    assert.equal(t.seen.models.length, 0);
  });

  it('a bad components setting is reported', async () => {
    const t = await start({ components: 2.5 });
    await t.send({ payload: [1, 2] });
    assert.match(t.seen.errors[0].error.message, /"components" must be a whole number/);
  });
});
