'use strict';
// `npm run demo:cluster`: three Node-RED instances learning one stream together (docs/scale-out.md).
//   - Debian's mosquitto (or any broker with shared subscriptions: MQTT_URL=mqtt://host:port) on
//     127.0.0.1:MQTT_PORT (default 1884);
//   - the sensor simulator (demo/simulator.js), its readings grouped into one row per machine and
//     tick, published on factory-rows/<machine>;
//   - three real Node-RED runtimes, each a separate process with the example flow
//     examples/scale-out.json, as instances i1, i2, i3 (env STREAM_ML_INSTANCE), editors on
//     127.0.0.1:PORT+1 … PORT+3 (default 1881 …), user directories under DEMO_DIR (default: a
//     directory in the system's temp directory);
//   - a page on 127.0.0.1:PORT (default 1880) showing, from the retained shares, each instance's
//     share of the stream and the merged model every instance uses.
// Ctrl-C stops everything. Kill one instance (its pid is printed) to watch the others take its
// share; start the demo again to see it come back.
const { fork, spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..');
const INSTANCES = ['i1', 'i2', 'i3'];
const LEARNERS = { std: 'ml-standardize', pca: 'ml-pca', kmeans: 'ml-kmeans' };
const COLOURS = ['#332288', '#117733', '#882255'];

/** The example flow, as a user imports it. */
function exampleFlow() {
  return JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples', 'scale-out.json'), 'utf8'));
}

/** One Node-RED instance (the child process). */
async function runInstance(userDir, port) {
  const RED = require('node-red');
  const express = require('express');
  const app = express();
  const server = http.createServer(app);
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    contextStorage: { default: { module: 'localfilesystem' } },
    uiHost: '127.0.0.1',
    httpAdminRoot: '/',
    httpNodeRoot: '/',
    credentialSecret: false,
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false },
    logging: { console: { level: 'warn', metrics: false, audit: false } },
  });
  app.use('/', RED.httpAdmin);
  app.use('/', RED.httpNode);
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  await RED.start();
}

/** A user directory with this package linked in and the example flow deployed. */
function prepareUserDir(dir) {
  fs.mkdirSync(path.join(dir, 'node_modules', '@stream-ml'), { recursive: true });
  const link = path.join(dir, 'node_modules', '@stream-ml', 'node-red');
  if (!fs.existsSync(link)) fs.symlinkSync(repoRoot, link, 'dir');
  fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(exampleFlow()));
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Debian's mosquitto on `port`; resolves to its process. */
async function startMosquitto(port, dir) {
  const binary = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => fs.existsSync(p));
  if (!binary) {
    throw new Error('mosquitto is not installed (apt-get install mosquitto), or set MQTT_URL to a broker');
  }
  const config = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const broker = spawn(binary, ['-c', config], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await accepts(port)) return broker;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  broker.kill();
  throw new Error(`mosquitto did not start on port ${port}`);
}

/** The merged model of the latest shares of one learner, with the compiled lib. */
function merge(type, shares) {
  const lib = require(path.join(repoRoot, 'dist', 'lib', 'index.js'));
  const Kind = {
    'ml-standardize': lib.Standardizer,
    'ml-pca': lib.StreamingPCA,
    'ml-kmeans': lib.StreamingKMeans,
  }[type];
  let merged;
  for (const share of shares) {
    const model = Kind.load(share);
    merged = merged === undefined ? model : Kind.merge(merged, model);
  }
  return merged && merged.toJSON();
}

