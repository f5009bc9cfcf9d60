'use strict';
// ml-pca in a real Node-RED runtime (node-red-node-test-helper): msg.pca.contributions, top and
// contributionLimits; learnOnlyNormal keeps the model exactly as it was through a fault burst;
// relearnAfter warns once and learns a lasting change again.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { prng } = require('../../support/random');
const { helper, useHelper, load } = require('../../support/helper');

const pcaNode = dist('nodes/ml-pca/ml-pca');
const start = (settings) => load(pcaNode, 'ml-pca', settings);
const SENSORS = ['temp', 'current', 'vib', 'pressure'];
// An alarm of one sample, no hold: learnOnlyNormal leaves out exactly the samples over a limit.
const PER_SAMPLE = { alarmSpan: 1, alarmT2Level: 1, alarmSpeLevel: 1, alarmHold: 0 };

/** A machine: one latent load moves all four sensors, plus noise; named readings. */
function machine(seed) {
  const uniform = prng(seed);
  const normal = () => {
    let u = 0;
    while (u === 0) u = uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
  return (fault = {}) => {
    const load = normal();
    const second = normal();
    const reading = {
      temp: 50 + 1.6 * load + 0.5 * second + 0.2 * normal(),
      current: 10 + 0.9 * load + 0.2 * normal(),
      vib: 2 + 0.25 * load - 0.3 * second + 0.05 * normal(),
      pressure: 5 + 0.4 * load + 0.05 * normal(),
    };
    return { ...reading, ...fault };
  };
}

const sum = (values) => Object.values(values).reduce((s, v) => s + v, 0);
const close = (a, b) => Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(b), Number.MIN_VALUE);

