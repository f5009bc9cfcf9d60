'use strict';
// Many windows closing at once (issue: a long silence with many keys and empty windows on, or a
// clock jump): none is lost, each key's windows go out in order, and the work is split into
// shares of at most WINDOW_LIMITS.windowsPerCall windows plus one key's, one share per call.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { helper, load } = require('../../support/helper');

const windowNode = dist('nodes/ml-window/ml-window');
const { WINDOW_LIMITS, WindowEngine } = dist('lib/window');

const KEYS = 1000;
const T0 = Date.UTC(2026, 0, 1);
const GAP_MS = 10 * 60_000;

describe('ml-window: many windows closing at once', () => {
  beforeEach(function (done) {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
  });

  it('1000 keys, empty windows on, a 10-minute gap: every window sent, in order, in bounded shares', async function () {
    this.timeout(120_000);
    const t = await load(windowNode, 'ml-window', {
      mode: 'time',
      size: 1000,
      emitEmpty: true,
      groupBy: 'key',
      keyProperty: 'topic',
      timeProperty: 'time',
      emit: 'vector',
    });
    // Count instead of keeping 600,000 messages.
    const perKey = new Map();
    let wrong = 0;
    t.seen.out = {
      push(msg) {
        const seen = perKey.get(msg.topic) ?? { count: 0, next: T0 };
        if (msg.window.start !== seen.next || msg.window.count !== (seen.next === T0 ? 1 : 0)) wrong++;
        seen.next = msg.window.start + 1000;
        seen.count++;
        perKey.set(msg.topic, seen);
      },
    };
    const shares = [];
    const send = t.node.send;
    t.node.send = function (msgs) {
      shares.push(Array.isArray(msgs) && Array.isArray(msgs[0]) ? msgs[0].length : 1);
      return send.call(this, msgs);
    };
    const first = [];
    for (let k = 0; k < KEYS; k++) first.push({ topic: `k${k}`, time: T0 + 10, payload: k });
    await t.send(...first);
    assert.equal(shares.length, 0, 'nothing closes before the gap');
    // One sample ten minutes later moves the stream time: every key's 600 windows close.
    await t.send({ topic: 'k0', time: T0 + GAP_MS, payload: 1 });
    const expected = KEYS * (GAP_MS / 1000);
    const deadline = Date.now() + 100_000;
    let total = () => [...perKey.values()].reduce((s, v) => s + v.count, 0);
    while (total() < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));

    assert.equal(t.seen.errors.length, 0, t.seen.errors.map((m) => m.error.message).join('; '));
    assert.equal(perKey.size, KEYS, 'every key sent its windows');
    for (const [key, seen] of perKey)
      assert.equal(seen.count, GAP_MS / 1000, `${key}: 1 window with the sample, 599 empty`);
    assert.equal(wrong, 0, 'each key: consecutive windows, the first with its sample, the others empty');
    assert.equal(total(), expected);
    // The bound: no call sent more than windowsPerCall plus one key's windows.
    const bound = WINDOW_LIMITS.windowsPerCall + GAP_MS / 1000;
    assert.ok(Math.max(...shares) <= bound, `largest share ${Math.max(...shares)} > ${bound}`);
    assert.ok(shares.length >= Math.ceil(expected / bound), `split into ${shares.length} shares`);
  });
});

describe('WindowEngine: closing many windows at once', () => {
  it('no recursion or spread: 300,000 windows closing in one call go out in shares, none lost', () => {
    const engine = new WindowEngine({
      mode: 'time',
      size: 1000,
      emitEmpty: true,
      groupBy: 'key',
      maxKeys: 1000,
    });
    for (let k = 0; k < 1000; k++) engine.add(k, { time: T0, key: `k${k}` });
    let out = engine.advance(T0 + 300_000);
    let windows = out.windows.length;
    const shares = [windows];
    while (engine.catchingUp) {
      out = engine.resume();
      shares.push(out.windows.length);
      windows += out.windows.length;
    }
    assert.equal(windows, 300_000);
    assert.ok(Math.max(...shares) <= WINDOW_LIMITS.windowsPerCall + 300);
    assert.ok(shares.length >= 300_000 / (WINDOW_LIMITS.windowsPerCall + 300));
    assert.equal(engine.bufferedSamples, 0);
  });

  it('a key with a new sample while catching up sends its closed windows first, without the sample', () => {
    const engine = new WindowEngine({
      mode: 'time',
      size: 1000,
      emitEmpty: true,
      groupBy: 'key',
      maxKeys: 1000,
      time: 'event',
    });
    for (let k = 0; k < 1000; k++) engine.add(k, { time: T0 + 1, key: `k${k}` });
    const first = engine.add(-1, { time: T0 + 100_000, key: 'k0' });
    assert.ok(engine.catchingUp, 'more than one share closed');
    // k999 is still queued: its own windows close before its new sample joins a window.
    const own = engine.add(999, { time: T0 + 100_500, key: 'k999' });
    const k999 = own.windows.filter((w) => w.key === 'k999');
    assert.equal(k999.length, 100);
    assert.equal(k999[0].count, 1);
    assert.ok(k999.every((w) => w.end <= T0 + 100_000));
    let total = first.windows.length + own.windows.length;
    while (engine.catchingUp) total += engine.resume().windows.length;
    assert.equal(total, 100_000);
    // Both new samples are in the next window of their key.
    const next = engine.flush();
    assert.deepEqual(
      next.windows.filter((w) => w.count > 0).map((w) => [w.key, w.count]),
      [
        ['k0', 1],
        ['k999', 1],
      ],
    );
  });

  it('emitEmpty is bounded at deploy: maxKeys × 1000 / step ≤ emptyWindowsPerSecond', () => {
    assert.throws(
      () => new WindowEngine({ mode: 'time', size: 1000, emitEmpty: true, groupBy: 'key', maxKeys: 1e6 }),
      /could send 1000000 empty windows a second, more than 10000: lower maxKeys to 10000 or below, or set a step of at least 100000 ms/,
    );
    // Without keys, or without emitEmpty, the same settings stand.
    new WindowEngine({ mode: 'time', size: 1000, emitEmpty: true, maxKeys: 1e6 });
    new WindowEngine({ mode: 'time', size: 1000, groupBy: 'key', maxKeys: 1e6 });
    new WindowEngine({ mode: 'time', size: 100_000, emitEmpty: true, groupBy: 'key', maxKeys: 1e6 });
  });
});
