'use strict';
// `npm run bench`: message throughput of this package's nodes in a real Node-RED runtime, each
// compared in the same run with a core `change` node, plus the costs of the math alone.
//
// A row deploys bench-source → (node under test) → bench-sink and times N messages through it.
// The hop cost of a node is the time per message beyond a source → sink flow with no node between,
// so the ratio of two hop costs compares the nodes themselves, not Node-RED's delivery; the flow
// ratio compares the whole flows (source → node → sink against source → change → sink).
// Scenario files in bench/scenarios/ add rows; BENCH_MESSAGES sets N (default 200000), BENCH_ONLY
// keeps the scenario files whose name contains it (BENCH_ONLY=soak: the soak benchmark alone, see
// bench/soak.js; BENCH_ONLY=skab: verdicts on real data, see bench/scenarios/70-skab.js;
// BENCH_ONLY=demo: the demo's verdicts against its simulator, see bench/scenarios/75-demo-verdicts.js).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');

const MESSAGES = Number(process.env.BENCH_MESSAGES || 200000);
const REPEATS = Number(process.env.BENCH_REPEATS || 5);
const repoRoot = path.resolve(__dirname, '..');

/**
 * Listeners that see the runtime's warnings and errors before they are printed; one that returns
 * true has dealt with the entry, which is then not printed (a scenario that counts a node's
 * expected warnings instead of printing thousands of them).
 */
const logListeners = new Set();

/** Node-RED's log entry as its console logger prints it, unless a listener took it. */
function logEntry(entry) {
  for (const listener of logListeners) if (listener(entry)) return;
  const names = { 10: 'fatal', 20: 'error', 30: 'warn', 40: 'info' };
  const source = entry.type ? `[${entry.type}:${entry.name || entry.id}] ` : '';
  const text = entry.msg && entry.msg.message ? entry.msg.message : entry.msg;
  console.log(`[${names[entry.level] || entry.level}] ${source}${text}`);
}

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
    logging: { bench: { level: 'warn', metrics: false, audit: false, handler: () => logEntry } },
  });
  const flowsStarted = new Promise((resolve) => RED.events.once('flows:started', resolve));
  await RED.start();
  await flowsStarted;
  return { RED, userDir };
}

let deployments = 0;

/**
 * Deploys one chain per entry of `middles` (null: source straight to sink; a node's settings; or an
 * array of them, wired in series), side by side, so that a row's flows can be timed in alternation
 * on the same deployment.
 */
async function deploy(RED, middles) {
  // Fresh ids each time: Node-RED's rewiring of surviving nodes across deploys is not what is measured.
  const tab = `tab-${deployments}`;
  const flows = [{ id: tab, type: 'tab', label: 'bench' }];
  const chains = middles.map((middle, c) => {
    const id = (name) => `${name}-${deployments}-${c}`;
    // A middle is one node or an array of nodes wired one after the other.
    const nodes = middle ? [].concat(middle) : [];
    const ids = nodes.map((_, m) => id(`mid${m}`));
    flows.push({ id: id('src'), type: 'bench-source', z: tab, wires: [[ids[0] || id('sink')]] });
    // `outputs: 2` (a learner node): its second output (models) is there but unwired, as the
    // editor saves it.
    nodes.forEach((node, m) => {
      const next = [ids[m + 1] || id('sink')];
      flows.push({ id: ids[m], z: tab, ...node, wires: node.outputs === 2 ? [next, []] : [next] });
    });
    flows.push({ id: id('sink'), type: 'bench-sink', z: tab, wires: [] });
    const label = nodes.length ? nodes.map((node) => node.type).join(' → ') : 'baseline';
    return { src: id('src'), sink: id('sink'), label, mids: ids };
  });
  deployments += 1;
  const started = new Promise((resolve) => RED.events.once('flows:started', resolve));
  await RED.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
  await started;
  return chains.map(({ src, sink, label, mids }) => ({
    source: RED.nodes.getNode(src),
    sink: RED.nodes.getNode(sink),
    middles: mids.map((mid) => RED.nodes.getNode(mid)),
    label,
  }));
}

/** Nanoseconds per message of one run of `count` messages through a deployed chain. */
async function runOnce(chain, make, count, expected, weigh) {
  // If a node drops messages the sink never counts them all, and with nothing else pending
  // Node would exit silently: a deadline turns that into an error naming the row.
  let watchdog;
  const deadline = new Promise((_, reject) => {
    watchdog = setTimeout(() => reject(new Error(`${chain.label}: messages were lost`)), 120000);
  });
  const arrived = Promise.race([chain.sink.expect(expected, weigh), deadline]).finally(() =>
    clearTimeout(watchdog),
  );
  const begin = process.hrtime.bigint();
  await chain.source.run(count, make);
  await arrived;
  return Number(process.hrtime.bigint() - begin) / count;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Times a row: the bare source → sink flow, the same through a change node, and through the node
 * under test, one run of each in turn, so that the machine's drift over time (noisy neighbours,
 * frequency changes) falls on all three alike. The first round warms up the JIT and is dropped.
 * @returns median ns/msg of each flow.
 */
async function timeRow(RED, row, count) {
  const chains = await deploy(RED, [null, CHANGE_NODE, row.node]);
  const expected = row.arrivals ? row.arrivals(count) : count;
  const runs = [[], [], []];
  for (let r = 0; r <= REPEATS; r++) {
    for (let c = 0; c < chains.length; c++) {
      const own = c === 2;
      const elapsed = await runOnce(
        chains[c],
        row.make,
        count,
        own ? expected : count,
        own ? row.weigh : undefined,
      );
      if (r > 0) runs[c].push(elapsed);
    }
  }
  const [baseline, change, total] = runs.map(median);
  return { baseline, change, total };
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
  const onLog = (listener) => {
    logListeners.add(listener);
    return () => logListeners.delete(listener);
  };
  const context = { RED, samplePool, CHANGE_NODE, MESSAGES, REPEATS, deploy, runOnce, median, format, onLog };
  console.log(`Node-RED ${RED.version()} on Node ${process.version}, ${os.cpus()[0].model}`);
  if (scenarios.some((scenario) => scenario.rows)) {
    console.log(
      `${MESSAGES} messages a run; each row times source → sink, source → change → sink and source → node → sink`,
    );
    console.log(`in turn, ${REPEATS} rounds after one warm-up round; medians`);
  }
  console.log('');

  try {
    for (const scenario of scenarios) {
      console.log(`## ${scenario.title}`);
      if (scenario.rows) {
        console.log('| row | messages/s | hop ns/msg | change hop ns/msg | hop ratio | flow ratio |');
        console.log('|---|---:|---:|---:|---:|---:|');
        for (const row of scenario.rows(context)) {
          const count = row.messages || MESSAGES;
          const { baseline, change, total } = await timeRow(RED, row, count);
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
