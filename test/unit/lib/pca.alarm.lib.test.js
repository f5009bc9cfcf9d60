'use strict';
// The alarm (lib/pca/alarm.ts) against ground truth on synthetic data: autocorrelated normal
// operation keeps it quiet where the per-sample verdict fires in runs; a step fault and a slow
// drift raise it within a stated delay; it ends with hysteresis; a young model holds it back.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { gaussian, prng } = require('../../support/random');

const { StreamingPCA, NormalOnlyPCA, Alarm, ALARM_DEFAULTS } = dist('lib/pca');

/**
 * A plant of six sensors driven by two latent loads that follow AR(1) processes (φ = 0.95): as
 * real sensors, consecutive samples are strongly correlated, so the per-sample limits are crossed
 * in runs. `fault(i, x)` may change sample i.
 */
function plant(seed) {
  const normal = gaussian(prng(seed));
  const phi = 0.95;
  const innovation = Math.sqrt(1 - phi * phi);
  let a = 0;
  let b = 0;
  let noise = [0, 0, 0, 0, 0, 0];
  return () => {
    a = phi * a + innovation * normal();
    b = phi * b + innovation * normal();
    // Sensor noise is autocorrelated too (slow thermal drift of each reading).
    noise = noise.map((n) => 0.9 * n + Math.sqrt(1 - 0.81) * 0.3 * normal());
    return [a + b, a - b, 0.8 * a, 0.5 * b, a + 0.3 * b, b - 0.2 * a].map((v, j) => v + noise[j]);
  };
}

function judged(seed, { learnOnlyNormal = true, alarm } = {}) {
  const next = plant(seed);
  const gated = new NormalOnlyPCA(new StreamingPCA({ dimension: 6 }, { components: 2, confidence: 0.95 }), {
    learnOnlyNormal,
    relearnAfter: 0,
    warmup: 60,
    ...(alarm ? { alarm } : {}),
  });
  gated.learnBatch(Array.from({ length: 2000 }, next));
  /** Judges and learns one sample; returns its verdict. */
  const step = (x) => {
    gated.judge([x]);
    gated.learnOne(x);
    const v = gated.state.verdicts;
    return { alarm: v.alarm[0], event: v.event[0], learning: v.learning[0] };
  };
  return { next, gated, step };
}

