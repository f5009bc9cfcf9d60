'use strict';
// Many windows closing at once, through a real Node-RED runtime (node-red-node-test-helper) (issue: a long silence with many keys and empty windows on, or a
// clock jump): none is lost, each key's windows go out in order, and the work is split into
// shares of at most WINDOW_LIMITS.windowsPerCall windows, one per event-loop turn (the call that
// adds a sample also sends that sample's own key in full).
const assert = require('node:assert/strict');
const dist = require('../support/dist');
const { helper, load } = require('../support/helper');

const windowNode = dist('nodes/ml-window/ml-window');
const { WINDOW_LIMITS } = dist('lib/window');

const KEYS = 1000;
const T0 = Date.UTC(2026, 0, 1);
const GAP_MS = 10 * 60_000;
/** 2 s windows: 300 a key in the gap, 300,000 in all. */
const SIZE = 2000;
const PER_KEY = GAP_MS / SIZE;

describe('ml-window: many windows closing at once', () => {
  beforeEach(function (done) {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise((resolve) => helper.stopServer(resolve));
  });

  it('1000 keys, empty windows on, a 10-minute gap: every window sent, in order, in bounded shares', async function () {
    // Bounded by progress, not by time: a loaded machine only makes it slower.
    this.timeout(20 * 60_000);
    const t = await load(windowNode, 'ml-window', {
      mode: 'time',
      size: SIZE,
      emitEmpty: true,
      groupBy: 'key',
      keyProperty: 'topic',
      timeProperty: 'time',
      emit: 'vector',
    });
    // Count instead of keeping 300,000 messages.
    const perKey = new Map();
    let wrong = 0;
    t.seen.out = {
      push(msg) {
        const seen = perKey.get(msg.topic) ?? { count: 0, next: T0 };
        if (msg.window.start !== seen.next || msg.window.count !== (seen.next === T0 ? 1 : 0)) wrong++;
        seen.next = msg.window.start + SIZE;
        seen.count++;
        perKey.set(msg.topic, seen);
      },
    };
    // Windows sent per turn of the event loop: a ticker re-queued with setImmediate marks each turn.
    const perTurn = [0];
    let ticking = true;
    const tick = () => {
      if (perTurn[perTurn.length - 1] > 0) perTurn.push(0);
      if (ticking) setImmediate(tick);
    };
    const send = t.node.send;
    t.node.send = function (msg) {
      perTurn[perTurn.length - 1] += Array.isArray(msg) && Array.isArray(msg[0]) ? msg[0].length : 1;
      return send.call(this, msg);
    };
    const first = [];
    for (let k = 0; k < KEYS; k++) first.push({ topic: `k${k}`, time: T0 + 10, payload: k });
    await t.send(...first);
    assert.equal(perTurn[0], 0, 'nothing closes before the gap');
    setImmediate(tick);
    // One sample ten minutes later moves the stream time: every key's 300 windows close.
    await t.send({ topic: 'k0', time: T0 + GAP_MS, payload: 1 });
    const expected = KEYS * PER_KEY;
    // Until every window is in, or nothing more came for 20 s (then windows were lost).
    let progress = Date.now();
    let last = 0;
    let total = () => [...perKey.values()].reduce((s, v) => s + v.count, 0);
    while (total() < expected && Date.now() - progress < 20_000) {
      await new Promise((r) => setTimeout(r, 50));
      if (total() > last) [last, progress] = [total(), Date.now()];
    }
    await new Promise((r) => setTimeout(r, 50));
    ticking = false;

    assert.equal(t.seen.errors.length, 0, t.seen.errors.map((m) => m.error.message).join('; '));
    assert.equal(perKey.size, KEYS, 'every key sent its windows');
    for (const [key, seen] of perKey)
      assert.equal(seen.count, PER_KEY, `${key}: 1 window with the sample, ${PER_KEY - 1} empty`);
    assert.equal(wrong, 0, 'each key: consecutive windows, the first with its sample, the others empty');
    assert.equal(total(), expected);
    // The bound: no turn sent more than windowsPerCall, but the first, which also sent the
    // windows of the sample's own key (PER_KEY).
    const turns = perTurn.filter((n) => n > 0);
    const bound = WINDOW_LIMITS.windowsPerCall;
    assert.ok(turns[0] <= bound + PER_KEY, `first turn ${turns[0]}`);
    assert.ok(Math.max(...turns.slice(1)) <= bound, `largest turn ${Math.max(...turns.slice(1))} > ${bound}`);
    assert.ok(turns.length >= Math.ceil(expected / bound), `split into ${turns.length} turns`);
  });
});
