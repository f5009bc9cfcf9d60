'use strict';
// Forged shares, as a hostile user with access to the MQTT broker would send them
// (docs/scale-out.md, "Trust"). Each attack leaves the models and the outputs as they were and
// produces an error (to a Catch node) or a warning that names its cause.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { helper, load } = require('../../support/helper');

const { Standardizer } = dist('lib/standardize');
const { StreamingPCA } = dist('lib/pca');
const standardizeNode = dist('nodes/ml-standardize/ml-standardize');
const pcaNode = dist('nodes/ml-pca/ml-pca');
const { MAX_PEERS, ModelStore } = dist('nodes/shared/learner/model-store');
const { MAX_SHARE_SAMPLES, PEER_RATE, PEER_WEIGHT, signShare } = dist('nodes/shared/learner/share-trust');
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const SECRET = 'fleet-secret';
const rows = (n, offset = 0) =>
  Array.from({ length: n }, (_, i) => [offset + Math.sin(i), offset + Math.cos(3 * i), offset + (i % 7) / 7]);

/** A standardize model of `data` as instance `instance` shares it for `key`. */
function share(data, instance, key = '') {
  const model = new Standardizer({ dimension: data[0].length, features: null }, {});
  for (const row of data) model.learnOne(row);
  return { ...model.toJSON(), instance, key };
}

/** The issue's forged share: a huge count and means of 1e6. */
function forged(instance, key = '', count = 1e15) {
  const model = share(rows(5), instance, key);
  return { ...model, n_samples_seen: count, mean: model.mean.map(() => 1e6) };
}

const topicOf = (instance, key = '') =>
  `stream-ml/models/${instance}/${key === '' ? '_' : encodeURIComponent(key)}`;
const signed = (model, seq, secret = SECRET) => {
  const body = { ...model, seq };
  return { ...body, sig: signShare(secret, body) };
};
const warnings = (t) => t.node.warn.args.map((args) => String(args[0]));
const errors = (t) => t.seen.errors.map((e) => e.error.message);

/** Learns `data`, then returns what a probe row becomes and the exported model. */
async function probe(t, extra = {}) {
  const before = t.seen.out.length;
  await t.send({ payload: [0.5, 0.5, 0.5], learn: false, ...extra });
  const out = t.seen.out.slice(before).map((m) => m.payload);
  const models = await t.exported();
  return { out, models };
}

