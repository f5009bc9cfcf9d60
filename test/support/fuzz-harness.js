'use strict';
// Drives the fuzz suite from outside the Node-RED process under test (test/support/fuzz-child.js):
// one case at a time, each under a deadline. A crash (the process exits) or a hang (no answer in
// time: the process is killed) is recorded as a failure of the case in flight, and a fresh runtime
// continues with the next case, so that one fatal message does not hide the others.
const { fork } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/**
 * A fresh user directory with the package installed as a link: this checkout, or the one
 * FUZZ_PACKAGE_ROOT names (to try the suite on another build without switching branches).
 */
function makeUserDir() {
  const root = process.env.FUZZ_PACKAGE_ROOT || path.resolve(__dirname, '..', '..');
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-fuzz-'));
  fs.mkdirSync(path.join(userDir, 'node_modules', '@stream-ml'), { recursive: true });
  fs.symlinkSync(path.resolve(root), path.join(userDir, 'node_modules', '@stream-ml', 'node-red'), 'dir');
  return userDir;
}

const CHILD = require.resolve('./fuzz-child');
const STDERR_LINES = 40;

class FuzzRuntime {
  constructor(mode, seed, exclude) {
    this.userDir = makeUserDir();
    this.stderr = [];
    this.child = fork(CHILD, [this.userDir, mode, String(seed), exclude.join(',')], {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      // Enough heap for a hostile 4e6-feature model to be refused or handled, not for a leak.
      execArgv: ['--max-old-space-size=2048'],
    });
    this.child.stderr.on('data', (chunk) => {
      this.stderr.push(...String(chunk).split('\n').filter(Boolean));
      if (this.stderr.length > STDERR_LINES) this.stderr.splice(0, this.stderr.length - STDERR_LINES);
    });
    this.exit = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    this.inbox = [];
    this.waiter = null;
    this.lastProgress = null;
    this.child.on('message', (message) => {
      if (message.type === 'progress') {
        this.lastProgress = message.description;
        return;
      }
      if (this.waiter) {
        const waiter = this.waiter;
        this.waiter = null;
        waiter(message);
      } else this.inbox.push(message);
    });
  }

  /**
   * Sends a request and waits for its answer.
   * @returns `{message}`, or `{crash}` when the process exited, or `{hang}` after `ms` (then the
   *   process is killed).
   */
  async ask(request, ms) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return { crash: `the runtime was already gone (${this.child.exitCode ?? this.child.signalCode})` };
    }
    const answer = this.inbox.length
      ? Promise.resolve(this.inbox.shift())
      : new Promise((resolve) => {
          this.waiter = resolve;
        });
    if (request) this.child.send(request);
    let timer;
    const outcome = await Promise.race([
      answer.then((message) => ({ message })),
      this.exit.then(({ code, signal }) => ({
        crash: `Node-RED exited (${signal || `code ${code}`}): ${this.stderr.slice(-12).join(' | ').slice(0, 1500)}`,
      })),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve({ hang: `no answer within ${ms / 1000} s: Node-RED hung` }), ms);
      }),
    ]);
    clearTimeout(timer);
    this.waiter = null;
    if (outcome.hang) this.child.kill('SIGKILL');
    if (outcome.message && outcome.message.type === 'broken') {
      return { crash: `the fuzz driver broke: ${outcome.message.error}` };
    }
    return outcome;
  }

  async close() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const stopped = await this.ask({ type: 'stop' }, 20000);
      if (!stopped.message) this.child.kill('SIGKILL');
      await this.exit;
    }
    fs.rmSync(this.userDir, { recursive: true, force: true });
  }
}

/** A one-line command that replays a failure. */
function reproLine(seed, failure, phase) {
  if (phase === 'settings') return `FUZZ_SETTING=${failure.index} npm run fuzz`;
  return `FUZZ_SEED=${seed} FUZZ_CASES=${failure.index + 1} npm run fuzz`;
}

/**
 * Runs the hostile-message cases `0 … cases-1` of `seed`.
 * @param {object} options
 * @param {number} options.seed
 * @param {number} options.cases
 * @param {string[]} [options.exclude] family names not to generate (known failures).
 * @param {number} [options.checkpointEvery] cases between redeploys (save and restore checked).
 * @param {number} [options.caseTimeoutMs] a case taking longer is a hang.
 * @param {(line: string) => void} [options.log]
 * @returns {Promise<{failures: object[], cases: number, skipped: number, restarts: number, families: Map}>}
 */
