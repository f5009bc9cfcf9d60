'use strict';
// Debian's mosquitto on a free loopback port, for end-to-end MQTT tests (.ci/run installs it).
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const BINARY = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => fs.existsSync(p));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
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

/**
 * Starts mosquitto, without persistence (a restart loses every retained message); resolves to
 * `{url, port, stop()}`. `port`: the port of a broker stopped before, to restart it there.
 */
async function startMosquitto({ port: wanted } = {}) {
  if (!BINARY) throw new Error('mosquitto is not installed: apt-get install mosquitto (.ci/run does)');
  const port = wanted ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-mqtt-'));
  const config = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const broker = spawn(BINARY, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  broker.stderr.on('data', (chunk) => (stderr += chunk));
  for (let i = 0; i < 100 && broker.exitCode === null; i++) {
    if (await accepts(port)) {
      return {
        port,
        url: `mqtt://127.0.0.1:${port}`,
        async stop() {
          if (broker.exitCode === null) {
            const exited = new Promise((resolve) => broker.once('exit', resolve));
            broker.kill('SIGTERM');
            await exited;
          }
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  broker.kill('SIGKILL');
  throw new Error(`mosquitto did not start on port ${port}: ${stderr}`);
}

/** The mosquitto version, for test titles. */
function mosquittoVersion() {
  try {
    return execFileSync(BINARY, ['-h'], { encoding: 'utf8' }).split('\n')[0];
  } catch (err) {
    return String(err.stdout || '').split('\n')[0];
  }
}

/**
 * A core `mqtt-broker` config node (id `broker`) for a broker on 127.0.0.1:`port`: MQTT 3.1.1 and
 * clean sessions (a persistent session keeps routing part of a shared subscription to a dead
 * instance; docs/scale-out.md). `extra` adds or overrides fields.
 */
function mqttBrokerNode(port, extra = {}) {
  return {
    id: 'broker',
    type: 'mqtt-broker',
    broker: '127.0.0.1',
    port: String(port),
    clientid: '',
    autoConnect: true,
    usetls: false,
    protocolVersion: '4',
    keepalive: '60',
    cleansession: true,
    ...extra,
  };
}

/** A core `mqtt in` node on that broker; payloads parsed as JSON unless `datatype` says otherwise. */
function mqttInNode({ id, z, topic, qos = '1', datatype = 'json', wires }) {
  return {
    id,
    type: 'mqtt in',
    z,
    topic,
    qos: String(qos),
    datatype,
    broker: 'broker',
    nl: false,
    rap: true,
    rh: 0,
    inputs: 0,
    wires,
  };
}

/**
 * A switch that sends a learner's shares (messages with `msg.retain`) to `out`, a core `mqtt out`
 * (see {@link mqttOutNode}), and everything else (exports) to `sink`.
 */
function shareRouteNode({ id = 'route', z, out = 'out', sink }) {
  return {
    id,
    type: 'switch',
    z,
    property: 'retain',
    propertyType: 'msg',
    rules: [{ t: 'true' }, { t: 'else' }],
    checkall: 'false',
    outputs: 2,
    wires: [[out], [sink]],
  };
}

/** A core `mqtt out` node on that broker, taking topic, QoS and retain from each message. */
function mqttOutNode({ id = 'out', z }) {
  return { id, type: 'mqtt out', z, topic: '', qos: '', retain: '', broker: 'broker', wires: [] };
}

module.exports = {
  startMosquitto,
  freePort,
  mosquittoVersion,
  mqttBrokerNode,
  mqttInNode,
  mqttOutNode,
  shareRouteNode,
};