const fixed = (values, digits = 2) => values.map((v) => Number(v).toFixed(digits)).join(', ');
const escape = (text) => String(text).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The status page: each instance's share and the merged model, per learner. */
function page(shares, port) {
  const sections = Object.entries(LEARNERS).map(([short, type]) => {
    const byInstance = shares.get(short) || new Map();
    const list = [...byInstance.values()];
    const total = list.reduce((sum, m) => sum + m.n_samples_seen, 0);
    const rows = [...byInstance.entries()]
      .sort()
      .map(([instance, m]) => {
        const colour = COLOURS[INSTANCES.indexOf(instance) % COLOURS.length] || '#888888';
        const share = total > 0 ? (100 * m.n_samples_seen) / total : 0;
        return (
          `<tr><td style="color:${colour}"><b>${escape(instance)}</b></td><td>${m.n_samples_seen}</td>` +
          `<td><div style="background:${colour};height:12px;width:${share * 2}px"></div>${share.toFixed(1)}%</td></tr>`
        );
      })
      .join('');
    let merged = '';
    try {
      const m = list.length > 0 ? merge(type, list) : undefined;
      if (m && type === 'ml-standardize') merged = `mean ${fixed(m.mean)}; scale ${fixed(m.scale)}`;
      if (m && type === 'ml-pca') {
        merged = `explained variance ratio ${fixed(m.explained_variance_ratio, 3)}; first component ${fixed(m.components[0], 3)}`;
      }
      if (m && type === 'ml-kmeans') {
        merged = m.cluster_centers
          ? `centres ${m.cluster_centers.map((c) => `[${fixed(c)}]`).join(' ')}`
          : 'warming up';
      }
      if (m) merged = `n = ${m.n_samples_seen}: ${merged}`;
    } catch (err) {
      merged = `cannot merge: ${escape(err.message)}`;
    }
    return (
      `<h2>${type}</h2><table><tr><th>instance</th><th>samples</th><th>share of the stream</th></tr>${rows}</table>` +
      `<p>Merged, as every instance uses it: ${escape(merged)}</p>`
    );
  });
  const editors = INSTANCES.map(
    (id, i) => `<a href="http://127.0.0.1:${port + i + 1}/">${id}</a> (127.0.0.1:${port + i + 1})`,
  ).join(' · ');
  return (
    '<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">' +
    '<title>Stream ML cluster</title><style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 12px;text-align:left}</style>' +
    `</head><body><h1>Three instances, one model</h1><p>Editors: ${editors}. Shares arrive every 5 s.</p>` +
    `${sections.join('')}</body></html>`
  );
}

async function main() {
  const port = Number(process.env.PORT || 1880);
  const demoDir = process.env.DEMO_DIR || path.join(os.tmpdir(), 'stream-ml-cluster');
  fs.mkdirSync(demoDir, { recursive: true });
  const stops = [];
  let url = process.env.MQTT_URL;
  if (!url) {
    const mqttPort = Number(process.env.MQTT_PORT || 1884);
    const broker = await startMosquitto(mqttPort, demoDir);
    stops.push(() => broker.kill());
    url = `mqtt://127.0.0.1:${mqttPort}`;
  }
  const { hostname, port: mqttPort } = new URL(url);

  const children = INSTANCES.map((id, i) => {
    const userDir = path.join(demoDir, id);
    prepareUserDir(userDir);
    const child = fork(__filename, ['--instance', userDir, String(port + i + 1)], {
      env: { ...process.env, STREAM_ML_INSTANCE: id, MQTT_HOST: hostname, MQTT_PORT: mqttPort || '1883' },
    });
    stops.push(() => child.kill());
    console.log(`instance ${id}: editor http://127.0.0.1:${port + i + 1}/ (pid ${child.pid})`);
    return child;
  });

  const mqtt = require('mqtt');
  const client = await mqtt.connectAsync(url, { clientId: `stream-ml-cluster-${process.pid}` });
  stops.push(() => client.end(true));
  const shares = new Map();
  client.on('message', (topic, payload) => {
    const [, , learner, instance] = topic.split('/');
    if (!LEARNERS[learner]) return;
    try {
      if (!shares.has(learner)) shares.set(learner, new Map());
      if (payload.length === 0) shares.get(learner).delete(instance);
      else shares.get(learner).set(instance, JSON.parse(payload.toString()));
    } catch {
      // Not a model: nothing to show.
    }
  });
  await client.subscribeAsync('stream-ml/models/#', { qos: 1 });

  // The simulator's readings, one row per machine and tick, so that any instance can learn each.
  const { Simulator } = require('./simulator');
  const simulator = new Simulator({ seed: 1, start: Date.now() });
  const period = Number(process.env.PERIOD || 250);
  const timer = setInterval(() => {
    const rows = new Map();
    for (const { topic, payload } of simulator.tick()) {
      const [root, machine, sensor] = topic.split('/');
      if (root !== 'factory') continue;
      if (!rows.has(machine)) rows.set(machine, {});
      rows.get(machine)[sensor] = JSON.parse(payload);
    }
    for (const [machine, row] of rows)
      client.publish(`factory-rows/${machine}`, JSON.stringify(row), { qos: 1 });
  }, period);
  stops.push(() => clearInterval(timer));

  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page(shares, port));
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  stops.push(() => server.close());
  console.log(`shares and merged models: http://127.0.0.1:${port}/ (broker ${url}); Ctrl-C stops`);

  const stop = () => {
    for (const s of stops.reverse()) s();
    setTimeout(() => process.exit(0), 200);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  for (const child of children)
    child.on('exit', (code, signal) => console.log(`instance pid ${child.pid} ended (${signal || code})`));
}

if (process.argv[2] === '--instance') {
  runInstance(process.argv[3], Number(process.argv[4])).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else if (require.main === module) {
  main().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}

module.exports = { exampleFlow, page };