describe('ml-pca: contributions and learning only normal samples', () => {
  useHelper();

  it('named features: contributions keyed by name add up to T² and SPE; top names the stuck sensor', async () => {
    const next = machine(1);
    const t = await start({ confidence: 0.99 });
    for (let i = 0; i < 300; i++) await t.send({ payload: next() });
    const before = t.seen.out.length;
    await t.send({ payload: next({ vib: 0 }) });
    const { pca } = t.seen.out[before];
    assert.equal(pca.anomaly, true);
    assert.deepEqual(Object.keys(pca.contributions.t2), SENSORS);
    assert.deepEqual(Object.keys(pca.contributions.spe), SENSORS);
    assert.ok(
      close(sum(pca.contributions.t2), pca.t2),
      `Σ T² contributions ${sum(pca.contributions.t2)} vs ${pca.t2}`,
    );
    assert.ok(
      close(sum(pca.contributions.spe), pca.spe),
      `Σ SPE contributions ${sum(pca.contributions.spe)} vs ${pca.spe}`,
    );
    assert.equal(pca.top, 'vib');
    assert.deepEqual(Object.keys(pca.contributionLimits.spe), SENSORS);
    assert.ok(pca.contributions.spe.vib > pca.contributionLimits.spe.vib, 'vib is over its own limit');
    for (const v of [
      ...Object.values(pca.contributionLimits.t2),
      ...Object.values(pca.contributionLimits.spe),
    ]) {
      assert.ok(Number.isFinite(v) && v > 0);
    }
    // A normal sample: nothing to blame.
    let normal;
    for (let i = 0; i < 20 && !normal; i++) {
      await t.send({ payload: next() });
      const last = t.seen.out[t.seen.out.length - 1].pca;
      if (!last.anomaly) normal = last;
    }
    assert.equal(normal.top, null);
  });

  it('unnamed features and a batch: per-row arrays, top an index', async () => {
    const next = machine(2);
    const t = await start({ confidence: 0.99 });
    const rows = Array.from({ length: 200 }, () => Object.values(next()));
    await t.send({ payload: rows });
    const faulty = Object.values(next({ current: 30 }));
    await t.send({ payload: [rows[0], faulty] });
    const { pca } = t.seen.out[1];
    assert.equal(pca.contributions.t2.length, 2);
    assert.equal(pca.contributions.spe[1].length, 4);
    assert.ok(close(sum(pca.contributions.spe[1]), pca.spe[1]));
    assert.ok(close(sum(pca.contributions.t2[0]), pca.t2[0]));
    assert.equal(pca.top[1], 1);
    assert.equal(pca.top.length, 2);
    assert.ok(Array.isArray(pca.contributionLimits.t2) && pca.contributionLimits.t2.length === 4);
  });

  for (const learnOnlyNormal of [true, false]) {
    it(`learnOnlyNormal ${learnOnlyNormal}: the model exported after a fault burst ${learnOnlyNormal ? 'equals' : 'differs from'} the one before`, async () => {
      const next = machine(3);
      const t = await start({ confidence: 0.99, learnOnlyNormal, keyProperty: 'topic', ...PER_SAMPLE });
      for (let i = 0; i < 300; i++) await t.send({ topic: 'm1', payload: next() });
      const [before] = await t.exported();
      const from = t.seen.out.length;
      for (let i = 0; i < 15; i++) await t.send({ topic: 'm1', payload: next({ pressure: 0 }) });
      const flagged = t.seen.out.slice(from).map((msg) => msg.pca);
      assert.ok(
        flagged.every((p) => p.anomaly && p.top === 'pressure'),
        JSON.stringify(flagged.map((p) => p.top)),
      );
      // The limits stay put through the burst with learnOnlyNormal (the model does not learn it).
      const limits = new Set(flagged.map((p) => `${p.t2Limit} ${p.speLimit}`));
      if (learnOnlyNormal) assert.equal(limits.size, 1, 'limits unchanged through the burst');
      const [after] = await t.exported();
      if (learnOnlyNormal) assert.deepEqual(after, before);
      else assert.notDeepEqual(after, before);
      assert.equal(after.n_samples_seen, before.n_samples_seen + (learnOnlyNormal ? 0 : 15));
      assert.equal(t.seen.errors.length, 0);
    });
  }

  it('relearnAfter: warns once after that many anomalies in a row, then learns them; 0 keeps flagging', async () => {
    for (const relearnAfter of [3, 0]) {
      const next = machine(4);
      const t = await start({
        confidence: 0.99,
        learnOnlyNormal: true,
        relearnAfter,
        keyProperty: 'topic',
        ...PER_SAMPLE,
      });
      for (let i = 0; i < 200; i++) await t.send({ topic: 'press 7', payload: next() });
      // A normal sample first, so that no run is under way.
      let learned;
      for (let i = 0; i < 20 && learned === undefined; i++) {
        await t.send({ topic: 'press 7', payload: next() });
        const last = t.seen.out[t.seen.out.length - 1].pca;
        if (!last.anomaly) learned = last.n;
      }
      const from = t.seen.out.length;
      for (let i = 0; i < 6; i++) await t.send({ topic: 'press 7', payload: next({ current: 25 }) });
      const n = t.seen.out.slice(from).map((msg) => msg.pca.n - learned);
      const warned = t.warnings().filter((w) => /consecutive samples/.test(w));
      if (relearnAfter === 3) {
        assert.deepEqual(n, [0, 0, 0, 1, 2, 3], 'three held back, then learned');
        assert.equal(warned.length, 1, warned.join('\n'));
        assert.match(warned[0], /alarm on for 3 consecutive samples \(key "press 7"\)/);
      } else {
        assert.deepEqual(n, [0, 0, 0, 0, 0, 0]);
        assert.equal(warned.length, 0);
      }
      await helper.unload();
    }
  });

  it('a relearnAfter that is not a whole number ≥ 0 is a configuration error', async () => {
    const t = await start({ relearnAfter: '-1' });
    await t.send({ payload: [1, 2, 3] });
    assert.match(t.seen.errors[0].error.message, /relearnAfter/);
  });
});
