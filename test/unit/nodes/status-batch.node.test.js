'use strict';
// The status says what happened to the last message: a batch that was fitted at once and came out
// transformed shows the model, not "warming up 4/20"; a single sample still warming up says so.
const assert = require('node:assert/strict');
const { helper, load } = require('../../support/helper');
const dist = require('../../support/dist');

const NODES = {
  'ml-standardize': dist('nodes/ml-standardize/ml-standardize'),
  'ml-pca': dist('nodes/ml-pca/ml-pca'),
  'ml-kmeans': dist('nodes/ml-kmeans/ml-kmeans'),
};
const BATCH = [
  [5.1, 3.5, 1.4, 0.2],
  [4.9, 3.0, 1.4, 0.2],
  [6.3, 3.3, 6.0, 2.5],
  [5.8, 2.7, 5.1, 1.9],
];
const redraw = () => new Promise((resolve) => setTimeout(resolve, 400));
const statusText = (node) => node.status.lastCall.args[0].text;

describe('learner status after a batch', function () {
  this.timeout(20000);
  afterEach(async () => {
    await helper.unload();
  });

  for (const [type, module] of Object.entries(NODES)) {
    it(`${type}: a 4-row batch that came out transformed shows the model, not a warm-up count`, async () => {
      const t = await load(module, type, type === 'ml-kmeans' ? { clusters: 2 } : {});
      const { out } = await t.send({ payload: BATCH });
      assert.equal(out.length, 1, 'the batch came out');
      assert.equal(out[0].ready, undefined);
      await redraw();
      assert.doesNotMatch(statusText(t.node), /warming up/);
      assert.equal(t.node.status.lastCall.args[0].fill, 'green');
      // A single sample next: held back while the model warms up (the status counts it), or
      // transformed (k-means is ready once its batch has placed the centres) and the status says so.
      await t.send({ payload: BATCH[0] });
      await redraw();
      if (t.seen.out.length === 1) assert.match(statusText(t.node), /^warming up 5\/\d+$/);
      else assert.doesNotMatch(statusText(t.node), /warming up/);
      assert.equal(t.seen.out.length, type === 'ml-kmeans' ? 2 : 1);
    });
  }
});
