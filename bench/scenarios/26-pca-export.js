'use strict';
// How long one export and one save of a PCA model hold the event loop: both run a full eigen
// refit (O(d³)) in one synchronous call, and a save also writes the model JSON. Measured at the
// default maxDimension (128) and at the largest allowed (160), which these figures set
// (docs/limits.md has the wider ones measured before the limit was lowered). Fewer rows than
// features, so most eigenvalues are tied at zero: the worst case of matching components to the
// previous fit.
const path = require('node:path');
const { prng, gaussian } = require('../../test/support/random');

const REPEATS = 5;
const WIDTHS = [64, 128, 160];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const since = (t) => Number(process.hrtime.bigint() - t) / 1e6;

module.exports = {
  title: 'PCA export and save: one synchronous call each (ms, after a warm-up export)',
  async extra() {
    const { StreamingPCA } = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js'));
    console.log('\n| d | export: median ms (max) | save (export + JSON): median ms (max) | model JSON MB |');
    console.log('|---|---:|---:|---:|');
    for (const d of WIDTHS) {
      const normal = gaussian(prng(d));
      const row = () => Array.from({ length: d }, () => normal());
      const model = new StreamingPCA({ dimension: d, features: null }, { components: 2, refitEvery: 1e6 });
      for (let i = 0; i < Math.min(200, 2 * d); i++) model.learnOne(row());
      model.toJSON();
      const exports = [];
      const saves = [];
      let size = 0;
      for (let r = 0; r < REPEATS; r++) {
        model.learnOne(row());
        let t = process.hrtime.bigint();
        model.toJSON();
        exports.push(since(t));
        model.learnOne(row());
        t = process.hrtime.bigint();
        size = JSON.stringify(model.toJSON()).length;
        saves.push(since(t));
      }
      console.log(
        `| ${d} | ${median(exports).toFixed(0)} (${Math.max(...exports).toFixed(0)}) | ` +
          `${median(saves).toFixed(0)} (${Math.max(...saves).toFixed(0)}) | ${(size / 1e6).toFixed(1)} |`,
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
  },
};
