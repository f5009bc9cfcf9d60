'use strict';
// Runs a real Node-RED runtime for a test: argv[2] is the user directory (holding flows.json and
// node_modules/@stream-ml/node-red), argv[3] the node-red module to load, argv[4] (optional) a
// port for the editor and HTTP endpoints (0: none). Talks to its parent over IPC: it reports
// `started` (with the modules that failed to load), every message a probe-sink receives, every
// warning or error logged by a node (`log`) or by the runtime itself (`runtime-log`), and `failed`
// when the flows cannot start (for example when they use node types that are not installed).
const http = require('node:http');
const path = require('node:path');

const [userDir, nodeRedModule, portArg] = process.argv.slice(2);
const port = Number(portArg || 0);
const RED = require(nodeRedModule);

/**
 * The context stores: localfilesystem by default, or STREAM_ML_CONTEXT_STORAGE (JSON), where a
 * store's `module` ending in `.js` is a store plugin loaded from that path.
 */
function contextStorage() {
  // A second store, so that the editor's Store select has one to choose besides the default.
  if (!process.env.STREAM_ML_CONTEXT_STORAGE) {
    return { default: { module: 'localfilesystem' }, memory: { module: 'memory' } };
  }
  const stores = JSON.parse(process.env.STREAM_ML_CONTEXT_STORAGE);
  for (const store of Object.values(stores)) {
    if (store && typeof store.module === 'string' && store.module.endsWith('.js'))
      store.module = require(store.module);
  }
  return stores;
}

function forwardLog() {
  return (entry) => {
    if (entry.level <= 30 && entry.type) {
      process.send({
        type: 'log',
        level: entry.level,
        node: entry.id,
        nodeType: entry.type,
        text: String(entry.msg),
      });
    } else if (entry.level <= 40 && !entry.type) {
      // The runtime's own messages (level 40 is info: "Waiting for missing types…", module load errors).
      process.send({ type: 'runtime-log', level: entry.level, text: String(entry.msg) });
    }
  };
}

async function main() {
  // With a port, an express app serves the editor and the node endpoints (dashboards) at '/', as
  // Node-RED's own launcher does when httpAdminRoot and httpNodeRoot are both '/'.
  const app = port ? require('express')() : undefined;
  const server = http.createServer(app);
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    nodesDir: [path.join(__dirname, 'probe-nodes')],
    contextStorage: contextStorage(),
    uiHost: '127.0.0.1',
    httpAdminRoot: port ? '/' : false,
    httpNodeRoot: port ? '/' : false,
    credentialSecret: false,
    // The editor opens as a user's configured one: no question about update notifications and
    // no welcome tour covering the workspace.
    telemetry: { enabled: false, updateNotification: false },
    editorTheme: { tours: false },
    logging: {
      console: { level: process.env.NR_LOG || 'error', metrics: false, audit: false },
      ipc: { level: 'info', metrics: false, audit: false, handler: forwardLog },
    },
  });
  // start() resolves before the flows run; messages sent earlier would find no source node.
  const flowsStarted = new Promise((resolve, reject) => {
    RED.events.once('flows:started', resolve);
    // Flows that use a type nobody registered never start: say so instead of waiting forever.
    RED.events.on('runtime-event', (event) => {
      if (event && event.id === 'runtime-state' && event.payload && event.payload.error === 'missing-types') {
        reject(new Error(`missing node types: ${(event.payload.types || []).join(', ')}`));
      }
    });
  });
  if (app) {
    app.use('/', RED.httpAdmin);
    app.use('/', RED.httpNode);
    await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  }
  await RED.start();
  await flowsStarted;
  process.on('message', async (message) => {
    if (message && message.type === 'stop') {
      await RED.stop();
      server.close();
      process.send({ type: 'stopped' }, () => process.exit(0));
    }
  });
  const nodeErrors = RED.nodes
    .getNodeList((n) => n.err != null)
    .map((n) => ({ module: n.module, types: n.types, error: String(n.err) }));
  process.send({ type: 'started', version: RED.version(), nodeErrors });
}

main().catch((err) => {
  process.send({ type: 'failed', error: err.stack || String(err) }, () => process.exit(1));
});
