'use strict';
// Soak benchmark: many keys through the learners with a persistent context store, for minutes, in
// a real Node-RED runtime in this process. It reports what a user's other flows would feel: the
// event-loop delay (max and p99, perf_hooks.monitorEventLoopDelay), memory over time (RSS at start
// and end) and the messages per second. Targets: event-loop max < 100 ms, RSS flat.
//
//   SOAK_SECONDS  how long to run (default 180)
//   SOAK_KEYS     distinct msg.topic values (default 1000)
//   SOAK_D        features per sample (default 32)
//   SOAK_KMEANS=0 leave out the ml-kmeans chain
//
// Flow: bench-source → ml-standardize → ml-pca → bench-sink, and bench-source → ml-kmeans →
// bench-sink, every learner keyed by msg.topic, models in `localfilesystem` in a temporary user
// directory (removed at the end).
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { monitorEventLoopDelay } = require('node:perf_hooks');

const SECONDS = Number(process.env.SOAK_SECONDS || 180);
const KEYS = Number(process.env.SOAK_KEYS || 1000);
const D = Number(process.env.SOAK_D || 32);
const KMEANS = process.env.SOAK_KMEANS !== '0';
/**
 * Messages in flight: the next batch is sent when the last has arrived, so that the runtime is
 * kept busy without queueing thousands of deliveries (which would block the event loop however
 * fast the nodes are, and measure the driver instead of the nodes).
 */
const CHUNK = 32;
const REPORT_EVERY_MS = 15000;
const repoRoot = path.resolve(__dirname, '..');

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const ms = (ns) => `${(ns / 1e6).toFixed(1)} ms`;

function samplePool(d, size = 4096, seed = 1) {
  let state = seed;
  const random = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return Array.from({ length: size }, () => Array.from({ length: d }, () => random() * 10));
}

function directorySize(dir) {
  let total = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? directorySize(full) : fs.statSync(full).size;
  }
  return total;
}

function measureMemory() {
  if (global.gc) global.gc();
  return process.memoryUsage();
}

