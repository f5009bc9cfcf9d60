'use strict';
// Waiting on a condition instead of a fixed sleep: a test resumes as soon as what it waits for
// (a timer's save, a status redraw, a message through a broker) has happened, and fails with the
// last reason when it does not happen in time.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `check` until it passes: it fails by throwing (an assertion) or by returning `false`.
 * Resolves with what `check` returned; after `timeout` ms rejects with the last assertion, or
 * with "timed out waiting for <what>".
 */
async function eventually(check, { timeout = 5000, interval = 20, what = 'a condition' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    let failure;
    try {
      const result = await check();
      if (result !== false) return result;
      failure = new Error(`timed out after ${timeout} ms waiting for ${what}`);
    } catch (err) {
      failure = err;
    }
    if (Date.now() > deadline) throw failure;
    await sleep(interval);
  }
}

module.exports = { eventually, sleep };
