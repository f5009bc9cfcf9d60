'use strict';
// What a broker outage loses between a publisher and a Node-RED `mqtt in` (docs/scale-out.md):
// rows published at 50 a second by an mqtt.js client (which queues while disconnected and
// reconnects within 0.5 s), mosquitto stopped for 3 s and started again on the same port. Node-RED's
// broker node reconnects every 5 s; with a clean session, what the broker receives before it has
// subscribed again has nowhere to go. With a persistent session (clean session off, a fixed
// client id, QoS 1 both ways, mosquitto persisting its sessions) the broker keeps it.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const mqtt = require('mqtt');
const { freePort, mqttBrokerNode, mqttInNode } = require('../../test/support/mosquitto');
const { Runtime } = require('../../test/support/runtime');

const BINARY = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => fs.existsSync(p));
const RATE = 50;
const DOWN_MS = 3000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function broker(port, dir) {
  const config = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(
    config,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}/\n`,
  );
  const child = spawn(BINARY, ['-c', config], { stdio: 'ignore' });
  await sleep(300);
  return child;
}

async function stop(child) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function run(persistent) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-outage-'));
  // mosquitto started as root runs as its own user, which must be able to write its sessions here.
  fs.chmodSync(dir, 0o777);
  const port = await freePort();
  let mosquitto = await broker(port, dir);
  const qos = persistent ? 1 : 0;
  const runtime = await Runtime.start({
    flows: [
      { id: 'tab', type: 'tab', label: 'outage' },
      mqttBrokerNode(
        port,
        persistent ? { clientid: `stream-ml-outage-${process.pid}`, cleansession: false } : {},
      ),
      mqttInNode({ id: 'in', z: 'tab', topic: 'outage/data', qos, wires: [['out']] }),
      { id: 'out', type: 'probe-sink', z: 'tab', wires: [] },
    ],
  });
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    clientId: `stream-ml-outage-pub-${process.pid}`,
    reconnectPeriod: 500,
  });
  client.on('error', () => {});
  // Subscribed once a probe gets through.
  for (let i = 0; runtime.messages('out').length === 0 && i < 200; i++) {
    client.publish('outage/data', JSON.stringify({ probe: true }), { qos });
    await sleep(100);
  }
  const probes = runtime.messages('out').length;
  let published = 0;
  const timer = setInterval(() => {
    client.publish('outage/data', JSON.stringify({ seq: published++ }), { qos });
  }, 1000 / RATE);
  await sleep(3000);
  await stop(mosquitto);
  await sleep(DOWN_MS);
  mosquitto = await broker(port, dir);
  await sleep(12000);
  clearInterval(timer);
  await sleep(8000);
  const seen = new Set(
    runtime
      .messages('out')
      .slice(probes)
      .map((m) => m.payload && m.payload.seq)
      .filter((s) => typeof s === 'number'),
  );
  const lost = [];
  for (let s = 0; s < published; s++) if (!seen.has(s)) lost.push(s);
  await new Promise((resolve) => client.end(true, {}, resolve));
  await runtime.cleanup();
  await stop(mosquitto);
  fs.rmSync(dir, { recursive: true, force: true });
  const span = lost.length ? `${((lost[lost.length - 1] - lost[0] + 1) / RATE).toFixed(1)} s of rows` : '—';
  return { published, lost: lost.length, span };
}

module.exports = {
  title: `Broker outage: mosquitto stopped ${DOWN_MS / 1000} s while rows stream at ${RATE}/s into Node-RED's mqtt in`,
  async extra() {
    if (!BINARY) return console.log('\n(mosquitto is not installed: skipped)');
    console.log('\n| subscriber session | published | lost | lost span |');
    console.log('|---|---:|---:|---:|');
    for (const persistent of [false, true]) {
      const r = await run(persistent);
      const label = persistent
        ? 'persistent (clean session off, QoS 1)'
        : 'clean session, QoS 0 (the default)';
      console.log(`| ${label} | ${r.published} | ${r.lost} | ${r.span} |`);
    }
  },
};
