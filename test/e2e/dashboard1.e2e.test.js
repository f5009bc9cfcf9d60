'use strict';
// The node-red-dashboard (v1) demo (examples/dashboard1-demo.json) at /ui, with the simulator's
// data flowing, in Debian's headless Chromium driven by playwright-core: on Node-RED 4 through
// `DASHBOARD=1 node demo/start.js` (what `DASHBOARD=1 npm start` runs: embedded broker, simulator),
// and on Node-RED 5 (Node 22) as a runtime of its own beside Debian's mosquitto and the same
// simulator. It reads what the page draws (the Chart.js instances of the charts and of the
// scatter template, the SVG of the mode strip, the alert text) and asserts that every chart has
// one series per machine, the limits are grey and named, the scatter has points of every
// cluster in the stable cluster colours, the bar chart of sensor contributions has one series per
// machine in its colour and one bar per sensor, the alert names the machine and the sensor on
// the page and on factory/alerts, the page logs no error, and it saves screenshots at 390 and
// 1280 px to a temporary folder.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const mqtt = require('mqtt');
const { launchChromium, requireChromium } = require('../support/browser');
const { Runtime } = require('../support/runtime');
const { freePort, startMosquitto } = require('../support/mosquitto');
const { node22 } = require('../support/node22');
const { nodeRed5 } = require('../support/node-red-5');
const { Simulator } = require('../../demo/simulator');
const { CLUSTER_COLOURS, LIMIT_COLOUR, MACHINE_COLOURS, interrupt, startDemo } = require('../support/demo');

const repoRoot = path.resolve(__dirname, '..', '..');
const demoFlow = () =>
  JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples', 'dashboard1-demo.json'), 'utf8'));

const MACHINES = ['m1', 'm2', 'm3'];
const LIMIT = '99% limit';
const SENSORS = ['temp', 'current', 'vib', 'pressure'];

