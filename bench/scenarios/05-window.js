'use strict';
// ml-window: count windows (tumbling, sliding) and a time window on arrival time, one sample a
// message. A window node sends one message per window, so each row tells the harness how many
// arrivals to wait for (`arrivals`) or what an arrival stands for (`weigh`); the per-message cost
// is still the total time over the N messages sent, compared with a change node's hop.
const SIZE = 100;
const STEP = 10;

module.exports = {
  title: 'ml-window (one sample a message; emit samples) vs change',
  rows({ samplePool }) {
    const scalars = samplePool(1).map((row) => row[0]);
    const arrays = samplePool(4);
    return [
      {
        name: `count tumbling size ${SIZE}, scalars`,
        poolKey: 'window-scalar',
        node: { type: 'ml-window', mode: 'count', size: SIZE, emit: 'samples' },
        make: (i) => ({ payload: scalars[i & 1023] }),
        // N is a multiple of SIZE, so every run ends with the buffer empty.
        arrivals: (count) => count / SIZE,
      },
      {
        name: `count sliding size ${SIZE} step ${STEP}, d=4`,
        poolKey: 'window-array-4-reset',
        node: { type: 'ml-window', mode: 'count', size: SIZE, step: STEP, emit: 'samples' },
        // The first message of each run resets, so every run sends the same windows.
        make: (i) => (i === 0 ? { payload: arrays[0], reset: true } : { payload: arrays[i & 1023] }),
        arrivals: (count) => (count - SIZE) / STEP + 1,
      },
      {
        name: 'time 1000 ms (arrival), scalars',
        poolKey: 'window-scalar-flush',
        // A second of messages at full speed is far more than the default maxSamples (10000).
        node: { type: 'ml-window', mode: 'time', size: 1000, emit: 'samples', maxSamples: 10000000 },
        // The last message flushes, so each sample is in exactly one window sent by the run's end.
        make: (i, count) =>
          i === count - 1 ? { payload: scalars[i & 1023], flush: true } : { payload: scalars[i & 1023] },
        weigh: (msg) => msg.window.count,
      },
    ];
  },
};
