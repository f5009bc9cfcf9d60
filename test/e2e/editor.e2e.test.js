'use strict';
// The editor side of every node, in a real headless Chromium (Debian's, never a download)
// against a real Node-RED editor: the test helper never loads the .html, so this is where the
// forms, their defaults and validation, the help text and the locales are checked.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { launchChromium, requireChromium } = require('../support/browser');
const { Runtime } = require('../support/runtime');
const { freePort } = require('../support/mosquitto');

/** One node of each type, with the fields its form must show. */
const NODES = [
  { id: 'n-window', type: 'ml-window', fields: ['mode', 'size', 'step', 'groupBy', 'emit'] },
  {
    id: 'n-standardize',
    type: 'ml-standardize',
    fields: ['method', 'withMean', 'withStd', 'property', 'halfLife'],
  },
  {
    id: 'n-pca',
    type: 'ml-pca',
    fields: ['components', 'whiten', 'refitEvery', 'confidence', 'keyProperty'],
  },
  { id: 'n-kmeans', type: 'ml-kmeans', fields: ['clusters', 'init', 'seed', 'restarts', 'warmupSamples'] },
];

describe('editor forms in headless Chromium', function () {
  this.timeout(300000);
  let runtime;
  let browser;
  let page;
  const pageErrors = [];

  before(async function () {
    requireChromium();
    const port = await freePort();
    const flows = [
      { id: 'tab', type: 'tab', label: 'editor test' },
      ...NODES.map(({ id, type }, i) => ({ id, type, z: 'tab', x: 200, y: 60 + 60 * i, wires: [] })),
    ];
    runtime = await Runtime.start({ flows, port });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // The machine may be busy: wait as long as it takes a loaded one.
    page.setDefaultTimeout(60000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`http://127.0.0.1:${port}/`, { timeout: 120000 });
    await page.waitForFunction(() => window.RED && RED.nodes && RED.nodes.node('n-kmeans'), null, {
      timeout: 60000,
    });
  });

  after(async () => {
    if (browser) await browser.close();
    if (runtime) await runtime.cleanup();
  });

  for (const { id, type, fields } of NODES) {
    it(`${type}: in the palette, valid with its defaults, its form opens with every field, help in English`, async () => {
      const info = await page.evaluate(
        ({ id, type }) => {
          const definition = RED.nodes.getType(type);
          const node = RED.nodes.node(id);
          return {
            category: definition.category,
            paletteLabel:
              typeof definition.paletteLabel === 'function'
                ? definition.paletteLabel()
                : definition.paletteLabel,
            outputLabels: [0, 1].map((i) =>
              typeof definition.outputLabels === 'function'
                ? definition.outputLabels.call(node, i)
                : undefined,
            ),
            valid: node.valid,
            inPalette: document.querySelectorAll(`.red-ui-palette-node[data-palette-type="${type}"]`).length,
          };
        },
        { id, type },
      );
      assert.equal(info.category, 'machine learning');
      assert.equal(info.inPalette, 1, 'shown in the palette');
      assert.equal(info.valid, true, 'a node with default settings is valid');
      if (type !== 'ml-window') assert.deepEqual(info.outputLabels, ['result', 'models']);

      await page.evaluate((id) => RED.editor.edit(RED.nodes.node(id)), id);
      for (const field of fields) {
        await page.waitForSelector(`#node-input-${field}`, { state: 'attached', timeout: 60000 });
      }
      const untranslated = await page.evaluate(() =>
        [...document.querySelectorAll('.red-ui-tray [data-i18n]')]
          .filter((el) => el.offsetParent !== null && /\b(ml-[a-z]+)\.[a-zA-Z.]+/.test(el.textContent || ''))
          .map((el) => el.textContent),
      );
      assert.deepEqual(untranslated, [], 'every label has an English string');
      await page.screenshot({
        path: require('node:path').join(require('node:os').tmpdir(), `editor-${type}.png`),
      });
      await page.evaluate(() => RED.tray.close());
      await page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 0, null, {
        timeout: 60000,
      });

      const help = await page.evaluate((type) => {
        const el = document.querySelector(`script[data-help-name="${type}"]`);
        return el ? el.innerHTML : RED.nodes.getNodeHelp ? RED.nodes.getNodeHelp(type) : '';
      }, type);
      for (const section of ['Inputs', 'Outputs', 'Details'])
        assert.match(help, new RegExp(`<h3>${section}</h3>`));
      assert.deepEqual(pageErrors, [], 'no script error in the editor');
    });
  }

  it('rejects invalid settings in the form (validation)', async () => {
    const result = await page.evaluate(() => {
      const check = (type, property, value) => {
        const definition = RED.nodes.getType(type).defaults[property];
        // Valid is `true`; invalid is false or the message saying what is allowed.
        return definition.validate ? definition.validate.call({}, value, {}) === true : true;
      };
      const message = (type, property, value) =>
        RED.nodes.getType(type).defaults[property].validate.call({}, value, {});
      return {
        pcaComponents: [
          check('ml-pca', 'components', 2),
          check('ml-pca', 'components', 0.95),
          check('ml-pca', 'components', 2.5),
        ],
        warmup: [check('ml-standardize', 'warmupSamples', ''), check('ml-standardize', 'warmupSamples', 0)],
        features: [check('ml-standardize', 'features', 'a, b'), check('ml-standardize', 'features', 'a, a')],
        // Optional msg properties: empty is valid (the runtime's default), a broken expression is not.
        properties: [
          check('ml-pca', 'keyProperty', ''),
          check('ml-pca', 'keyProperty', 'device.id'),
          check('ml-pca', 'keyProperty', 'a..b'),
          check('ml-window', 'timeProperty', ''),
          check('ml-window', 'nameProperty', 'x['),
          check('ml-standardize', 'property', ''),
        ],
        clusters: [check('ml-kmeans', 'clusters', '4'), check('ml-kmeans', 'clusters', '0')],
        messages: [message('ml-kmeans', 'clusters', '0'), message('ml-pca', 'confidence', '0.99995')],
      };
    });
    assert.deepEqual(result.pcaComponents, [true, true, false]);
    assert.deepEqual(result.warmup, [true, false]);
    assert.deepEqual(result.features, [true, false]);
    assert.deepEqual(result.properties, [true, true, false, true, false, true]);
    assert.deepEqual(result.clusters, [true, false]);
    assert.deepEqual(result.messages, [
      'Clusters must be a whole number between 1 and 1000 (or blank for the default)',
      'Confidence must be a number between 0.5 and 0.9999 (or blank for the default)',
    ]);
  });
});