describe('PCA alarm', () => {
  it('autocorrelated normal operation: per-sample verdicts fire in runs, the alarm stays under 1%', () => {
    for (const seed of [1, 2, 3]) {
      const { next, gated, step } = judged(seed);
      let anomalies = 0;
      let alarms = 0;
      const scratch = { t2: 0, spe: 0, t2Limit: 0, speLimit: 0, anomaly: false };
      const N = 20000;
      for (let i = 0; i < N; i++) {
        const x = next();
        if (gated.pca.anomaly(x, scratch).anomaly) anomalies++;
        if (step(x).alarm) alarms++;
      }
      // The problem the alarm solves: the 95 % limits are crossed on far more than 5 % of samples…
      assert.ok(anomalies / N > 0.05, `seed ${seed}: per-sample rate ${anomalies / N}`);
      // …while the alarm keeps to its target.
      assert.ok(alarms / N < 0.01, `seed ${seed}: alarm rate ${alarms / N}, per-sample ${anomalies / N}`);
    }
  });

  it('a step fault raises the alarm within 5 samples; it ends hold samples after the fault, not before', () => {
    const { next, step } = judged(4);
    for (let i = 0; i < 500; i++) assert.equal(step(next()).alarm, false, `normal sample ${i}`);
    const faulty = () => next().map((v, j) => (j === 3 ? v + 4 : v)); // one sensor off by ~5 σ
    const during = Array.from({ length: 100 }, () => step(faulty()));
    const raisedAt = during.findIndex((v) => v.alarm);
    assert.ok(raisedAt >= 0 && raisedAt < 5, `raised at ${raisedAt}`);
    assert.equal(during[raisedAt].event, 'start');
    assert.ok(
      during.slice(raisedAt).every((v) => v.alarm),
      'no flicker during the fault',
    );
    const after = Array.from({ length: 200 }, () => step(next()));
    const endedAt = after.findIndex((v) => !v.alarm);
    assert.ok(endedAt > ALARM_DEFAULTS.hold, `ended ${endedAt} samples after the fault`);
    assert.ok(endedAt <= ALARM_DEFAULTS.hold + 3 * ALARM_DEFAULTS.span, `ended ${endedAt} samples after`);
    assert.equal(after[endedAt].event, 'end');
    assert.ok(
      after.slice(endedAt).every((v) => !v.alarm),
      'quiet once ended',
    );
  });

  it('a slow drift of one sensor raises the alarm within 150 samples of reaching 3 σ', () => {
    const { next, step } = judged(5);
    for (let i = 0; i < 500; i++) step(next());
    // Sensor 3 (σ ≈ 0.58) drifts by 0.01 per sample: 3 σ after ~175 samples.
    let raisedAt = -1;
    for (let i = 0; i < 1000 && raisedAt < 0; i++) {
      const x = next();
      x[3] += 0.01 * i;
      if (step(x).alarm) raisedAt = i;
    }
    assert.ok(raisedAt > 0 && raisedAt < 175 + 150, `raised after ${raisedAt} samples`);
  });

  it('with learnOnlyNormal nothing is learned while the alarm is on; without, everything is', () => {
    for (const learnOnlyNormal of [true, false]) {
      const { next, gated, step } = judged(6, { learnOnlyNormal });
      for (let i = 0; i < 300; i++) step(next());
      const before = gated.samplesSeen;
      let inAlarm = 0;
      let raised = false;
      for (let i = 0; i < 50; i++) {
        const x = next();
        x[2] = 10;
        if (step(x).alarm) {
          raised = true;
          inAlarm++;
        }
      }
      assert.ok(raised);
      const learned = gated.samplesSeen - before;
      if (learnOnlyNormal) assert.equal(learned, 50 - inAlarm, 'only the samples before the alarm started');
      else assert.equal(learned, 50);
      assert.ok(50 - inAlarm <= 2, `${50 - inAlarm} fault samples before the alarm`);
    }
  });

  it('a young model holds the alarm back and says it is learning', () => {
    const next = plant(7);
    const gated = new NormalOnlyPCA(new StreamingPCA({ dimension: 6 }, { components: 2 }), {
      learnOnlyNormal: true,
      relearnAfter: 0,
      warmup: 60,
    });
    for (let i = 0; i < 59; i++) {
      const x = next().map((v) => v * (i % 2 ? 50 : 1)); // wild: a young model would cry wolf
      const v = gated.judge([x]);
      assert.equal(v.learning[0], true);
      assert.equal(v.alarm[0], false);
      assert.equal(gated.learnOne(x), true, 'a young model learns everything');
    }
  });

  it('checkOptions names the bad setting; the level is finite for any scores', () => {
    assert.throws(() => Alarm.checkOptions({ span: 0 }), /alarm span must be a whole number from 1/);
    assert.throws(() => Alarm.checkOptions({ hold: 1.5 }), /alarm hold/);
    assert.throws(() => Alarm.checkOptions({ t2Level: 0 }), /alarm t2Level/);
    assert.throws(() => Alarm.checkOptions({ speLevel: NaN }), /alarm speLevel/);
    const alarm = new Alarm(ALARM_DEFAULTS);
    for (const [t2, t2Limit, spe, speLimit] of [
      [1e308, 1e-308, 0, 1],
      [0, Infinity, NaN, 0],
      [1, 0, 1, -1],
    ]) {
      alarm.update(t2, t2Limit, spe, speLimit);
      assert.ok(Number.isFinite(alarm.level), String(alarm.level));
    }
  });
});