async function fuzzMessages({
  seed,
  cases,
  exclude = [],
  checkpointEvery = 100,
  caseTimeoutMs = 60000,
  log = () => {},
}) {
  const failures = [];
  const families = new Map();
  let skipped = 0;
  let restarts = -1;
  let runtime;
  const start = async () => {
    restarts += 1;
    runtime = new FuzzRuntime('messages', seed, exclude);
    const up = await runtime.ask(null, 120000);
    if (!up.message || up.message.type !== 'started')
      throw new Error(`Node-RED did not start: ${up.crash || up.hang}`);
    const warm = await runtime.ask({ type: 'warmup' }, 120000);
    if (!warm.message) throw new Error(`Node-RED failed during warm-up: ${warm.crash || warm.hang}`);
    for (const failure of warm.message.failures)
      failures.push({ index: -1, family: 'warm-up', failures: [failure] });
    return up.message;
  };
  const info = await start();
  log(`Node-RED ${info.version}: ${info.covers} (target, family) pairs covered by the first cases`);
  try {
    for (let index = 0; index < cases; index++) {
      runtime.lastProgress = null;
      const answer = await runtime.ask({ type: 'case', index }, caseTimeoutMs);
      if (answer.message) {
        const result = answer.message.result;
        if (result.ms > 2000) log(`slow case ${index} (${result.ms} ms): ${result.description}`);
        if (result.skipped) skipped += 1;
        else families.set(result.family, (families.get(result.family) || 0) + 1);
        if (result.failures.length > 0) {
          failures.push(result);
          log(`FAIL case ${index} (${result.description}): ${result.failures.join('; ')}`);
          log(`  repro: ${reproLine(seed, result)}`);
        }
      } else {
        const failure = {
          index,
          family: 'process',
          description: runtime.lastProgress || `case ${index}`,
          failures: [answer.crash || answer.hang],
        };
        failures.push(failure);
        log(
          `FAIL case ${index} (${failure.description}): ${failure.failures[0]}\n  repro: ${reproLine(seed, failure)}`,
        );
        await runtime.close();
        await start();
      }
      if ((index + 1) % checkpointEvery === 0 || index === cases - 1) {
        const checked = await runtime.ask({ type: 'checkpoint' }, caseTimeoutMs);
        const problems = checked.message ? checked.message.failures : [checked.crash || checked.hang];
        if (problems.length > 0) {
          const failure = {
            index,
            family: 'redeploy',
            description: `save and restore after case ${index}`,
            failures: problems,
          };
          failures.push(failure);
          log(
            `FAIL redeploy after case ${index}: ${problems.join('; ')}\n  repro: ${reproLine(seed, failure)}`,
          );
          if (!checked.message) {
            await runtime.close();
            await start();
          }
        }
      }
    }
  } finally {
    await runtime.close();
  }
  return { failures, cases, skipped, restarts, families };
}

/**
 * Deploys every hostile setting (or only `only`), `batch` nodes a deploy; a batch that crashes or
 * hangs the runtime is run again one node a deploy, to name the setting that did it.
 */
async function fuzzSettings({ only, exclude = [], batch = 24, caseTimeoutMs = 60000, log = () => {} } = {}) {
  const failures = [];
  let runtime;
  let total;
  let families;
  const start = async () => {
    runtime = new FuzzRuntime('settings', 0, []);
    const up = await runtime.ask(null, 120000);
    if (!up.message) throw new Error(`Node-RED did not start: ${up.crash || up.hang}`);
    total = up.message.settings.length;
    families = up.message.settings;
  };
  await start();
  const indexes = (only === undefined ? [...Array(total).keys()] : [only]).filter(
    (index) => !exclude.includes(families[index]),
  );
  const batches = [];
  for (let i = 0; i < indexes.length; i += batch) batches.push(indexes.slice(i, i + batch));
  try {
    while (batches.length > 0) {
      const group = batches.shift();
      const answer = await runtime.ask({ type: 'settings', indexes: group }, caseTimeoutMs);
      if (answer.message) {
        for (const result of answer.message.results) {
          if (result.failures.length === 0) continue;
          failures.push(result);
          log(`FAIL setting ${result.index} (${result.description}): ${result.failures.join('; ')}`);
          log(`  repro: ${reproLine(0, result, 'settings')}`);
        }
      } else if (group.length > 1) {
        batches.unshift(...group.map((index) => [index]));
        await runtime.close();
        await start();
      } else {
        const failure = {
          index: group[0],
          family: 'setting',
          description: `setting case ${group[0]}`,
          failures: [answer.crash || answer.hang],
        };
        failures.push(failure);
        log(
          `FAIL setting ${group[0]}: ${failure.failures[0]}\n  repro: ${reproLine(0, failure, 'settings')}`,
        );
        await runtime.close();
        await start();
      }
    }
  } finally {
    await runtime.close();
  }
  return { failures, cases: indexes.length };
}

/** A failure list as text, one case per paragraph with its repro line. */
function formatFailures(seed, failures, phase) {
  return failures
    .map(
      (f) =>
        `case ${f.index} [${f.family}${f.target ? ` on ${f.target}` : ''}] ${f.description || ''}\n` +
        f.failures.map((line) => `    - ${line}`).join('\n') +
        `\n    repro: ${reproLine(seed, f, phase)}`,
    )
    .join('\n');
}

module.exports = { fuzzMessages, fuzzSettings, formatFailures };