async function main() {
  const RED = require('node-red');
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-soak-'));
  fs.mkdirSync(path.join(userDir, 'node_modules', '@stream-ml'), { recursive: true });
  fs.symlinkSync(repoRoot, path.join(userDir, 'node_modules', '@stream-ml', 'node-red'), 'dir');
  const learner = { keyProperty: 'topic', maxKeys: String(KEYS), whileWarmingUp: 'pass' };
  const flows = [
    { id: 'tab', type: 'tab', label: 'soak' },
    { id: 'src', type: 'bench-source', z: 'tab', wires: [KMEANS ? ['std', 'km'] : ['std']] },
    { id: 'std', type: 'ml-standardize', z: 'tab', ...learner, wires: [['pca']] },
    { id: 'pca', type: 'ml-pca', z: 'tab', ...learner, refitEvery: '100', wires: [['sink']] },
    { id: 'sink', type: 'bench-sink', z: 'tab', wires: [] },
  ];
  if (KMEANS) {
    flows.push(
      { id: 'km', type: 'ml-kmeans', z: 'tab', ...learner, k: '3', clusters: '3', wires: [['km-sink']] },
      { id: 'km-sink', type: 'bench-sink', z: 'tab', wires: [] },
    );
  }
  fs.writeFileSync(
    path.join(userDir, 'flows.json'),
    JSON.stringify(flows.map((n) => (n.type === 'tab' ? n : { x: 100, y: 100, ...n }))),
  );
  RED.init(http.createServer(), {
    userDir,
    flowFile: 'flows.json',
    nodesDir: [path.join(__dirname, 'nodes')],
    // Node-RED's default flush interval (30 s) and a persistent store, as a user would have it.
    contextStorage: { default: { module: 'localfilesystem' } },
    httpAdminRoot: false,
    httpNodeRoot: false,
    credentialSecret: false,
    logging: { console: { level: 'warn', metrics: false, audit: false } },
  });
  const started = new Promise((resolve) => RED.events.once('flows:started', resolve));
  await RED.start();
  await started;

  const source = RED.nodes.getNode('src');
  const sinks = [RED.nodes.getNode('sink'), ...(KMEANS ? [RED.nodes.getNode('km-sink')] : [])];
  const pool = samplePool(D);
  const make = (i) => ({ payload: pool[i & 4095], topic: `device-${(i * 7919) % KEYS}` });

  console.log(
    `Soak: ${KEYS} keys, d = ${D}, ml-standardize → ml-pca${KMEANS ? ' and ml-kmeans' : ''}, ` +
      `localfilesystem store, ${SECONDS} s, Node-RED ${RED.version()} on Node ${process.version}`,
  );
  const startMemory = measureMemory();
  const whole = monitorEventLoopDelay({ resolution: 10 });
  let interval = monitorEventLoopDelay({ resolution: 10 });
  whole.enable();
  interval.enable();
  const begin = Date.now();
  let sent = 0;
  let lastReport = begin;
  let lastSent = 0;
  let peakRss = startMemory.rss;
  /** Memory a third of the way in, when every key has a model: growth after it is what leaks. */
  let thirdMemory;
  console.log('| elapsed s | msg/s | loop max | loop p99 | RSS | heap used |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  while (Date.now() - begin < SECONDS * 1000) {
    const arrived = Promise.all(sinks.map((sink) => sink.expect(CHUNK)));
    for (let i = 0; i < CHUNK; i++) source.send(make(sent + i));
    await arrived;
    sent += CHUNK;
    if (thirdMemory === undefined && Date.now() - begin >= (SECONDS * 1000) / 3) {
      // A forced collection is a pause of our own making: not counted as the nodes' delay.
      whole.disable();
      interval.disable();
      thirdMemory = measureMemory();
      whole.enable();
      interval.enable();
    }
    const now = Date.now();
    if (now - lastReport >= REPORT_EVERY_MS) {
      const memory = process.memoryUsage();
      peakRss = Math.max(peakRss, memory.rss);
      console.log(
        `| ${((now - begin) / 1000).toFixed(0)} | ${(((sent - lastSent) * 1000) / (now - lastReport)).toFixed(0)} | ` +
          `${ms(interval.max)} | ${ms(interval.percentile(99))} | ${mb(memory.rss)} | ${mb(memory.heapUsed)} |`,
      );
      interval.disable();
      interval = monitorEventLoopDelay({ resolution: 10 });
      interval.enable();
      lastReport = now;
      lastSent = sent;
    }
  }
  const elapsed = (Date.now() - begin) / 1000;
  whole.disable();
  const endMemory = measureMemory();
  peakRss = Math.max(peakRss, endMemory.rss);
  const stored = directorySize(path.join(userDir, 'context'));
  await RED.stop();
  fs.rmSync(userDir, { recursive: true, force: true });

  const max = whole.max / 1e6;
  const third = thirdMemory || endMemory;
  const growth = (endMemory.rss - third.rss) / third.rss;
  console.log(
    `\nSoak result: ${sent.toLocaleString('en-US')} messages in ${elapsed.toFixed(0)} s = ` +
      `${(sent / elapsed).toFixed(0)} msg/s; event-loop delay max ${max.toFixed(1)} ms, ` +
      `p99 ${(whole.percentile(99) / 1e6).toFixed(1)} ms, mean ${(whole.mean / 1e6).toFixed(1)} ms; ` +
      `RSS ${mb(startMemory.rss)} at start, ${mb(third.rss)} a third in, ${mb(endMemory.rss)} at end ` +
      `(${(growth * 100).toFixed(0)} % over the last two thirds, peak ${mb(peakRss)}); heap used ` +
      `${mb(startMemory.heapUsed)} → ${mb(third.heapUsed)} → ${mb(endMemory.heapUsed)}; ` +
      `context files ${mb(stored)}`,
  );
  console.log(
    `Targets: event-loop max < 100 ms: ${max < 100 ? 'met' : 'NOT met'}; ` +
      `RSS flat (end within 25 % of a third in): ${Math.abs(growth) <= 0.25 ? 'met' : 'NOT met'}`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
