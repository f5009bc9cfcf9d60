'use strict';
// The demo's pipeline (1 s mean windows per machine → z-scores → PCA at 0.99, one model for all
// machines) against the demo simulator's injected faults, one fault kind at a time, with and
// without learnOnlyNormal: detection rate, false-alarm rate and how often msg.pca.top names the
// faulted sensor. The figures are printed (docs/anomaly.md keeps the table).
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { Simulator, SENSORS, FAULTS } = require('../../../demo/simulator');

const { StreamingPCA, NormalOnlyPCA, topFeature } = dist('lib/pca');
const { Standardizer } = dist('lib/standardize');

const SCHEMA = { dimension: SENSORS.length, features: SENSORS };
/** Simulated time per fault kind, and the warm-up left out of the figures. */
const MINUTES = 60;
const BURN_IN_WINDOWS = 120;
const TICKS_PER_WINDOW = 4; // 250 ms readings, 1 s windows

/** The demo's settings: one PCA model per machine, judged after 12 windows, relearning after 10. */
const PCA_OPTIONS = { components: 2, confidence: 0.99, refitEvery: 30 };
const WARMUP = 12;
const RELEARN_AFTER = 10;
// An alarm of one sample, no hold: this study measures the per-sample gate (docs/anomaly.md).
const PER_SAMPLE = { span: 1, t2Level: 1, speLevel: 1, hold: 0 };

/**
 * Runs the simulator with only `kind` faults through the demo's pipeline.
 * @returns counts, and for each fault burst during which every window was held back, the
 *   faulted machine's model JSON before and after it.
 */
function run(kind, learnOnlyNormal, seed) {
  const simulator = new Simulator({ seed, faults: [kind], faultSeed: seed + 100 });
  const standardize = new Standardizer(SCHEMA, {});
  const models = new Map(
    simulator.machines.map((m) => [
      m,
      new NormalOnlyPCA(new StreamingPCA(SCHEMA, PCA_OPTIONS), {
        learnOnlyNormal,
        relearnAfter: RELEARN_AFTER,
        warmup: WARMUP,
        alarm: PER_SAMPLE,
      }),
    ]),
  );
  const counts = { faulted: 0, detected: 0, normal: 0, falseAlarms: 0, rightTop: 0, relearned: 0 };
  const anomaly = { t2: 0, spe: 0, t2Limit: 0, speLimit: 0, anomaly: false };
  const bursts = [];
  const open = new Map();
  const windows = (MINUTES * 60 * 1000) / (simulator.period * TICKS_PER_WINDOW);
  for (let w = 0; w < windows; w++) {
    const sums = new Map(simulator.machines.map((m) => [m, new Array(SENSORS.length).fill(0)]));
    const faulted = new Map(simulator.machines.map((m) => [m, 0]));
    const sensorOf = new Map();
    for (let t = 0; t < TICKS_PER_WINDOW; t++) {
      for (const { topic, payload } of simulator.tick()) {
        const [root, machine, sensor] = topic.split('/');
        if (root === 'factory') sums.get(machine)[SENSORS.indexOf(sensor)] += JSON.parse(payload);
      }
      for (const [machine, state] of Object.entries(simulator.snapshot())) {
        if (state.fault) {
          faulted.set(machine, faulted.get(machine) + 1);
          sensorOf.set(machine, state.sensor);
        }
      }
    }
    for (const machine of simulator.machines) {
      const pca = models.get(machine);
      const row = sums.get(machine).map((s) => s / TICKS_PER_WINDOW);
      standardize.learnOne(row);
      const z = standardize.transform(row, new Array(SENSORS.length));
      const n = faulted.get(machine);
      const judged = w >= BURN_IN_WINDOWS && pca.pca.ready && pca.samplesSeen >= WARMUP;
      if (judged && n > 0 && !open.has(machine))
        open.set(machine, { before: JSON.stringify(pca.toJSON()), held: true });
      const burst = open.get(machine);
      if (burst && n === 0) {
        open.delete(machine);
        if (burst.held) bursts.push({ before: burst.before, after: JSON.stringify(pca.toJSON()) });
      }
      // Scored with the model before this window, as the node scores a held-back one.
      const learned = pca.learnOne(z);
      if (pca.state.relearnStarted) {
        pca.state.relearnStarted = false;
        counts.relearned++;
      }
      if (burst && n > 0 && learned) burst.held = false;
      if (!judged) continue;
      pca.pca.transform(z, [], anomaly);
      if (n === TICKS_PER_WINDOW) {
        counts.faulted++;
        if (anomaly.anomaly) {
          counts.detected++;
          const top = topFeature(pca.pca, z, anomaly);
          if (SENSORS[top] === sensorOf.get(machine)) counts.rightTop++;
        }
      } else if (n === 0) {
        counts.normal++;
        if (anomaly.anomaly) counts.falseAlarms++;
      }
    }
  }
  return { counts, bursts };
}

const percent = (a, b) => (b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(1)}%`);

describe('PCA against the demo simulator faults', function () {
  this.timeout(120000);
  const results = {};
  for (const learnOnlyNormal of [false, true]) {
    for (const kind of FAULTS) {
      it(`${kind}, learnOnlyNormal ${learnOnlyNormal}: the faulted sensor is top in ≥ 80 % of flagged windows`, () => {
        const { counts, bursts } = run(kind, learnOnlyNormal, 7);
        results[`${kind} ${learnOnlyNormal}`] = counts;
        console.log(
          `      ${kind.padEnd(11)} learnOnlyNormal=${String(learnOnlyNormal).padEnd(5)} ` +
            `detection ${percent(counts.detected, counts.faulted)} (${counts.detected}/${counts.faulted}), ` +
            `false alarms ${percent(counts.falseAlarms, counts.normal)} (${counts.falseAlarms}/${counts.normal}), ` +
            `correct top ${percent(counts.rightTop, counts.detected)}; relearned ${counts.relearned} times` +
            (learnOnlyNormal ? `; ${bursts.length} bursts held back whole` : ''),
        );
        assert.ok(counts.faulted > 100, `enough faulted windows (${counts.faulted})`);
        assert.ok(
          counts.rightTop >= 0.8 * counts.detected,
          `correct top ${counts.rightTop}/${counts.detected}`,
        );
        assert.ok(
          counts.falseAlarms <= 0.03 * counts.normal,
          `false alarms ${counts.falseAlarms}/${counts.normal}`,
        );
        if (learnOnlyNormal) {
          assert.ok(bursts.length >= 5, `fault bursts held back whole: ${bursts.length}`);
          for (const { before, after } of bursts)
            assert.equal(after, before, 'the model after a burst is the one before it');
        }
      });
    }
  }
});