describe('the demo editor (npm start) in headless Chromium', function () {
  this.timeout(180000);
  let demo;
  let browser;
  let userDir;

  after(async () => {
    if (browser) await browser.close();
    if (demo && demo.exitCode === null) {
      const exited = new Promise((resolve) => demo.once('exit', resolve));
      demo.kill('SIGTERM');
      await exited;
    }
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('opens on the flow: no update-notification question, no welcome tour', async () => {
    const os = require('node:os');
    const path = require('node:path');
    const { spawn } = require('node:child_process');
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-demo-editor-'));
    const port = await freePort();
    demo = spawn(process.execPath, [path.join(__dirname, '..', '..', 'demo', 'start.js')], {
      env: {
        ...process.env,
        PORT: String(port),
        MQTT_PORT: String(await freePort()),
        DEMO_DIR: userDir,
        MQTT_URL: '',
        NR_LOG: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the demo did not start:\n${output}`)), 90000);
      const onData = (chunk) => {
        output += chunk;
        if (/Editor: /.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      demo.stdout.on('data', onData);
      demo.stderr.on('data', onData);
      demo.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the demo exited with ${code}:\n${output}`));
      });
    });

    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    page.setDefaultTimeout(60000);
    await page.goto(`http://127.0.0.1:${port}/`, { timeout: 120000 });
    await page.waitForFunction(
      () => window.RED && RED.nodes && RED.nodes.filterNodes({ type: 'ml-pca' }).length > 0,
      null,
      {
        timeout: 90000,
      },
    );
    // The editor asks its first-run questions a moment after it has loaded the flow.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const overlays = await page.evaluate(() =>
      [
        ...document.querySelectorAll(
          '.red-ui-dialog-body, .red-ui-tourGuide-popover, .red-ui-tourGuide-shade, .ui-dialog',
        ),
      ]
        .filter((el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden')
        .map((el) => `${el.className}: ${el.textContent.trim().slice(0, 60)}`),
    );
    assert.deepEqual(overlays, [], 'nothing covers the workspace');
    await page.screenshot({ path: path.join(os.tmpdir(), 'editor-demo.png') });
  });
});