/** `DASHBOARD=1 node demo/start.js` on free ports; resolves to its dashboard URL once printed. */
async function startDemo1(userDir) {
  const [port, mqttPort] = await Promise.all([freePort(), freePort()]);
  const env = {
    DASHBOARD: '1',
    PORT: String(port),
    MQTT_PORT: String(mqttPort),
    MQTT_URL: '',
    DEMO_DIR: userDir,
  };
  const demo = startDemo(env, 90000);
  const stop = async () => {
    if (demo.child.exitCode !== null) return;
    if ((await interrupt(demo)) === 'timeout') demo.child.kill('SIGKILL');
  };
  try {
    return { url: await demo.ready, mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, output: demo.output, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The demo flow in a Node-RED runtime of its own, fed by the simulator through mosquitto. */
async function startRuntime({ nodeRed, execPath }) {
  const broker = await startMosquitto();
  const flows = demoFlow();
  for (const node of flows.filter((n) => n.type === 'mqtt-broker')) {
    node.broker = '127.0.0.1';
    node.port = String(broker.port);
  }
  const port = await freePort();
  let runtime;
  let client;
  let simulator;
  try {
    runtime = await Runtime.start({ flows, port, nodeRed, execPath });
    client = mqtt.connect(broker.url, { clientId: `dashboard1-simulator-${process.pid}` });
    await new Promise((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    simulator = new Simulator({ seed: 1 }).start(client);
  } catch (err) {
    if (runtime) await runtime.cleanup();
    await broker.stop();
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}/ui/#!/0`,
    mqttUrl: broker.url,
    version: runtime.version,
    output: () => runtime.warnings().join('\n'),
    stop: async () => {
      simulator.stop();
      await client.endAsync();
      await runtime.cleanup();
      await broker.stop();
    },
  };
}

/** What the page draws: every Chart.js chart (by the node id of its widget), the mode strip, the groups. */
function readPage(page) {
  return page.evaluate(() => {
    const hex = (c) => {
      if (typeof c !== 'string') return c;
      const m = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(c);
      if (!m) return c.toLowerCase();
      return (
        '#' +
        m
          .slice(1, 4)
          .map((v) => Number(v).toString(16).padStart(2, '0'))
          .join('')
      );
    };
    // A chart that is drawn again (new series) gets a new instance on the same canvas: the
    // newest (highest id) of each widget is what the page shows.
    const charts = new Map();
    const instances =
      window.Chart && window.Chart.instances
        ? Object.entries(window.Chart.instances)
            .sort(([a], [b]) => Number(a) - Number(b))
            .map(([, c]) => c)
        : [];
    for (const instance of instances) {
      // The Chart.js of node-red-dashboard (2.x) keeps the canvas on instance.chart; a destroyed
      // chart has none.
      const canvas = (instance.chart && instance.chart.canvas) || instance.canvas;
      const data = instance.data || (instance.config && instance.config.data);
      if (!canvas || !data || !canvas.isConnected) continue;
      const card = canvas.closest('[node-id]');
      const node = card ? card.getAttribute('node-id') : null;
      charts.set(node || `canvas ${charts.size}`, {
        node,
        type: instance.config.type,
        labels: data.labels,
        width: canvas.width,
        height: canvas.height,
        datasets: data.datasets.map((d) => ({
          label: d.label,
          points: (d.data || []).filter((p) => p !== null && p !== undefined).length,
          finite: (d.data || []).every((p) =>
            p && typeof p === 'object'
              ? Number.isFinite(p.y) && (p.x === undefined || Number.isFinite(+p.x))
              : true,
          ),
          values: (d.data || []).map((p) => (p && typeof p === 'object' ? p.y : p)),
          border: hex(d.borderColor),
          background: Array.isArray(d.backgroundColor) ? d.backgroundColor.map(hex) : hex(d.backgroundColor),
          pointStyle: d.pointStyle,
          dash: d.borderDash || [],
        })),
      });
    }
    const strip = [...document.querySelectorAll('svg [data-machine]')].map((row) => ({
      machine: row.getAttribute('data-machine'),
      cells: [...row.querySelectorAll('[data-cluster]')].map((cell) => ({
        cluster: Number(cell.getAttribute('data-cluster')),
        fill: hex(cell.getAttribute('fill')),
      })),
    }));
    const groups = [...document.querySelectorAll('ui-card-panel')].map((g) => {
      const r = g.getBoundingClientRect();
      return { x: Math.round(r.left), y: Math.round(r.top), w: Math.round(r.width), h: Math.round(r.height) };
    });
    return { charts: [...charts.values()], strip, groups, scrollWidth: document.documentElement.scrollWidth };
  });
}

/** The checks of one running demo, and its screenshots. */
async function checkDashboard(demo, label) {
  const flow = demoFlow();
  const find = (type, pattern) => {
    const node = flow.find((n) => n.type === type && pattern.test(`${n.name || ''} ${n.label || ''}`));
    return node ? node.id : `(no ${type} matching ${pattern})`;
  };
  const t2Chart = find('ui_chart', /T²/);
  const speChart = find('ui_chart', /SPE/);
  const scatter = find('ui_template', /operating modes scatter/);
  const alertText = find('ui_template', /latest alert/);
  const barsChart = find('ui_chart', /contributions/);

  // The alerts the flow publishes on factory/alerts, from the start.
  const alerts = [];
  const listener = mqtt.connect(demo.mqttUrl, { clientId: `dashboard1-alerts-${process.pid}` });
  listener.on('message', (topic, payload) => alerts.push(JSON.parse(String(payload))));
  await new Promise((resolve, reject) => {
    listener.once('connect', resolve);
    listener.once('error', reject);
  });
  await listener.subscribeAsync('factory/alerts');

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()} ${JSON.stringify(m.location())}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
    });
    await page.goto(demo.url);

    // Data flows: wait until the charts have points of every machine and the scatter of every
    // cluster, at most 150 s: the score charts draw a machine once its PCA model has learned
    // enough to judge (about 75 s of windows); the assertions below say what is missing.
    const deadline = Date.now() + 150000;
    const ready = (s) => {
      const chart = (id) => s.charts.find((c) => c.node === id);
      const machinesDrawn = (c) =>
        c && MACHINES.every((m) => c.datasets.some((d) => d.label === m && d.points > 0));
      const sc = chart(scatter);
      return (
        machinesDrawn(chart(t2Chart)) &&
        machinesDrawn(chart(speChart)) &&
        machinesDrawn(chart(barsChart)) &&
        sc &&
        [0, 1, 2].every((i) => sc.datasets.some((d) => d.label === `cluster ${i}` && d.points > 0)) &&
        MACHINES.every((m) => s.strip.some((r) => r.machine === m && r.cells.length > 0))
      );
    };
    const opened = Date.now();
    let seen = await readPage(page);
    while (!ready(seen) && Date.now() < deadline) {
      await page.waitForTimeout(1000);
      seen = await readPage(page);
    }
    // An alert names the machine and the sensor (the first injected fault comes 80–90 s after
    // the simulator starts, once the models judge).
    const alertShown = await page
      .waitForFunction(
        ({ id, sensors }) => {
          const el = document.querySelector(`[node-id="${id}"]`);
          return el && new RegExp(`\\bm\\d · (${sensors.join('|')})\\b`).test(el.innerText);
        },
        { id: alertText, sensors: SENSORS },
        { polling: 500, timeout: 90000 },
      )
      .then(
        () => true,
        () => false,
      );
    // Then a minute of data on the page, as a visitor would see it (and the screenshots show).
    await page.waitForTimeout(Math.max(0, opened + 60000 - Date.now()));
    seen = await readPage(page);
    const chart = (id) => seen.charts.find((c) => c.node === id);
    // Every check runs, and the test fails with the list of those that did not hold.
    const failures = [];
    const check = (what, fn) => {
      try {
        fn();
      } catch (err) {
        failures.push(`${what}: ${err.message}`);
      }
    };
    const shown = (id) => {
      const c = chart(id);
      assert.ok(c, `${id} is not drawn; charts: ${JSON.stringify(seen.charts.map((x) => x.node))}`);
      return c;
    };

    // T² and SPE: one series per machine, in the machine colours, and the limit in grey.
    for (const [name, id] of [
      ['T² chart', t2Chart],
      ['SPE chart', speChart],
    ]) {
      check(name, () => {
        const c = shown(id);
        assert.equal(c.type, 'line');
        const machines = c.datasets.filter((d) => d.label !== LIMIT);
        assert.deepEqual(
          machines.map((d) => d.label).sort(),
          MACHINES,
          `one series per machine, got ${JSON.stringify(c.datasets.map((d) => d.label))}`,
        );
        for (const d of machines) {
          assert.equal(
            d.border,
            MACHINE_COLOURS[MACHINES.indexOf(d.label)],
            `${d.label} in its machine colour`,
          );
          assert.ok(d.finite, `${d.label}: finite points`);
        }
        const limit = c.datasets.filter((d) => d.label === LIMIT);
        assert.equal(limit.length, 1, `one "${LIMIT}" line`);
        assert.equal(limit[0].border, LIMIT_COLOUR, 'the limit is grey');
        assert.ok(limit[0].points > 0, 'the limit is drawn');
      });
    }

    // The contributions of each machine's latest window: one bar series per machine, in the
    // machine colours, one bar per sensor, finite and ≥ 0.
    check('contributions chart', () => {
      const c = shown(barsChart);
      assert.equal(c.type, 'bar');
      assert.deepEqual(c.labels, SENSORS, 'one bar per sensor');
      assert.deepEqual(c.datasets.map((d) => d.label).sort(), MACHINES, 'one series per machine');
      for (const d of c.datasets) {
        const colours = Array.isArray(d.background) ? d.background : [d.background];
        for (const colour of colours) {
          assert.equal(
            colour,
            MACHINE_COLOURS[MACHINES.indexOf(d.label)],
            `${d.label} in its machine colour`,
          );
        }
        assert.equal(d.points, SENSORS.length, `${d.label}: a bar per sensor`);
        assert.ok(
          d.values.every((v) => Number.isFinite(v) && v >= 0),
          `${d.label}: ${d.values}`,
        );
      }
    });

    // Operating mode over time: one strip row per machine, cells in the cluster colours.
    check('mode strip', () => {
      assert.deepEqual(seen.strip.map((r) => r.machine).sort(), MACHINES, 'one row per machine');
      for (const row of seen.strip) {
        assert.ok(row.cells.length > 0, `${row.machine}: cells`);
        for (const cell of row.cells) {
          assert.ok(Number.isInteger(cell.cluster) && cell.cluster >= 0, JSON.stringify(cell));
          assert.equal(
            cell.fill,
            CLUSTER_COLOURS[cell.cluster % 10],
            `${row.machine}: cluster ${cell.cluster} colour`,
          );
        }
      }
    });

    // The operating modes scatter: points of every cluster, each cluster in its palette colour, one
    // marker per machine.
    let clusterSets = [];
    check('scatter', () => {
      const sc = shown(scatter);
      assert.equal(sc.type, 'scatter');
      clusterSets = sc.datasets.filter((d) => /^cluster \d+$/.test(d.label));
      assert.equal(clusterSets.length, sc.datasets.length, JSON.stringify(sc.datasets.map((d) => d.label)));
      for (const d of clusterSets) {
        const i = Number(d.label.split(' ')[1]);
        assert.ok(d.finite, `${d.label}: finite points`);
        const colours = Array.isArray(d.background) ? d.background : [d.background];
        for (const colour of colours) assert.equal(colour, CLUSTER_COLOURS[i % 10], `${d.label} colour`);
      }
      for (const i of [0, 1, 2]) {
        assert.ok(
          clusterSets.some((d) => d.label === `cluster ${i}` && d.points > 0),
          `points of cluster ${i}`,
        );
      }
      const styles = new Set(
        clusterSets.flatMap((d) => (Array.isArray(d.pointStyle) ? d.pointStyle : [d.pointStyle])),
      );
      assert.equal(styles.size, MACHINES.length, `one marker per machine: ${[...styles]}`);
    });

    check('chart sizes', () => {
      for (const c of seen.charts) assert.ok(c.width > 150 && c.height > 100, JSON.stringify(c));
    });

    // Layout: at 1280 px the groups sit side by side, with no horizontal scroll.
    check('layout at 1280 px', () => {
      const wide = seen.groups;
      assert.ok(wide.length >= 3, `at least 3 groups: ${JSON.stringify(wide)}`);
      assert.ok(new Set(wide.map((g) => g.y)).size < wide.length, `side by side: ${JSON.stringify(wide)}`);
      assert.ok(seen.scrollWidth <= 1280, `no horizontal scroll (${seen.scrollWidth})`);
    });

    // The dashboard scrolls inside its own container: a viewport as tall as the groups shows
    // the whole page in the screenshot.
    const fit = async (width) => {
      await page.setViewportSize({ width, height: 900 });
      await page.waitForTimeout(2500);
      const bottom = await page.evaluate(() =>
        Math.max(
          0,
          ...[...document.querySelectorAll('ui-card-panel')].map((g) => g.getBoundingClientRect().bottom),
        ),
      );
      await page.setViewportSize({ width, height: Math.max(900, Math.ceil(bottom) + 24) });
      await page.waitForTimeout(1500);
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-dashboard1-'));
    const shots = [path.join(dir, `${label}-1280.png`), path.join(dir, `${label}-390.png`)];
    await fit(1280);
    await page.screenshot({ path: shots[0], timeout: 120000 });
    await fit(390);
    const narrow = await readPage(page);
    await page.screenshot({ path: shots[1], timeout: 120000 });
    console.log(`      screenshots: ${shots.join(', ')}`);
    // At 390 px they stack, one column, nothing wider than the screen.
    check('layout at 390 px', () => {
      assert.ok(narrow.groups.length >= 3, `at least 3 groups: ${JSON.stringify(narrow.groups)}`);
      assert.equal(
        new Set(narrow.groups.map((g) => g.x)).size,
        1,
        `stacked: ${JSON.stringify(narrow.groups)}`,
      );
      for (const g of narrow.groups)
        assert.ok(g.x >= 0 && g.x + g.w <= 390, `inside 390 px: ${JSON.stringify(g)}`);
      assert.ok(narrow.scrollWidth <= 390, `no horizontal scroll (${narrow.scrollWidth})`);
    });

    const alert = await page.evaluate((id) => {
      const el = document.querySelector(`[node-id="${id}"]`);
      return el ? el.innerText : '';
    }, alertText);
    check('alert', () => assert.ok(alertShown, `names the machine and the sensor: "${alert}"`));
    check('alerts on factory/alerts', () => {
      assert.ok(alerts.length > 0, 'an alert was published');
      for (const a of alerts) {
        assert.ok(MACHINES.includes(a.machine), `machine: ${JSON.stringify(a)}`);
        assert.ok(SENSORS.includes(a.sensor), `sensor: ${JSON.stringify(a)}`);
      }
    });
    check('console', () => assert.deepEqual(problems, [], 'the page logged problems'));
    assert.deepEqual(failures, [], `${label}: ${failures.length} checks failed`);
    const points = Object.fromEntries(clusterSets.map((d) => [d.label, d.points]));
    console.log(`      ${label}: scatter ${JSON.stringify(points)}; alert "${alert.replace(/\s+/g, ' ')}"`);
  } finally {
    await browser.close();
    await listener.endAsync();
  }
}

describe('node-red-dashboard (v1) demo at /ui in headless Chromium', function () {
  this.timeout(360000);

  before(function () {
    requireChromium();
  });

  it('Node-RED 4, `DASHBOARD=1 npm start`: series per machine, limits, modes, scatter of every cluster, no console error', async () => {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-demo1-'));
    let demo;
    try {
      demo = await startDemo1(userDir);
      assert.match(
        demo.url,
        /^http:\/\/127\.0\.0\.1:\d+\/ui\/#!\/0$/,
        'the demo prints the v1 dashboard URL',
      );
      await checkDashboard(demo, 'nr4');
    } finally {
      if (demo) await demo.stop();
      fs.rmSync(userDir, { recursive: true, force: true });
    }
  });

  it('Node-RED 5 on Node 22: the same page from the same flow, simulator and a mosquitto broker', async () => {
    const demo = await startRuntime({ nodeRed: nodeRed5(), execPath: node22() });
    try {
      assert.match(demo.version, /^5\./);
      await checkDashboard(demo, 'nr5');
    } finally {
      await demo.stop();
    }
  });
});
