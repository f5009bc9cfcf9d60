'use strict';
// How long a streaming PCA blocks the event loop: samples paced at 2000 a second through lib/
// (learnOne, then transform with anomaly scores, as the node does), refitEvery 1000, while
// perf_hooks' monitorEventLoopDelay (1 ms resolution) records how late the loop's timers run. The
// longest callback in CPU time is printed too: on a busy machine the delays also count the time
// the process waits for a core, which the CPU time does not.
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { prng, gaussian } = require('../../test/support/random');

const RATE = 2000;
const SECONDS = Number(process.env.BENCH_STALL_SECONDS || 10);
/** The first second (JIT warm-up, the first refits) is reported apart from the steady state. */
const WARMUP_SECONDS = 1;

/**
 * Streams `seconds` of samples into `model`, `RATE` a second, from a 1 ms interval.
 * @returns the longest callback's CPU time, in ms.
 */
function stream(model, next, seconds) {
  const total = RATE * seconds;
  const scores = new Float64Array(model.schema.dimension);
  const anomaly = { t2: 0, spe: 0, t2Limit: 0, speLimit: 0, anomaly: false };
  return new Promise((resolve) => {
    const begin = process.hrtime.bigint();
    let sent = 0;
    let longest = 0;
    const timer = setInterval(() => {
      const cpu = process.cpuUsage();
      const due = Math.min(total, Math.floor((Number(process.hrtime.bigint() - begin) / 1e9) * RATE));
      for (; sent < due; sent++) {
        const row = next();
        model.learnOne(row);
        model.transform(row, scores, anomaly);
      }
      const used = process.cpuUsage(cpu);
      longest = Math.max(longest, (used.user + used.system) / 1000);
      if (sent >= total) {
        clearInterval(timer);
        resolve(longest);
      }
    }, 1);
  });
}

/** Correlated sensors: three latent factors and noise, from a fixed seed. */
function sensors(d, seed) {
  const normal = gaussian(prng(seed));
  const loadings = Array.from({ length: d }, () => [normal(), normal(), normal()]);
  return () => {
    const z = [3 * normal(), 2 * normal(), normal()];
    return loadings.map((l) => l[0] * z[0] + l[1] * z[1] + l[2] * z[2] + 0.3 * normal());
  };
}

const ms = (ns) => (ns / 1e6).toFixed(1);

module.exports = {
  title: `Event loop during streaming PCA (${RATE} samples/s paced, refitEvery 1000, 2 components)`,
  async extra() {
    const { StreamingPCA } = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js'));
    console.log(
      `\n| d | first ${WARMUP_SECONDS} s: delay max ms (longest callback CPU ms) | next ${SECONDS} s: delay max ms | delay p99 ms | longest callback CPU ms |`,
    );
    console.log('|---|---:|---:|---:|---:|');
    for (const d of [16, 64, 128]) {
      const model = new StreamingPCA({ dimension: d, features: null }, { components: 2, refitEvery: 1000 });
      const next = sensors(d, d);
      const first = monitorEventLoopDelay({ resolution: 1 });
      first.enable();
      const firstCpu = await stream(model, next, WARMUP_SECONDS);
      first.disable();
      const steady = monitorEventLoopDelay({ resolution: 1 });
      steady.enable();
      const steadyCpu = await stream(model, next, SECONDS);
      steady.disable();
      console.log(
        `| ${d} | ${ms(first.max)} (${firstCpu.toFixed(1)}) | ${ms(steady.max)} | ${ms(steady.percentile(99))} | ${steadyCpu.toFixed(1)} |`,
      );
    }
  },
};
