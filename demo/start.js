'use strict';
// `npm start`: the live demo, with nothing to install but the package's devDependencies.
//   - an MQTT broker (aedes, embedded) on 127.0.0.1:MQTT_PORT (default 1883), unless MQTT_URL
//     names another broker (mqtt://host:port);
//   - the sensor simulator (demo/simulator.js) publishing factory/<machine>/<sensor>;
//   - a real Node-RED on 127.0.0.1:PORT (default 1880) with this package installed in a
//     project-local user directory (.demo/, git-ignored; DEMO_DIR moves it), a localfilesystem
//     context store (models survive a restart), and the demo flow of the chosen dashboard
//     deployed: DASHBOARD=2 (default) Dashboard 2 at /dashboard/machines, DASHBOARD=1
//     node-red-dashboard (v1) at /ui, DASHBOARD=both the two side by side, on the same
//     simulator and broker.
// It prints the editor and dashboard URLs; Ctrl-C stops everything. Two demos run side by side
// with different PORT and MQTT_PORT (and DEMO_DIR).
//
// `require('./demo/start').start(options)` does the same from code and resolves to
// `{editorUrl, dashboardUrl, dashboardUrls, mqttUrl, stop()}`.
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const crypto = require('node:crypto');
const express = require('express');
const mqtt = require('mqtt');
const { Simulator } = require('./simulator');

const repoRoot = path.resolve(__dirname, '..');
const DASHBOARD_PATH = '/dashboard/machines';
/**
 * The demo of each dashboard: its flow, deployed on a first start (and again while the user has
 * not changed it), and the path of its page. node-red-dashboard (v1) is opened on its first tab:
 * at bare /ui it selects the tab before its side menu exists and logs "SideNav 'left' is not
 * available" in the browser console.
 */
const DASHBOARDS = {
  2: { flow: 'dashboard2-demo.json', path: DASHBOARD_PATH, label: 'Dashboard' },
  1: { flow: 'dashboard1-demo.json', path: '/ui/#!/0', label: 'Dashboard 1' },
};

/** The module of each dashboard. */
const DASHBOARD_MODULES = { 2: '@flowfuse/node-red-dashboard', 1: 'node-red-dashboard' };

/** Which dashboards to deploy, from DASHBOARD: 2 (default), 1, or both ("both", "1,2"). */
function chooseDashboards(value) {
  const text = String(value ?? '')
    .trim()
    .toLowerCase();
  if (text === '' || text === '2') return ['2'];
  if (text === '1') return ['1'];
  if (text === 'both' || text === '1,2' || text === '2,1') return ['2', '1'];
  throw new Error(`DASHBOARD must be 1, 2 or both, got ${JSON.stringify(value)}`);
}

const sha = (text) => crypto.createHash('sha256').update(text).digest('hex');

/**
 * Links this package into the user directory as npm would install it, and writes the demo flow
 * unless the user has edited the deployed one (a hash of what was written is kept beside it).
 */
function prepareUserDir(userDir, flowFiles) {
  const scope = path.join(userDir, 'node_modules', '@stream-ml');
  fs.mkdirSync(scope, { recursive: true });
  const link = path.join(scope, 'node-red');
  if (!fs.existsSync(link)) fs.symlinkSync(repoRoot, link, 'dir');
  const flowFile = path.join(userDir, 'flows.json');
  const marker = path.join(userDir, '.demo-flows.sha256');
  const flows = flowFiles.flatMap((file) =>
    JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples', file), 'utf8')),
  );
  const text = JSON.stringify(flows, null, 2);
  const current = fs.existsSync(flowFile) ? fs.readFileSync(flowFile, 'utf8') : null;
  const written = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8').trim() : null;
  if (current === null || (written !== null && sha(current) === written)) {
    fs.writeFileSync(flowFile, text);
    fs.writeFileSync(marker, sha(text));
  } else if (current !== text) {
    console.log(`Keeping your edited flows in ${flowFile} (delete it to get the demo flow back).`);
  }
}

/** Starts aedes on host:port; resolves to a function that stops it. */
async function startBroker(host, port) {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return async () => {
    await new Promise((resolve) => broker.close(resolve));
    await new Promise((resolve) => server.close(resolve));
  };
}

/**
 * Starts the demo.
 * @param {object} [options] defaults from the environment: PORT, MQTT_PORT, MQTT_URL, HOST, DEMO_DIR,
 *   SIM_SEED, DASHBOARD (`dashboard`: 1, 2 or both).
 */
