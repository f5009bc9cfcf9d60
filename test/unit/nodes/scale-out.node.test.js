'use strict';
// Model sharing between instances, one learner node at a time through node-red-node-test-helper:
// what a share looks like on the second output, how a peer's share is combined (replacing its
// earlier one), the own echo, msg.forget, per-key topics and bad shares.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { useHelper, load, eventually } = require('../../support/helper');
const { assertClose } = require('../../support/numeric');

const { Standardizer } = dist('lib/standardize');
const standardizeNode = dist('nodes/ml-standardize/ml-standardize');

/** A standardize model learned from `rows`, as a peer would share it. */
function peerModel(rows, instance, key = '') {
  const model = new Standardizer({ dimension: rows[0].length, features: null }, {});
  for (const row of rows) model.learnOne(row);
  return { ...model.toJSON(), instance, key };
}

/** Shares sent so far (output 2 messages with a retain flag). */
const shares = (t) => t.seen.models.filter((msg) => msg.retain === true);

describe('learner nodes: sharing models between instances', () => {
  useHelper();

  it('shares the own model of each key, retained at QoS 1, every interval (changed or not: a broker may have lost it)', async () => {
    const t = await load(standardizeNode, 'ml-standardize', { instance: 'a', shareEvery: 0.05 });
    await t.send({ payload: [1, 2] }, { payload: [3, 5] });
    // Every key is republished each interval, changed or not.
    await eventually(() => shares(t).length >= 2, { what: 'two shares' });
    const [share] = shares(t);
    assert.equal(share.topic, 'stream-ml/models/a/_');
    assert.equal(share.qos, 1);
    assert.equal(share.payload.instance, 'a');
    assert.equal(share.payload.key, '');
    assert.ok(
      shares(t).every((s) => s.payload.n_samples_seen === 2),
      'the unchanged model is republished',
    );
    await t.send({ payload: [2, 2] });
    await eventually(() =>
      assert.equal(shares(t).at(-1).payload.n_samples_seen, 3, 'the changed model is shared'),
    );
  });

  it('a peer share is combined exactly; a newer one replaces it; the own echo is ignored; msg.forget drops it', async () => {
    const t = await load(standardizeNode, 'ml-standardize', { instance: 'a', receiveShares: true });
    const own = [
      [1, 2],
      [3, 5],
      [4, -1],
    ];
    const b1 = [
      [10, 0],
      [12, 1],
    ];
    const b2 = [...b1, [11, 7], [9, 3]];
    await t.send(...own.map((payload) => ({ payload })));
    await t.send({ topic: 'stream-ml/models/b/_', payload: peerModel(b1, 'b') });
    await t.send({ topic: 'stream-ml/models/b/_', payload: JSON.stringify(peerModel(b2, 'b')) });
    await t.send({ topic: 'stream-ml/models/a/_', payload: peerModel([[100, 100]], 'a') });
    assert.deepEqual(t.seen.errors, []);
    const [merged] = await t.exported();
    const whole = new Standardizer({ dimension: 2, features: null }, {});
    for (const row of [...own, ...b2]) whole.learnOne(row);
    assert.equal(merged.n_samples_seen, own.length + b2.length, 'b2 replaced b1; the echo did not count');
    assertClose(merged.mean, whole.toJSON().mean, 1e-12, 'mean');
    assertClose(merged.var, whole.toJSON().var, 1e-12, 'var');
    await t.send({ forget: 'b' });
    const [alone] = await t.exported();
    assert.equal(alone.n_samples_seen, own.length);
  });

  it('keyed models share one topic per key, URI-encoded', async () => {
    const t = await load(standardizeNode, 'ml-standardize', {
      instance: 'edge-1',
      shareEvery: 0.05,
      sharePrefix: 'plant/models',
      keyProperty: 'device',
      receiveShares: true,
    });
    await t.send({ device: 'm/1', payload: [1] }, { device: 'm 2', payload: [2] });
    await eventually(() => shares(t).length >= 2, { what: 'two shares' });
    assert.deepEqual([...new Set(shares(t).map((m) => m.topic))].sort(), [
      'plant/models/edge-1/m%202',
      'plant/models/edge-1/m%2F1',
    ]);
    // A peer's share of a key goes to that key, whatever the message's device.
    await t.send({ topic: 'plant/models/edge-2/m%2F1', payload: peerModel([[5], [7]], 'edge-2', 'm/1') });
    await t.send({ device: 'm/1', export: true });
    assert.equal(t.seen.models.at(-1).payload.n_samples_seen, 3);
  });

  it('a bad share or msg.forget is an error that changes nothing', async () => {
    const t = await load(standardizeNode, 'ml-standardize', { instance: 'a', receiveShares: true });
    await t.send({ payload: [1] }, { payload: [2] });
    await t.send({ payload: { ...peerModel([[1]], 'b'), instance: 5 } });
    await t.send({ payload: { ...peerModel([[1]], 'b'), mean: ['x'] } });
    await t.send({ forget: '' }, { forget: 'a' });
    assert.equal(t.seen.errors.length, 4, JSON.stringify(t.seen.errors.map((e) => e.error.message)));
    assert.match(t.seen.errors[0].error.message, /instance/);
    assert.match(t.seen.errors[3].error.message, /msg.reset/);
    const [model] = await t.exported();
    assert.equal(model.n_samples_seen, 2);
  });

  it('a key keeps at most MAX_PEERS peers: one more is an error that changes nothing; a known peer still replaces', async () => {
    const { MAX_PEERS } = dist('nodes/shared/learner/model-store');
    const t = await load(standardizeNode, 'ml-standardize', { instance: 'a', receiveShares: true });
    await t.send({ payload: [1, 2] });
    const peers = Array.from({ length: MAX_PEERS }, (_, i) => ({ payload: peerModel([[i, 1]], `p${i}`) }));
    await t.send(...peers);
    assert.deepEqual(t.seen.errors, []);
    await t.send({ payload: peerModel([[5, 5]], 'one-too-many') });
    assert.equal(t.seen.errors.length, 1);
    assert.match(
      t.seen.errors[0].error.message,
      new RegExp(`at most ${MAX_PEERS} peers.*"one-too-many".*msg\\.forget`),
    );
    let [merged] = await t.exported();
    assert.equal(merged.n_samples_seen, 1 + MAX_PEERS, 'the extra peer was not kept');
    await t.send({
      payload: peerModel(
        [
          [0, 1],
          [2, 3],
        ],
        'p0',
      ),
    });
    [merged] = await t.exported();
    assert.equal(merged.n_samples_seen, 2 + MAX_PEERS, 'a known peer still replaces its model');
    assert.equal(t.seen.errors.length, 1);
  });

  it('after a start, the first signed own echo of a key (the retained share) restores a newer own model; later echoes are ignored', async () => {
    const { signShare } = dist('nodes/shared/learner/share-trust');
    const signed = (model, seq) => {
      const body = { ...model, seq };
      return { ...body, sig: signShare('s3cret', body) };
    };
    const t = await load(
      standardizeNode,
      'ml-standardize',
      { instance: 'a', receiveShares: true },
      { shareSecret: 's3cret' },
    );
    await t.send({ payload: [1] });
    await t.send({ topic: 'stream-ml/models/a/_', payload: signed(peerModel([[1], [2], [3]], 'a'), 1) });
    let [model] = await t.exported();
    assert.equal(model.n_samples_seen, 3, 'the retained share had seen more than the restored model');
    await t.send({
      topic: 'stream-ml/models/a/_',
      payload: signed(peerModel([[1], [2], [3], [4], [5]], 'a'), 2),
    });
    [model] = await t.exported();
    assert.equal(model.n_samples_seen, 3, 'a later echo is only an echo');
    assert.deepEqual(t.seen.errors, []);
  });

  it('peerExpiry drops a peer not heard from, with a warning', async () => {
    const t = await load(standardizeNode, 'ml-standardize', {
      instance: 'a',
      peerExpiry: 0.2,
      receiveShares: true,
    });
    await t.send({ payload: [1] }, { topic: 'stream-ml/models/b/_', payload: peerModel([[5], [6]], 'b') });
    let [model] = await t.exported();
    assert.equal(model.n_samples_seen, 3);
    await eventually(async () => {
      [model] = await t.exported();
      assert.equal(model.n_samples_seen, 1, 'b expired');
    });
    const warnings = t.warnings();
    assert.ok(
      warnings.some((w) => /"b".*peerExpiry/.test(String(w))),
      JSON.stringify(warnings),
    );
  });

  it('settings: a wildcard in the instance or prefix is a configuration error', async () => {
    const t = await load(standardizeNode, 'ml-standardize', { instance: 'a/b' });
    await t.send({ payload: [1] });
    assert.match(t.seen.errors[0].error.message, /instance/);
  });

  describe('k-means merged from parts of a stream, against one instance on the whole stream', () => {
    const { StreamingKMeans } = dist('lib/kmeans');
    /** Three blobs 4 apart in 3-D, each of standard deviation `spread`, in a seeded order. */
    function blobs(count, seed, spread) {
      let state = seed >>> 0;
      const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
      const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      const centres = [
        [0, 0, 0],
        [4, 1, -1],
        [-1, 4, 2],
      ];
      return Array.from({ length: count }, () =>
        centres[Math.floor(random() * 3)].map((v) => v + spread * gauss()),
      );
    }
    const squared = (a, b) => a.reduce((sum, v, i) => sum + (v - b[i]) ** 2, 0);
    const inertia = (rows, centres) =>
      rows.reduce((sum, x) => sum + Math.min(...centres.map((c) => squared(x, c))), 0);

    /** Merged (three instances, round robin) and single-instance centres, inertia, and the data's diameter. */
    function compare(spread, seed) {
      const rows = blobs(3000, seed, spread);
      const schema = { dimension: 3, features: null };
      const options = { k: 3, warmupSamples: 60, seed: 7 };
      const single = new StreamingKMeans(schema, options);
      const parts = [0, 1, 2].map(() => new StreamingKMeans(schema, options));
      rows.forEach((x, i) => {
        single.learnOne(x);
        parts[i % 3].learnOne(x);
      });
      const merged = parts.slice(1).reduce((a, b) => StreamingKMeans.merge(a, b), parts[0]);
      const a = merged.toJSON().cluster_centers;
      const b = single.toJSON().cluster_centers;
      let diameter = 0;
      for (const x of rows)
        for (const y of rows.slice(0, 300)) diameter = Math.max(diameter, Math.sqrt(squared(x, y)));
      const centres = Math.max(...b.map((c) => Math.min(...a.map((m) => Math.sqrt(squared(m, c))))));
      const [ia, ib] = [inertia(rows, a), inertia(rows, b)];
      return { centres: centres / diameter, inertia: Math.abs(ia - ib) / ib };
    }

    it('separated clusters: every sample is assigned alike, so centres and inertia agree to rounding (1e-9)', () => {
      for (const seed of [1, 2, 3]) {
        const diff = compare(0.3, seed);
        assert.ok(diff.centres <= 1e-9 && diff.inertia <= 1e-9, `seed ${seed}: ${JSON.stringify(diff)}`);
      }
    });

    it('overlapping clusters: centres within 1% of the data diameter, inertia within 0.1% (docs/scale-out.md)', () => {
      for (const seed of [1, 2, 3]) {
        const diff = compare(1.5, seed);
        assert.ok(diff.centres <= 0.01 && diff.inertia <= 1e-3, `seed ${seed}: ${JSON.stringify(diff)}`);
        assert.ok(
          diff.centres > 1e-9,
          'overlapping clusters are not merged exactly: the bound is what is tested',
        );
      }
    });
  });
});