describe('scale-out trust: forged shares change nothing and are named', () => {
  beforeEach(function (done) {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
  });

  describe('a model on the data input', () => {
    it('sharing off (the default): a bad sample naming receiveShares, on any topic, as object or text', async () => {
      const t = await load(standardizeNode, 'ml-standardize', { instance: 'a' });
      await t.send(...rows(20).map((payload) => ({ payload })));
      const before = await probe(t);
      await t.send(
        { topic: 'factory-rows/m1', payload: forged('intruder') },
        { topic: topicOf('intruder'), payload: JSON.stringify(forged('intruder')) },
        { payload: forged('a') },
        { model: forged('intruder') },
      );
      assert.equal(errors(t).length, 4, JSON.stringify(errors(t)));
      for (const text of errors(t)) assert.match(text, /does not take shares.*receiveShares/);
      assert.deepEqual(await probe(t), before, 'outputs and models as they were');
    });

    it('sharing on: a share on a data topic is refused, naming the topic it belongs on', async () => {
      const t = await load(standardizeNode, 'ml-standardize', { instance: 'a', receiveShares: true });
      await t.send(...rows(20).map((payload) => ({ payload })));
      const before = await probe(t);
      await t.send({ topic: 'factory-rows/m1', payload: share(rows(3), 'b') });
      assert.match(
        errors(t)[0],
        /arrived on topic "factory-rows\/m1", not on its own topic "stream-ml\/models\/b\/_"/,
      );
      assert.deepEqual(await probe(t), before);
    });
  });

  describe('without a secret: plausibility limits', () => {
    it("the issue's forged share (n = 1e15, means 1e6) is refused; PCA still flags a far point", async () => {
      const t = await load(pcaNode, 'ml-pca', { instance: 'a', receiveShares: true, components: '2' });
      const data = rows(200);
      await t.send(...data.map((payload) => ({ payload })));
      const far = { payload: [5, -5, 5], learn: false };
      await t.send(far);
      const flagged = t.seen.out.at(-1).pca;
      assert.equal(flagged.anomaly, true, 'the far point is an anomaly before');
      const pca = new StreamingPCA({ dimension: 3, features: null }, { components: 2 });
      for (const row of rows(5)) pca.learnOne(row);
      const attack = { ...pca.toJSON(), instance: 'intruder', key: '', n_samples_seen: 1e15 };
      attack.mean = attack.mean.map(() => 1e6);
      await t.send({ topic: topicOf('intruder'), payload: attack });
      assert.equal(errors(t).length, 1);
      assert.match(
        errors(t)[0],
        /claims 1000000000000000 samples, more than the \d+ a share may claim: refused/,
      );
      await t.send(far);
      assert.deepEqual(t.seen.out.at(-1).pca, flagged, 'T², SPE and the verdict as they were');
    });

    it('a new peer weighing more than PEER_WEIGHT times the rest of the key is refused', async () => {
      const t = await load(standardizeNode, 'ml-standardize', { instance: 'a', receiveShares: true });
      await t.send(...rows(20).map((payload) => ({ payload })));
      const before = await probe(t);
      await t.send({ topic: topicOf('intruder'), payload: forged('intruder', '', 20 * PEER_WEIGHT + 1) });
      assert.match(errors(t)[0], /new to this key, claims 20001 samples, more than 1000 times the 20 /);
      assert.deepEqual(await probe(t), before);
      // An honest peer of about the same weight joins.
      await t.send({ topic: topicOf('b'), payload: share(rows(30, 1), 'b') });
      assert.equal(errors(t).length, 1);
      assert.equal((await t.exported())[0].n_samples_seen, 50);
    });

    it('impersonation: a share for a known peer whose count grows faster than PEER_RATE allows is refused', async () => {
      const t = await load(standardizeNode, 'ml-standardize', { instance: 'a', receiveShares: true });
      await t.send(...rows(20).map((payload) => ({ payload })));
      await t.send({ topic: topicOf('b'), payload: share(rows(20, 1), 'b') });
      const before = await probe(t);
      await t.send({ topic: topicOf('b'), payload: forged('b', '', 20 + 2 * PEER_RATE) });
      assert.match(errors(t)[0], /instance "b".*up from 20 in 1 s: more than 100000 samples\/s/);
      assert.deepEqual(await probe(t), before, 'b keeps its contribution');
      // b's own next share, a little larger, still replaces.
      await t.send({ topic: topicOf('b'), payload: share(rows(25, 1), 'b') });
      assert.equal((await t.exported())[0].n_samples_seen, 45);
    });

    it('a peer restored after a redeploy is judged as a new one: what it learned meanwhile is taken', async () => {
      // Node-RED keeps a node's context across a redeploy only with a context store configured.
      helper.settings({ contextStorage: { default: { module: 'memory' } } });
      try {
        const t = await load(standardizeNode, 'ml-standardize', { instance: 'a', receiveShares: true });
        await helper._redNodes.loadContextsPlugin();
        const flow = helper._redNodes.getFlows().flows;
        await helper.setFlows(flow, 'full');
        let drive = attach();
        await drive.send({ payload: rows(1000) }, { topic: topicOf('b'), payload: share(rows(20, 1), 'b') });
        const { entryName } = dist('nodes/shared/learner/persistence');
        const saved = () => helper.getNode('n1').context().get(entryName(''));
        // Saved as JSON text, the peers beside the own model.
        for (let i = 0; !String(saved() ?? '').includes('"peers"'); i++) {
          assert.ok(i < 200, 'the models were saved');
          await wait(50);
        }
        await helper.setFlows(flow, 'full');
        drive = attach();
        // While this node was down, b learned far more than PEER_RATE allows in the second since.
        const grown = 20 + 5 * PEER_RATE;
        await drive.send({ topic: topicOf('b'), payload: forged('b', '', grown) });
        assert.deepEqual(drive.errors, [], 'judged against the rest of the key, not against a stale count');
        await drive.send({ export: true });
        assert.equal(drive.models.at(-1).payload.n_samples_seen, 1000 + grown);
        assert.ok(t.node !== helper.getNode('n1'), 'a new node');
      } finally {
        helper.settings({});
      }
      /** Sends to the node of the flow now deployed and waits until each message completed or failed. */
      function attach() {
        const node = helper.getNode('n1');
        const seen = { errors: [], completed: 0, models: [] };
        helper.getNode('errors').on('input', (msg) => seen.errors.push(msg.error.message));
        helper.getNode('completed').on('input', () => (seen.completed += 1));
        helper.getNode('models').on('input', (msg) => seen.models.push(msg));
        return {
          errors: seen.errors,
          models: seen.models,
          async send(...msgs) {
            const count = seen.errors.length + seen.completed + msgs.length;
            for (const msg of msgs) node.receive(msg);
            while (seen.errors.length + seen.completed < count) await wait(5);
          },
        };
      }
    });

    it('the largest valid count is refused, so later samples still learn', async () => {
      const t = await load(standardizeNode, 'ml-standardize', { instance: 'a', receiveShares: true });
      await t.send({ payload: [1, 2, 3] });
      await t.send({ topic: topicOf('x'), payload: forged('x', '', Number.MAX_SAFE_INTEGER) });
      await t.send({ topic: topicOf('y'), payload: forged('y', '', MAX_SHARE_SAMPLES + 1) });
      assert.equal(errors(t).length, 2);
      await t.send(...rows(10).map((payload) => ({ payload })));
      assert.equal(errors(t).length, 2, 'no "send msg.reset" for later samples');
      assert.equal((await t.exported())[0].n_samples_seen, 11);
    });

    it("a share claiming this instance's id never replaces the own model, with a warning naming the cause", async () => {
      const t = await load(standardizeNode, 'ml-standardize', { instance: 'a', receiveShares: true });
      await t.send(...rows(20).map((payload) => ({ payload })));
      const before = await probe(t);
      await t.send({ topic: topicOf('a'), payload: forged('a', '', 1e6) });
      assert.deepEqual(errors(t), []);
      assert.match(
        warnings(t).at(-1),
        /claims this instance's id "a".*1000000 samples.*never replaces the own model/,
      );
      assert.deepEqual(await probe(t), before);
    });

    it('key flood: shares never evict a key learned from data; share-made keys make room for each other', async () => {
      const t = await load(standardizeNode, 'ml-standardize', {
        instance: 'a',
        receiveShares: true,
        keyProperty: 'topic',
        maxKeys: 3,
      });
      await t.send({ topic: 'd1', payload: [1, 2, 3] }, { topic: 'd2', payload: [2, 3, 4] });
      const flood = Array.from({ length: 10 }, (_, i) => ({
        topic: topicOf('b', `f${i}`),
        payload: share(rows(2), 'b', `f${i}`),
      }));
      await t.send(...flood);
      assert.deepEqual(errors(t), [], 'the one free key is taken by share after share');
      // A new key learned from data takes the place of a share-made key, not of d1.
      await t.send({ topic: 'd3', payload: [3, 4, 5] });
      const flood2 = flood.map((m) => ({
        ...m,
        topic: m.topic.replace('/b/', '/c/'),
        payload: { ...m.payload, instance: 'c' },
      }));
      await t.send(...flood2);
      assert.equal(errors(t).length, 10);
      assert.match(errors(t)[0], /every one of the maxKeys keys holds a model learned from data here/);
      const exported = await t.send({ export: true });
      const keys = exported.models
        .slice(-3)
        .map((m) => m.topic)
        .sort();
      assert.deepEqual(keys, ['d1', 'd2', 'd3'], 'every key learned from data is kept');
    });

    it('a node without keys refuses a share of another key: its only model stays', async () => {
      const t = await load(standardizeNode, 'ml-standardize', { instance: 'a', receiveShares: true });
      await t.send(...rows(20).map((payload) => ({ payload })));
      const before = await probe(t);
      await t.send({ topic: topicOf('b', 'x'), payload: share(rows(3), 'b', 'x') });
      assert.match(errors(t)[0], /for key "x", but this node keeps one model/);
      assert.deepEqual(await probe(t), before);
    });

    it('a forged model of another dimension does not block a new key: its first own sample drops it, with a warning', async () => {
      const t = await load(standardizeNode, 'ml-standardize', {
        instance: 'a',
        receiveShares: true,
        keyProperty: 'topic',
      });
      const wide = share([[1, 2, 3, 4, 5]], 'intruder', 'm1');
      await t.send({ topic: topicOf('intruder', 'm1'), payload: wide });
      await t.send({ topic: 'm1', payload: [1, 2] }, { topic: 'm1', payload: [3, 5] });
      assert.deepEqual(errors(t), []);
      assert.match(warnings(t).at(-1), /key "m1" held only the shares of "intruder".*dropped them/);
      await t.send({ topic: 'm1', export: true });
      assert.equal(t.seen.models.at(-1).payload.n_samples_seen, 2);
      assert.equal(t.seen.models.at(-1).payload.n_features_in, 2);
    });

    it('id flood: made-up ids fill the peers of a key, and a real new instance gets in once they are stale', async () => {
      const t = await load(standardizeNode, 'ml-standardize', {
        instance: 'a',
        receiveShares: true,
        // Stale after three intervals, 6 s: longer than sending the flood takes on a loaded machine.
        shareEvery: 2,
      });
      await t.send({ payload: [1, 2, 3] });
      const ids = Array.from({ length: MAX_PEERS }, (_, i) => `fake${i}`);
      await t.send(...ids.map((id) => ({ topic: topicOf(id), payload: share([[i(id), 0, 0]], id) })));
      assert.deepEqual(errors(t), []);
      // Within three share intervals a made-up id still counts: the real one must wait.
      await t.send({ topic: topicOf('real'), payload: share([[1, 1, 1]], 'real') });
      assert.equal(errors(t).length, 1);
      assert.match(errors(t)[0], /at most 1000 peers/);
      await wait(6100);
      await t.send({ topic: topicOf('real'), payload: share([[1, 1, 1]], 'real') });
      assert.equal(errors(t).length, 1, 'the real instance replaced the stalest made-up id');
      assert.equal((await t.exported())[0].n_samples_seen, 1 + MAX_PEERS);
      function i(id) {
        return Number(id.slice(4));
      }
    });

    it('fresh-id flood over keys: at most MAX_PEERS instances are known at once; memory stays bounded', async () => {
      const t = await load(standardizeNode, 'ml-standardize', {
        instance: 'a',
        receiveShares: true,
        keyProperty: 'topic',
        maxKeys: 5,
      });
      await t.send({ topic: 'k0', payload: [1, 2, 3] });
      const count = MAX_PEERS + 50;
      const flood = Array.from({ length: count }, (_, i) => ({
        topic: topicOf(`id${i}`, `k${i % 5}`),
        payload: share([[1, 2, 3]], `id${i}`, `k${i % 5}`),
      }));
      await t.send(...flood);
      assert.equal(errors(t).length, 50);
      assert.match(errors(t)[0], /would make more than 1000 instances known/);
      let peers = 0;
      const exported = await t.send({ export: true });
      for (const m of exported.models.slice(-5)) peers += m.payload.n_samples_seen;
      assert.equal(peers, 1 + MAX_PEERS, 'exactly the MAX_PEERS accepted ids and the own sample');
      // Forgetting instances makes room again.
      await t.send(...Array.from({ length: 10 }, (_, i) => ({ forget: `id${i}` })));
      await wait(1100);
      await t.send({ topic: topicOf('late', 'k1'), payload: share([[1, 2, 3]], 'late', 'k1') });
      assert.equal(errors(t).length, 50);
    });
  });

  describe('with a shared secret', () => {
    const settings = { instance: 'a', receiveShares: true };
    const credentials = { shareSecret: SECRET };

    it('unsigned and wrongly signed shares are refused; replays of an older sequence are ignored', async () => {
      const t = await load(standardizeNode, 'ml-standardize', settings, credentials);
      await t.send(...rows(20).map((payload) => ({ payload })));
      await t.send({ topic: topicOf('b'), payload: signed(share(rows(10, 1), 'b'), 5) });
      assert.deepEqual(errors(t), []);
      const before = await probe(t);
      const b2 = share(rows(12, 1), 'b');
      await t.send(
        { topic: topicOf('b'), payload: share(rows(12, 1), 'b') },
        { topic: topicOf('b'), payload: signed(b2, 6, 'not-the-secret') },
        { topic: topicOf('b'), payload: { ...signed(b2, 6), n_samples_seen: 11 } },
        { topic: topicOf('intruder'), payload: forged('intruder') },
      );
      assert.equal(errors(t).length, 4);
      assert.match(errors(t)[0], /carries no signature.*Share secret/);
      assert.match(errors(t)[1], /wrong signature/);
      assert.match(errors(t)[2], /wrong signature/);
      assert.match(errors(t)[3], /carries no signature/);
      assert.deepEqual(await probe(t), before);
      // A replay of an older share (seq 4 < 5) is ignored, without an error.
      await t.send({ topic: topicOf('b'), payload: signed(share(rows(3, 1), 'b'), 4) });
      assert.equal(errors(t).length, 4);
      assert.deepEqual(await probe(t), before);
      await t.send({ topic: topicOf('b'), payload: signed(b2, 6) });
      assert.equal((await t.exported())[0].n_samples_seen, 32);
    });

    it('the shares it sends are signed, and a peer with the same secret believes them', async () => {
      const t = await load(standardizeNode, 'ml-standardize', { ...settings, shareEvery: 0.05 }, credentials);
      await t.send({ payload: [1, 2, 3] });
      await wait(150);
      const sent = t.seen.models.filter((m) => m.retain).at(-1).payload;
      assert.equal(typeof sent.seq, 'number');
      assert.match(sent.sig, /^[0-9a-f]{64}$/);
      const { sig, ...body } = sent;
      assert.equal(sig, signShare(SECRET, body));
    });

    it('a signed share that breaks a plausibility limit is believed, with a warning naming it', async () => {
      const t = await load(standardizeNode, 'ml-standardize', settings, credentials);
      await t.send({ payload: [1, 2, 3] });
      await t.send({ topic: topicOf('big'), payload: signed(share(rows(2000), 'big'), 1) });
      assert.deepEqual(errors(t), []);
      assert.match(warnings(t).at(-1), /new to this key, claims 2000 samples/);
      assert.equal((await t.exported())[0].n_samples_seen, 2001);
    });
  });
});

describe('scale-out: the merged model is rebuilt at most once per share interval', () => {
  const counted = (n) => ({ samplesSeen: n });
  const add = (a, b) => counted(a.samplesSeen + b.samplesSeen);

  it('learning marks it stale: it follows within the interval, and current() is always up to date', async () => {
    let merges = 0;
    const store = new ModelStore(
      10,
      (a, b) => (merges++, add(a, b)),
      () => {},
      200,
    );
    const entry = store.obtain('k');
    entry.own = counted(1);
    entry.peers.set('p', counted(5));
    assert.equal(entry.effective().samplesSeen, 6);
    const built = merges;
    for (let i = 2; i <= 100; i++) {
      entry.own = counted(i);
      entry.learned();
      assert.equal(entry.effective().samplesSeen, 6, 'not rebuilt per sample');
    }
    assert.equal(merges, built, 'no merge for 99 samples within the interval');
    assert.equal(entry.current().samplesSeen, 105, 'an export sees every sample');
    entry.own = counted(200);
    entry.learned();
    await wait(250);
    assert.equal(entry.effective().samplesSeen, 205, 'rebuilt once the interval passed');
  });
});
