'use strict';
// StreamingPCA.snapshot: the JSON an export gives, without changing what the model scores next
// (saves and shares run on a timer; a verdict must not depend on when they ran).
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { prng } = require('../../support/random');

const { StreamingPCA, NormalOnlyPCA } = dist('lib/pca');
const { snapshotOf } = dist('nodes/shared/learner/learner-kind');

function rows(seed, n, d) {
  const uniform = prng(seed);
  return Array.from({ length: n }, () => {
    const load = uniform() - 0.5;
    return Array.from({ length: d }, (_, j) => load * (j + 1) + 0.3 * (uniform() - 0.5));
  });
}

describe('StreamingPCA.snapshot', () => {
  for (const d of [6, 40]) {
    it(`d = ${d}: equals toJSON of the same model, and leaves its scores and refit schedule alone`, () => {
      const data = rows(d, 400, d);
      const options = { components: 2, refitEvery: 50 };
      const snapped = new StreamingPCA({ dimension: d }, options);
      const untouched = new StreamingPCA({ dimension: d }, options);
      const exported = new StreamingPCA({ dimension: d }, options);
      const scores = (model, x) => Array.from(model.transform(x, new Float64Array(2)));
      for (let i = 0; i < data.length; i++) {
        for (const model of [snapped, untouched, exported]) model.learnOne(data[i]);
        if (i % 7 === 3) {
          // A stale model: samples came since the last refit.
          assert.deepEqual(snapped.snapshot(), exported.toJSON());
        }
        assert.deepEqual(scores(snapped, data[i]), scores(untouched, data[i]), `sample ${i}`);
      }
      assert.deepEqual(snapped.toJSON(), untouched.toJSON());
    });
  }

  // The ml-pca node keeps a NormalOnlyPCA: a save or share of it (snapshotOf, on a timer) must not
  // refit the live model either, or the demo's verdicts change with the moment the save ran.
  it('of the model ml-pca keeps (NormalOnlyPCA), as saves and shares take it: scores untouched', () => {
    const d = 4;
    const data = rows(7, 300, d);
    const gate = { learnOnlyNormal: true, relearnAfter: 10, warmup: 20 };
    const make = () =>
      new NormalOnlyPCA(new StreamingPCA({ dimension: d }, { components: 2, refitEvery: 30 }), gate);
    const saved = make();
    const untouched = make();
    const exported = make();
    const scores = (model, x) => Array.from(model.pca.transform(x, new Float64Array(2)));
    for (let i = 0; i < data.length; i++) {
      for (const model of [saved, untouched, exported]) {
        model.judge([data[i]]);
        model.learnOne(data[i]);
      }
      if (i % 7 === 3) assert.deepEqual(snapshotOf(saved), exported.toJSON());
      assert.deepEqual(scores(saved, data[i]), scores(untouched, data[i]), `sample ${i}`);
      assert.deepEqual(saved.state.verdicts, untouched.state.verdicts, `sample ${i}`);
    }
  });
});
