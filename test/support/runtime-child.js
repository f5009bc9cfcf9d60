'use strict';
// Runs a real Node-RED runtime for a test: argv[2] is the user directory (holding flows.json and
// node_modules/@stream-ml/node-red), argv[3] the node-red module to load. Talks to its parent over
// IPC: it reports `started`, every message a probe-sink receives and every warning or error logged.
const http = require('node:http');
const path = require('node:path');

const [userDir, nodeRedModule] = process.argv.slice(2);
const RED = require(nodeRedModule);

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
    }
  };
}

async function main() {
  RED.init(http.createServer(), {
    userDir,
    flowFile: 'flows.json',
    nodesDir: [path.join(__dirname, 'probe-nodes')],
    contextStorage: { default: { module: 'localfilesystem' } },
    httpAdminRoot: false,
    httpNodeRoot: false,
    credentialSecret: false,
    logging: {
      console: { level: process.env.NR_LOG || 'error', metrics: false, audit: false },
      ipc: { level: 'warn', metrics: false, audit: false, handler: forwardLog },
    },
  });
  // start() resolves before the flows run; messages sent earlier would find no source node.
  const flowsStarted = new Promise((resolve) => RED.events.once('flows:started', resolve));
  await RED.start();
  await flowsStarted;
  process.on('message', async (message) => {
    if (message && message.type === 'stop') {
      await RED.stop();
      process.send({ type: 'stopped' }, () => process.exit(0));
    }
  });
  process.send({ type: 'started', version: RED.version() });
}

main().catch((err) => {
  process.send({ type: 'failed', error: err.stack || String(err) });
  process.exit(1);
});
