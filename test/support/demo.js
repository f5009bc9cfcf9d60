'use strict';
// The `npm start` demo as the browser tests run it, and the palettes every dashboard of the
// project uses (README, docs/nodes.md, docs/dashboard1.md).
const { spawn } = require('node:child_process');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..');

/** Colour of cluster index i: CLUSTER_COLOURS[i % 10]. */
const CLUSTER_COLOURS = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
/** Machines m1, m2, m3: a palette apart from the clusters'. */
const MACHINE_COLOURS = ['#332288', '#117733', '#882255'];
/** Every statistical limit line. */
const LIMIT_COLOUR = '#888888';

/**
 * Starts `node demo/start.js` with `env` added to this process's environment.
 * @returns `{child, ready, output}`: `ready` resolves to the dashboard URL once printed.
 */
function startDemo(env, timeoutMs = 60000) {
  const child = spawn(process.execPath, [path.join(repoRoot, 'demo', 'start.js')], {
    env: { ...process.env, NR_LOG: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${output}`)), timeoutMs);
    const onData = (chunk) => {
      output += chunk;
      const match = /Dashboard: (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with ${code}:\n${output}`));
    });
  });
  return { child, ready, output: () => output };
}

/** Stops the demo with Ctrl-C (SIGINT); resolves to how it exited, or 'timeout' after 15 s. */
async function interrupt(demo) {
  const exited = new Promise((resolve) =>
    demo.child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  demo.child.kill('SIGINT');
  return Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 15000))]);
}

module.exports = { CLUSTER_COLOURS, LIMIT_COLOUR, MACHINE_COLOURS, interrupt, startDemo };
