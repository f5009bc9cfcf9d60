'use strict';
// The fuzz suite: seeded hostile messages, models, keys, control values, event
// times and settings thrown at every node type through a real Node-RED runtime in a child process,
// so that a crash or a hang of the runtime is detected and reported as a failure of its case.
// After each hostile message: the process is alive, the error reached a Catch node naming the
// offending field, nothing was sent, the exported model is bit-identical (windows: flush the same
// as a twin that never saw the message), no NaN/±Infinity in any output or model, and no
// prototype gained a key; every 100 cases a redeploy must save and restore every model exactly.
// The seed is fixed here; `npm run fuzz` runs the same with any seed, for longer.
const assert = require('node:assert/strict');
const { fuzzMessages, fuzzSettings, formatFailures } = require('../support/fuzz-harness');

const SEED = 20261125;
/** The first 210 cover every (node, family) pair once; the rest are drawn at random. */
const CASES = 600;

/**
 * Families excluded until their defect is fixed, each `{family, reason}` (a message family of
 * test/support/fuzz-generator.js, or `setting-<name>`). Excluded families are not generated at
 * all, so the list must shrink to nothing.
 */
const KNOWN_FAILURES = [];

describe('fuzz: hostile input through a real Node-RED runtime', function () {
  // Bounded by the number of cases, not by time; a loaded machine only makes it slower.
  this.timeout(15 * 60 * 1000);

  it(`survives ${CASES} hostile messages, models, keys and times (seed ${SEED})`, async function () {
    const run = await fuzzMessages({
      seed: SEED,
      cases: CASES,
      exclude: KNOWN_FAILURES.map((known) => known.family),
    });
    assert.equal(run.cases, CASES);
    assert.ok(run.families.size >= 20, `only ${run.families.size} families ran`);
    assert.deepEqual(run.failures, [], `\n${formatFailures(SEED, run.failures)}`);
  });

  it('refuses every hostile setting at deploy, naming it', async function () {
    const run = await fuzzSettings({ exclude: KNOWN_FAILURES.map((known) => known.family) });
    assert.ok(run.cases > 100, `only ${run.cases} hostile settings`);
    assert.deepEqual(run.failures, [], `\n${formatFailures(SEED, run.failures, 'settings')}`);
  });
});
