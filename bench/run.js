'use strict';
// `npm run bench`: message throughput of this package's nodes in a real Node-RED runtime, each
// compared in the same run with a core `change` node, plus the costs of the math alone.
//
// A row deploys bench-source → (node under test) → bench-sink and times N messages through it.
// The hop cost of a node is the time per message beyond a source → sink flow with no node between,
// so the ratio of two hop costs compares the nodes themselves, not Node-RED's delivery; the flow
// ratio compares the whole flows (source → node → sink against source → change → sink).
// Scenario files in bench/scenarios/ add rows; BENCH_MESSAGES sets N (default 200000), BENCH_ONLY
// keeps the scenario files whose name contains it.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

const MESSAGES = Number(process.env.BENCH_MESSAGES || 200000);
const REPEATS = Number(process.env.BENCH_REPEATS || 3);
const repoRoot = path.resolve(__dirname, '..');

async function startRuntime() {
  const RED = require('node-red');
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-bench-'));
  fs.mkdirSync(path.join(userDir, 'node_modules', '@stream-ml'), { recursive: true });
  fs.symlinkSync(repoRoot, path.join(userDir, 'node_modules', '@stream-ml', 'node-red'), 'dir');
  RED.init(http.createServer(), {
    userDir,
    flowFile: 'flows.json',
    nodesDir: [path.join(__dirname, 'nodes')],
    httpAdminRoot: false,
    httpNodeRoot: false,
    credentialSecret: false,
    logging: { console: { level: 'warn', metrics: false, audit: false } },
  });
  const flowsStarted = new Promise((resolve) => RED.events.once('flows:started', resolve));
  await RED.start();
  await flowsStarted;
  return { RED, userDir };
}

let deployments = 0;

async function deploy(RED, middle) {
  // Fresh ids each time: Node-RED's rewiring of surviving nodes across deploys is not what is measured.
  const id = (name) => `${name}-${deployments}`;
  deployments += 1;
  const flows = [{ id: id('tab'), type: 'tab', label: 'bench' }];
  const next = middle ? id('mid') : id('sink');
  flows.push({ id: id('src'), type: 'bench-source', z: id('tab'), wires: [[next]] });
  if (middle) flows.push({ id: id('mid'), z: id('tab'), ...middle, wires: [[id('sink')]] });
  flows.push({ id: id('sink'), type: 'bench-sink', z: id('tab'), wires: [] });
  const started = new Promise((resolve) => RED.events.once('flows:started', resolve));
  await RED.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
  await started;
  return { source: RED.nodes.getNode(id('src')), sink: RED.nodes.getNode(id('sink')) };
}

/**
 * Median nanoseconds per message of `count` messages through the deployed flow. A node that does
 * not send one message per message (a window) gives `expected` (what the sink must count) and
 * `weigh` (what one arrival counts for).
 */
async function time(RED, middle, make, count, expected = count, weigh = undefined) {
  const { source, sink } = await deploy(RED, middle);
  const runs = [];
  for (let r = 0; r <= REPEATS; r++) {
    // If a node drops messages the sink never counts them all, and with nothing else pending
    // Node would exit silently: a deadline turns that into an error naming the row.
    let watchdog;
    const deadline = new Promise((_, reject) => {
      watchdog = setTimeout(
        () => reject(new Error(`${middle ? middle.type : 'baseline'}: messages were lost`)),
        120000,
      );
    });
    const arrived = Promise.race([sink.expect(expected, weigh), deadline]).finally(() =>
      clearTimeout(watchdog),
    );
    const begin = process.hrtime.bigint();
    await source.run(count, make);
    await arrived;
    const elapsed = Number(process.hrtime.bigint() - begin);
    if (r > 0) runs.push(elapsed / count); // the first run warms up the JIT
  }
  runs.sort((a, b) => a - b);
  return runs[Math.floor(runs.length / 2)];
}

/** A pool of distinct samples of d features, reused so generating them costs nothing measured. */
function samplePool(d, size = 1024, seed = 1) {
  let state = seed;
  const random = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return Array.from({ length: size }, () => Array.from({ length: d }, () => random() * 10));
}

const CHANGE_NODE = {
  type: 'change',
  rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'bench', tot: 'str' }],
};

function format(n, digits = 0) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main() {
  const { RED, userDir } = await startRuntime();
  const scenarios = fs
    .readdirSync(path.join(__dirname, 'scenarios'))
    .filter(
      (file) => file.endsWith('.js') && (!process.env.BENCH_ONLY || file.includes(process.env.BENCH_ONLY)),
    )
    .sort()
    .map((file) => require(path.join(__dirname, 'scenarios', file)));
  const context = { samplePool, CHANGE_NODE, MESSAGES };
  console.log(`Node-RED ${RED.version()} on Node ${process.version}, ${os.cpus()[0].model}`);
  console.log(`${MESSAGES} messages a row, median of ${REPEATS} runs after one warm-up run\n`);

  const baselineCache = new Map();
  try {
    for (const scenario of scenarios) {
      console.log(`## ${scenario.title}`);
      if (scenario.rows) {
        console.log('| row | messages/s | hop ns/msg | change hop ns/msg | hop ratio | flow ratio |');
        console.log('|---|---:|---:|---:|---:|---:|');
        for (const row of scenario.rows(context)) {
          const count = row.messages || MESSAGES;
          const key = `${row.poolKey}:${count}`;
          if (!baselineCache.has(key)) {
            const baseline = await time(RED, null, row.make, count);
            const change = await time(RED, CHANGE_NODE, row.make, count);
            baselineCache.set(key, { baseline, change });
          }
          const { baseline, change } = baselineCache.get(key);
          const expected = row.arrivals ? row.arrivals(count) : count;
          const total = await time(RED, row.node, row.make, count, expected, row.weigh);
          const hop = total - baseline;
          const changeHop = change - baseline;
          // A node that sends fewer messages than it receives (a window) spares the sink's share of
          // the baseline, so its hop ratio flatters it: the flow ratio (whole flow against the
          // same flow through a change node) is the one to read for it.
          const hopRatio = row.arrivals || row.weigh ? 'n/a' : format(hop / changeHop, 2);
          console.log(
            `| ${row.name} | ${format(1e9 / total)} | ${format(hop)} | ${format(changeHop)} | ${hopRatio} | ${format(total / change, 2)} |`,
          );
        }
      }
      if (scenario.extra) await scenario.extra(context);
      console.log('');
    }
  } finally {
    await RED.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
