'use strict';
// ml-pca with and without a peer's model (scale-out): the merged model is rebuilt at most once per
// share interval, so a peer should cost little beside learning (docs/scale-out.md, merge cost).
const path = require('node:path');

const MESSAGES = Number(process.env.BENCH_PEER_MESSAGES || 5000);

module.exports = {
  title: `ml-pca (2 components, refitEvery 1000) alone and with one peer (share every 1 s), ${MESSAGES} messages`,
  rows({ samplePool }) {
    const { StreamingPCA } = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'pca'));
    return [32, 128].flatMap((d) => {
      const pool = samplePool(d);
      const peer = new StreamingPCA({ dimension: d, features: null }, { components: 2 });
      peer.learnBatch(samplePool(d, 4 * d, 3));
      const share = { payload: { ...peer.toJSON(), instance: 'peer', key: '' } };
      const node = {
        type: 'ml-pca',
        refitEvery: 1000,
        warmupSamples: 2 * d + 1,
        whileWarmingUp: 'pass',
        instance: 'bench',
        shareEvery: 1,
        receiveShares: true,
      };
      return [
        { name: `pca d=${d} alone`, messages: MESSAGES, node, make: (i) => ({ payload: pool[i & 1023] }) },
        {
          name: `pca d=${d} with a peer`,
          messages: MESSAGES,
          node,
          // The first message of each run is the peer's share (consumed, nothing sent for it).
          arrivals: (count) => count - 1,
          make: (i) => (i === 0 ? structuredClone(share) : { payload: pool[i & 1023] }),
        },
      ];
    });
  },
};
