'use strict';
// `npm start` end to end in a real browser: the demo (embedded broker, simulator, Node-RED with the
// Dashboard 2 flow) on free ports, Debian's headless Chromium driven by playwright-core (no browser
// download), the scatter of PC1/PC2 checked for points of every cluster, and a screenshot saved
// to docs/dashboard.png for the README. Ctrl-C (SIGINT) must then stop the demo cleanly.
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('./support/mosquitto');

const repoRoot = path.resolve(__dirname, '..');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
const SCREENSHOT = path.join(repoRoot, 'docs', 'dashboard.png');
const demoFlow = require('../examples/dashboard2-demo.json');
const chartId = (name) => demoFlow.find((n) => n.type === 'ui-chart' && n.name === name).id;

/** Starts `node demo/start.js`; resolves once it has printed its dashboard URL. */
function startDemo(env) {
  const child = spawn(process.execPath, [path.join(repoRoot, 'demo', 'start.js')], {
    env: { ...process.env, NR_LOG: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${output}`)), 60000);
    const onData = (chunk) => {
      output += chunk;
      const match = /Dashboard: (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with ${code}:\n${output}`));
    });
  });
  return { child, ready, output: () => output };
}

describe('npm start: the live demo in headless Chromium', function () {
  this.timeout(180000);
  let demo;
  let browser;
  let userDir;

  before(function () {
    if (!CHROMIUM) throw new Error('chromium is not installed: apt-get install chromium (.ci/run does)');
  });

  after(async () => {
    if (browser) await browser.close();
    if (demo && demo.child.exitCode === null) demo.child.kill('SIGKILL');
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('shows PC1/PC2 points of every cluster, T² with its limit and cluster sizes; Ctrl-C stops it', async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-demo-'));
    const port = await freePort();
    const mqttPort = await freePort();
    demo = startDemo({ PORT: String(port), MQTT_PORT: String(mqttPort), DEMO_DIR: userDir, MQTT_URL: '' });
    const dashboardUrl = await demo.ready;
    assert.equal(dashboardUrl, `http://127.0.0.1:${port}/dashboard/machines`);

    const { chromium } = require('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const pageErrors = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // Dashboard 2 exposes each chart's component as window.uiCharts[id] when window.Cypress is
    // set (its own end-to-end hook); its `chart` is the ECharts instance that draws the data.
    await page.addInitScript(() => {
      window.Cypress = true;
    });
    await page.goto(dashboardUrl);

    const scatter = chartId('PC1/PC2 by cluster');
    const t2 = chartId('T² over time');
    const sizes = chartId('cluster sizes');
    const seriesOf = (id) =>
      page.evaluate((chart) => {
        const component = window.uiCharts && window.uiCharts[chart];
        if (!component || !component.chart) return null;
        return component.chart.getOption().series.map((s) => ({ name: s.name, type: s.type, data: s.data }));
      }, id);

    // Wait for points of all three clusters (warm-up: ~1 s windows, then 10 + 12 + 15 samples of
    // three machines).
    const deadline = Date.now() + 90000;
    let series = null;
    for (;;) {
      series = await seriesOf(scatter);
      const clusters = (series || []).filter((s) => s.data && s.data.length > 0).map((s) => s.name);
      if (['cluster 0', 'cluster 1', 'cluster 2'].every((c) => clusters.includes(c))) break;
      if (Date.now() > deadline) {
        throw new Error(`the scatter shows ${JSON.stringify(clusters)} after 90 s\n${demo.output()}`);
      }
      await page.waitForTimeout(1000);
    }
    for (const s of series) {
      assert.equal(s.type, 'scatter');
      for (const point of s.data) {
        const [x, y] = Array.isArray(point) ? point : point.value;
        assert.ok(Number.isFinite(x) && Number.isFinite(y), `${s.name}: ${JSON.stringify(point)}`);
      }
    }
    // Let more windows arrive, and the first injected fault (20 s after the start with the
    // demo's seed) show in the simulator's ground truth and in the scores, for the screenshot.
    await page
      .waitForFunction(() => /fault on/.test(document.body.innerText), null, { polling: 250, timeout: 45000 })
      .catch(() => console.log('      (no fault injected yet; the screenshot shows none)'));
    await page.waitForTimeout(4500);
    series = await seriesOf(scatter);
    const points = Object.fromEntries(series.map((s) => [s.name, s.data.length]));
    const t2Series = await seriesOf(t2);
    assert.deepEqual(t2Series.map((s) => s.name).sort(), ['limit', 'm1', 'm2', 'm3']);
    for (const s of t2Series) assert.ok(s.data.length > 0, `T² line ${s.name} has data`);
    const speSeries = await seriesOf(chartId('SPE over time'));
    assert.deepEqual(speSeries.map((s) => s.name).sort(), ['limit', 'm1', 'm2', 'm3']);
    const bars = await seriesOf(sizes);
    assert.equal(bars.length, 1);
    assert.equal(bars[0].type, 'bar');
    const value = (v) => (typeof v === 'number' ? v : Array.isArray(v) ? v[v.length - 1] : v.value);
    const total = bars[0].data.reduce((sum, v) => sum + value(v), 0);
    assert.ok(total > 0, `cluster sizes ${JSON.stringify(bars[0].data)}`);

    // The charts are drawn: each has a canvas of the size of its widget.
    const canvases = await page.$$eval('.nrdb-ui-chart canvas', (list) =>
      list.map((c) => ({ w: c.width, h: c.height })),
    );
    assert.ok(
      canvases.length >= 3 && canvases.every((c) => c.w > 100 && c.h > 100),
      JSON.stringify(canvases),
    );
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.deepEqual(pageErrors, []);
    console.log(
      `      scatter points per cluster: ${JSON.stringify(points)}; screenshot: docs/dashboard.png`,
    );

    // Ctrl-C: the demo stops the simulator, Node-RED and the broker, and exits 0.
    const exited = new Promise((resolve) =>
      demo.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    demo.child.kill('SIGINT');
    const result = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('timeout'), 15000)),
    ]);
    assert.deepEqual(result, { code: 0, signal: null }, demo.output());
  });
});
