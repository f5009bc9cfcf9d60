'use strict';
// ml-standardize: one array sample a message, d = 4, 16 and 64.
module.exports = {
  title: 'ml-standardize (z-score, single array samples) vs change',
  rows({ samplePool }) {
    return [4, 16, 64].map((d) => {
      const pool = samplePool(d);
      return {
        name: `standardize d=${d}`,
        poolKey: `array-${d}`,
        node: { type: 'ml-standardize', warmupSamples: 1 },
        make: (i) => ({ payload: pool[i & 1023] }),
      };
    });
  },
};