async function start(options = {}) {
  const env = process.env;
  const host = options.host || env.HOST || '127.0.0.1';
  const port = Number(options.port ?? env.PORT ?? 1880);
  const userDir = path.resolve(options.userDir || env.DEMO_DIR || path.join(repoRoot, '.demo'));
  const external = options.mqttUrl || env.MQTT_URL;
  const mqttPort = Number(options.mqttPort ?? env.MQTT_PORT ?? 1883);
  const seed = Number(options.seed ?? env.SIM_SEED ?? 1);
  const quiet = options.quiet ?? false;
  const dashboards = chooseDashboards(options.dashboard ?? env.DASHBOARD);
  const stops = [];
  const stop = async () => {
    while (stops.length > 0) {
      try {
        await stops.pop()();
      } catch (err) {
        console.error(`while stopping: ${err.message}`);
      }
    }
  };

  try {
    // The broker, unless MQTT_URL names one.
    let mqttUrl;
    if (external) {
      mqttUrl = external;
    } else {
      stops.push(await startBroker(host, mqttPort));
      mqttUrl = `mqtt://${host}:${mqttPort}`;
    }
    const broker = new URL(mqttUrl);
    // The demo flow's broker node reads these through its tab's environment.
    env.MQTT_HOST = broker.hostname;
    env.MQTT_PORT = broker.port || '1883';

    // The simulator.
    const client = mqtt.connect(mqttUrl, { clientId: `stream-ml-simulator-${process.pid}-${port}` });
    await new Promise((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    const simulator = new Simulator({ seed }).start(client);
    stops.push(() => new Promise((resolve) => client.end(false, {}, resolve)));
    stops.push(() => simulator.stop());

    // Node-RED.
    prepareUserDir(
      userDir,
      dashboards.map((d) => DASHBOARDS[d].flow),
    );
    const RED = require('node-red');
    const app = express();
    const server = http.createServer(app);
    RED.init(server, {
      userDir,
      flowFile: 'flows.json',
      uiHost: host,
      uiPort: port,
      httpAdminRoot: '/',
      httpNodeRoot: '/',
      credentialSecret: false,
      // The editor opens on the demo flow, not behind the question about update notifications
      // and then the welcome tour.
      telemetry: { enabled: false, updateNotification: false },
      editorTheme: { tours: false },
      contextStorage: { default: { module: 'localfilesystem' } },
      logging: { console: { level: env.NR_LOG || 'info', metrics: false, audit: false } },
      // Only the dashboards asked for are loaded: an installed Dashboard 1 otherwise starts at /ui
      // whether a flow uses it or not.
      externalModules: {
        palette: {
          denyList: Object.entries(DASHBOARD_MODULES)
            .filter(([d]) => !dashboards.includes(d))
            .map(([, module]) => module),
        },
      },
    });
    app.use('/', RED.httpAdmin);
    app.use('/', RED.httpNode);
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, resolve);
    });
    // Browsers keep connections open (keep-alive, the dashboard's websocket): close them on stop.
    const sockets = new Set();
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    stops.push(
      () =>
        new Promise((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        }),
    );
    await RED.start();
    stops.push(() => RED.stop());

    const dashboardUrls = Object.fromEntries(
      dashboards.map((d) => [d, `http://${host}:${port}${DASHBOARDS[d].path}`]),
    );
    const urls = {
      editorUrl: `http://${host}:${port}/`,
      dashboardUrl: dashboardUrls[dashboards[0]],
      dashboardUrls,
      mqttUrl,
    };
    if (!quiet) {
      console.log(
        [
          '',
          'Stream ML for Node-RED demo is running.',
          `  Editor:    ${urls.editorUrl}`,
          // The first dashboard's line reads "Dashboard:" (scripts look for it).
          ...dashboards.map(
            (d, i) => `  ${i === 0 ? 'Dashboard:' : `${DASHBOARDS[d].label}:`} ${dashboardUrls[d]}`,
          ),
          `  MQTT:      ${mqttUrl}${external ? '' : ' (embedded broker)'}; readings on factory/+/+, alerts on factory/alerts`,
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
    }
    return { ...urls, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

if (require.main === module) {
  start()
    .then((demo) => {
      let stopping = false;
      const onSignal = () => {
        if (stopping) return;
        stopping = true;
        console.log('\nStopping the demo…');
        demo.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    })
    .catch((err) => {
      console.error(`The demo could not start: ${err.message}`);
      if (err.code === 'EADDRINUSE')
        console.error('Set PORT and MQTT_PORT to free ports, e.g. PORT=1881 MQTT_PORT=1884.');
      process.exit(1);
    });
}

module.exports = { start, DASHBOARD_PATH };
