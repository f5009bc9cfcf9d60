'use strict';
// ml-pca: one array sample a message with refits every 1000 samples; and one refit's cost.
const path = require('node:path');

module.exports = {
  title: 'ml-pca (2 components, anomaly scores, refitEvery 1000) vs change',
  rows({ samplePool }) {
    return [4, 16, 64].map((d) => {
      const pool = samplePool(d);
      return {
        name: `pca d=${d}`,
        poolKey: `array-${d}`,
        // Warming-up messages pass on, so that every message reaches the sink.
        node: { type: 'ml-pca', refitEvery: 1000, warmupSamples: 2 * d + 1, whileWarmingUp: 'pass' },
        make: (i) => ({ payload: pool[i & 1023] }),
      };
    });
  },
  async extra({ samplePool }) {
    const { StreamingPCA } = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'pca'));
    console.log('\n| refit | median ms | max ms |');
    console.log('|---|---:|---:|');
    for (const d of [16, 64, 128]) {
      const model = new StreamingPCA({ dimension: d, features: null }, { components: 2 });
      model.learnBatch(samplePool(d, 4 * d + 64, 7));
      const times = [];
      for (let r = 0; r < 25; r++) {
        const begin = process.hrtime.bigint();
        model.refit();
        times.push(Number(process.hrtime.bigint() - begin) / 1e6);
      }
      times.sort((a, b) => a - b);
      console.log(`| d=${d} | ${times[12].toFixed(2)} | ${times[24].toFixed(2)} |`);
    }
  },
};
