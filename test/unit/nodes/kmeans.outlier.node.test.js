'use strict';
// ml-kmeans outlier score through node-red-node-test-helper: msg.kmeans.outlier and outlierLimit
// for samples and batches, learnOnlyNormal, relearnAfter's one warning, and the settings' errors.
// The score's maths is tested in kmeans.outlier.lib.test.js.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { useHelper, load } = require('../../support/helper');

const kmeansNode = dist('nodes/ml-kmeans/ml-kmeans');
const start = (settings) => load(kmeansNode, 'ml-kmeans', settings);
const TWO_CENTRES = { k: 2, init: 'given', centers: '[[0, 0], [10, 10]]' };

/** n 2-D samples alternating around (0, 0) and (10, 10), deterministic, spread about ±1. */
const normal = (n) =>
  Array.from({ length: n }, (_, i) => [(i % 2) * 10 + Math.sin(i), (i % 2) * 10 + Math.cos(3 * i)]);
/** A new operating mode near (40, −40), which neither cluster fits. */
const newMode = (n) => Array.from({ length: n }, (_, i) => [40 + Math.sin(i), -40 + Math.cos(i)]);

describe('ml-kmeans node: outlier score', () => {
  useHelper();

  it('adds msg.kmeans.outlier (null until the cluster has a spread) and outlierLimit (default 3)', async () => {
    const t = await start(TWO_CENTRES);
    await t.send({ payload: [0.5, 0.5], learn: false });
    assert.equal(t.seen.out[0].kmeans.outlier, null, 'a given centre has no spread before its first member');
    for (const payload of normal(200)) await t.send({ payload });
    await t.send({ payload: [0.3, -0.2] }, { payload: [40, -40] });
    const [member, stranger] = t.seen.out.slice(-2).map((m) => m.kmeans);
    assert.equal(member.outlierLimit, 3);
    assert.ok(member.outlier < 3, `a member scores ${member.outlier}`);
    assert.ok(stranger.outlier > 3, `a new mode scores ${stranger.outlier}`);
  });

  it('a batch gets one score per row', async () => {
    const t = await start({ ...TWO_CENTRES, outlierLimit: '4.5' });
    await t.send({ payload: normal(100) });
    await t.send({
      payload: [
        [0, 0],
        [40, -40],
        [10, 10],
      ],
      learn: false,
    });
    const { outlier, outlierLimit } = t.seen.out.at(-1).kmeans;
    assert.equal(outlierLimit, 4.5);
    assert.equal(outlier.length, 3);
    assert.ok(outlier[0] < 4.5 && outlier[2] < 4.5 && outlier[1] > 4.5, JSON.stringify(outlier));
  });

  it('learnOnlyNormal: the model exported after an outlier burst equals the one before it', async () => {
    const t = await start({ ...TWO_CENTRES, learnOnlyNormal: true });
    for (const payload of normal(200)) await t.send({ payload });
    const [before] = await t.exported();
    for (const payload of newMode(50)) await t.send({ payload });
    const [after] = await t.exported();
    assert.deepEqual(after, before);
    assert.ok(
      t.seen.out.slice(-50).every((m) => m.kmeans.outlier > 3),
      'every burst sample is flagged',
    );
    assert.equal(t.warnings().length, 0);
  });

  it('relearnAfter: one warning when the run reaches it, then the new mode is learned', async () => {
    const t = await start({ ...TWO_CENTRES, learnOnlyNormal: 'true', relearnAfter: '20' });
    for (const payload of normal(200)) await t.send({ payload });
    const [before] = await t.exported();
    for (const payload of newMode(100)) await t.send({ payload });
    const [after] = await t.exported();
    const warnings = t.warnings();
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /20 samples in a row scored above the outlier limit \(3\).*relearnAfter/);
    assert.ok(after.n_samples_seen > before.n_samples_seen, 'the new mode is learned');
  });

  for (const [what, settings, message] of [
    [
      'outlierLimit = 0',
      { outlierLimit: 0 },
      /setting "outlierLimit" must be a number between 0.1 and 1000000/,
    ],
    [
      'learnOnlyNormal = "maybe"',
      { learnOnlyNormal: 'maybe' },
      /setting "learnOnlyNormal" must be true or false/,
    ],
    ['relearnAfter = 1.5', { relearnAfter: 1.5 }, /setting "relearnAfter" must be a whole number/],
  ]) {
    it(`${what}: a configuration error on every message`, async () => {
      const t = await start(settings);
      await t.send({ payload: [1, 2] });
      assert.match(t.seen.errors[0].error.message, message);
      assert.equal(t.seen.out.length, 0);
    });
  }
});
