'use strict';
// StreamingPCA.snapshot: the JSON an export gives, without changing what the model scores next
// (saves and shares run on a timer; a verdict must not depend on when they ran).
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { prng } = require('../../support/random');

const { StreamingPCA } = dist('lib/pca');

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
});
