'use strict';
// The demo's verdicts, not its speed: each demo flow replayed headless in a real Node-RED runtime
// on the simulator's seeded stream, 5 simulated minutes from the start as `npm start` runs it, and
// measured against the simulator's ground truth (test/support/demo-verdicts.js): alert precision,
// the share of faults that raise an alert, and how often the k-means cluster is the true
// operating mode. DEMO_SECONDS and DEMO_SEEDS change the length and the seeds.
const { main } = require('../../test/support/demo-verdicts');

module.exports = {
  title: 'demo verdicts against the simulator ground truth (alerts, faults, operating modes)',
  async extra() {
    const args = [];
    if (process.env.DEMO_SECONDS) args.push('--seconds', process.env.DEMO_SECONDS);
    if (process.env.DEMO_SEEDS) args.push('--seeds', process.env.DEMO_SEEDS);
    await main(args);
  },
};
