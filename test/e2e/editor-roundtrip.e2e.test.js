'use strict';
// The user's path through the editor, on Node-RED 4 and 5, in Debian's Chromium (never a
// download): find the nodes in the palette with their help and port labels; open each node, press
// Done without a change and deploy; set every field through the form as a person does (typing,
// choosing options, ticking boxes, typedInput types), press Done, deploy with the Deploy button and
// read back from the runtime what it got; import every example. The browser console must show no
// warning or error from our nodes all along.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { launchChromium, requireChromium } = require('../support/browser');
const { Runtime } = require('../support/runtime');
const { freePort } = require('../support/mosquitto');
const { node22 } = require('../support/node22');
const { nodeRed5 } = require('../support/node-red-5');

const OUR_TYPES = ['ml-window', 'ml-standardize', 'ml-pca', 'ml-kmeans'];
/** A console line that comes from our nodes. */
const OURS = /ml-(window|standardize|pca|kmeans)|StreamML|stream-ml/i;
const examplesDir = path.join(__dirname, '..', '..', 'examples');

/** The settings every learner shares (standardize, pca, k-means). */
const LEARNER = {
  property: { type: 'msg', value: 'reading' },
  keyProperty: { type: 'msg', value: 'device' },
  learning: 'warmup',
  warmupSamples: '20',
  whileWarmingUp: 'pass',
  halfLife: '500',
  maxKeys: '50',
  maxDimension: '64',
  store: 'memory',
  shareEvery: '5',
  instance: 'edge-1',
  sharePrefix: 'plant/models',
  peerExpiry: '600',
  receiveShares: true,
};

/**
 * What a person enters in each field of each node's form, one line per field, in the order the
 * form is filled: text is typed (the editor saves what was typed), booleans tick or clear a
 * checkbox, other strings choose a <select> option, `{type, value}` is a typedInput (its type
 * chosen from its menu, then the value typed). Each must differ from the field's default. The test
 * fails when a node's `defaults` has a field missing here: a new setting needs a line here.
 */
const VALUES = {
  'ml-window': {
    name: 'line 1 window',
    mode: 'time',
    size: '2000',
    step: '500',
    gap: '750',
    timeProperty: { type: 'msg', value: 'ts' },
    lateness: '100',
    emitEmpty: true,
    groupBy: 'align',
    keyProperty: { type: 'msg', value: 'machine' },
    nameProperty: { type: 'msg', value: 'sensor' },
    emit: 'aggregate',
    aggregates: 'mean, max',
    property: { type: 'msg', value: 'reading' },
    features: 'temp, vib',
    maxSamples: '500',
    horizon: '60000',
    maxKeys: '20',
    idleTimeout: '3600000',
    maxFeatures: '12',
    maxDimension: '32',
  },
  'ml-standardize': {
    ...LEARNER,
    name: 'scaler',
    withMean: false,
    withStd: false,
    method: 'minmax',
    features: 'a, b',
  },
  'ml-pca': {
    ...LEARNER,
    name: 'projection',
    components: '0.9',
    whiten: true,
    refitEvery: '50',
    confidence: '0.99',
    learnOnlyNormal: true,
    relearnAfter: '25',
    alarmSpan: '5',
    alarmT2Level: '3',
    alarmSpeLevel: '8',
    alarmHold: '12',
    features: 'a, b, c',
  },
  'ml-kmeans': {
    ...LEARNER,
    name: 'clusters of 4',
    clusters: '4',
    seed: '7',
    restarts: '5',
    outlierLimit: '4.5',
    learnOnlyNormal: true,
    relearnAfter: '25',
    init: 'given',
    centers: '[[0, 0], [1, 1], [2, 2], [3, 3]]',
    features: 'a, b',
  },
};

/**
 * Fields the final values hide: the form state a person sets first to reach them (the final
 * values are set again afterwards).
 */
const REVEAL = {
  'ml-window': { gap: { mode: 'session' } },
  'ml-standardize': { withMean: { method: 'zscore' }, withStd: { method: 'zscore' } },
};

const expected = (entry) => (entry !== null && typeof entry === 'object' ? entry.value : entry);
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for the edit tray to be open (`open`) or closed. */
async function tray(page, open, timeout = 60000) {
  await page.waitForFunction(
    (open) =>
      document.querySelectorAll('.red-ui-tray').length > 0 === open && !$('.red-ui-tray').is(':animated'),
    open,
    { timeout },
  );
  // The tray slides in; let its buttons settle before clicking them.
  await wait(300);
}

/** Opens a node's edit dialog the way a person does: a double click on it in the workspace. */
async function openNode(page, id, timeout) {
  await page.evaluate((id) => {
    const node = RED.nodes.node(id);
    RED.workspaces.show(node.z);
    RED.view.reveal(id);
  }, id);
  await wait(300);
  await page.locator(`g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`).dblclick({ timeout });
  await tray(page, true, timeout);
}

async function pressDone(page) {
  await page.locator('#node-dialog-ok').click();
  await tray(page, false);
}

/** Sets one field of the open form as a person does. */
async function setField(page, type, field, entry, revealed = new Set()) {
  const input = page.locator(`#node-input-${field}`);
  assert.equal(await input.count(), 1, `${type}: the form has no field for "${field}"`);
  const kind = await input.evaluate((el) => {
    if (el.type === 'checkbox') return 'checkbox';
    if (el.tagName === 'SELECT') return 'select';
    return $(el).next('.red-ui-typedInput-container').length > 0 ? 'typed' : 'text';
  });
  const container = page.locator(`#node-input-${field} + .red-ui-typedInput-container`);
  const shown = kind === 'typed' ? container : input;
  if (!(await shown.isVisible())) {
    const reveal = (REVEAL[type] || {})[field];
    assert.ok(reveal, `${type}: "${field}" is hidden when its turn comes: add what shows it to REVEAL`);
    for (const [other, value] of Object.entries(reveal)) {
      await setField(page, type, other, value);
      revealed.add(other);
    }
    assert.ok(await shown.isVisible(), `${type}: REVEAL does not show "${field}"`);
  }
  if (kind === 'checkbox') {
    assert.equal(typeof entry, 'boolean', `${type}.${field} is a checkbox: give true or false`);
    await input.setChecked(entry);
  } else if (kind === 'select') {
    await input.selectOption(String(entry));
  } else {
    let box = input;
    let text = entry;
    if (kind === 'typed') {
      assert.ok(entry && typeof entry === 'object', `${type}.${field} is a typedInput: give {type, value}`);
      const current = await input.evaluate((el) => $(el).typedInput('type'));
      if (current !== entry.type) {
        await container.locator('.red-ui-typedInput-type-select').click();
        await page.locator(`.red-ui-typedInput-options a[value="${entry.type}"]:visible`).click();
      }
      assert.equal(await input.evaluate((el) => $(el).typedInput('type')), entry.type);
      box = container.locator('input.red-ui-typedInput-input');
      text = entry.value;
    }
    await box.click();
    await box.press('ControlOrMeta+a');
    await box.press('Delete');
    await box.pressSequentially(String(text));
    // Then on to the next field, which also closes a typedInput's completion list.
    await page.locator(`label[for="node-input-${field}"]`).first().click();
    await box.blur();
  }
}

/** Deploys with the Deploy button; resolves to the text of any warning it raised (then cancelled). */
async function deploy(page) {
  await page.locator('#red-ui-header-button-deploy').click();
  const outcome = await page.waitForFunction(
    () => {
      const warning = [...document.querySelectorAll('.red-ui-notification')].find((el) =>
        /not properly configured|unknown node types|unused config/i.test(el.textContent),
      );
      if (warning) return { warning: warning.textContent };
      return !RED.nodes.dirty() ? { warning: null } : false;
    },
    null,
    { timeout: 60000 },
  );
  const { warning } = await outcome.jsonValue();
  if (warning) {
    await page
      .locator('.red-ui-notification button', { hasText: /cancel/i })
      .first()
      .click();
  }
  return warning;
}

/** The flows the runtime runs, from the admin API. */
async function deployedFlows(port) {
  const response = await fetch(`http://127.0.0.1:${port}/flows`, {
    headers: { 'Node-RED-API-Version': 'v1' },
  });
  assert.equal(response.status, 200);
  return response.json();
}

/** The properties a node's definition declares, as the editor holds them. */
function properties(page, id) {
  return page.evaluate((id) => {
    const node = RED.nodes.node(id);
    return Object.fromEntries(Object.keys(node._def.defaults).map((key) => [key, node[key]]));
  }, id);
}

const RUNTIMES = [
  { label: 'Node-RED 4', nodeRed: () => require.resolve('node-red'), execPath: () => undefined, major: '4' },
  { label: 'Node-RED 5', nodeRed: () => nodeRed5(), execPath: () => node22(), major: '5' },
];

describe('the editor round trip a user makes, in headless Chromium', function () {
  this.timeout(600000);
  let browser;

  before(async function () {
    requireChromium();
    browser = await launchChromium();
  });

  after(async () => {
    if (browser) await browser.close();
  });

  for (const target of RUNTIMES) {
    describe(target.label, function () {
      let runtime;
      let page;
      let port;
      const consoleLines = [];
      /** The node of each type dragged from the palette. */
      const fresh = {};

      before(async function () {
        port = await freePort();
        // For each of our types a node to configure, wired from a source and to a sink so that the
        // runtime's use of the settings shows; and a k-means node saved before the setting was
        // called `clusters`.
        const flows = [{ id: 'tab', type: 'tab', label: 'round trip' }];
        OUR_TYPES.forEach((type, i) => {
          const y = 60 + 80 * i;
          flows.push(
            { id: `src-${type}`, type: 'probe-source', z: 'tab', x: 120, y, wires: [[`set-${type}`]] },
            {
              id: `set-${type}`,
              type,
              z: 'tab',
              x: 320,
              y,
              wires: type === 'ml-window' ? [[`sink-${type}`]] : [[`sink-${type}`], []],
            },
            { id: `sink-${type}`, type: 'probe-sink', z: 'tab', x: 520, y, wires: [] },
          );
        });
        flows.push(
          { id: 'src-legacy', type: 'probe-source', z: 'tab', x: 120, y: 380, wires: [['legacy-kmeans']] },
          {
            id: 'legacy-kmeans',
            type: 'ml-kmeans',
            z: 'tab',
            x: 320,
            y: 380,
            k: 5,
            init: 'given',
            centers: '[[0], [1], [2], [3], [4]]',
            wires: [['sink-legacy'], []],
          },
          { id: 'sink-legacy', type: 'probe-sink', z: 'tab', x: 520, y: 380, wires: [] },
        );
        runtime = await Runtime.start({
          flows,
          port,
          nodeRed: target.nodeRed(),
          execPath: target.execPath(),
        });
        assert.equal(runtime.version.split('.')[0], target.major);
        page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
        // The machine may be busy: wait as long as it takes a loaded one.
        page.setDefaultTimeout(60000);
        page.on('console', (message) => {
          if (message.type() === 'warning' || message.type() === 'error') {
            consoleLines.push(`${message.type()}: ${message.text()}`);
          }
        });
        page.on('pageerror', (err) => consoleLines.push(`pageerror: ${err.stack || err.message}`));
        await page.goto(`http://127.0.0.1:${port}/`, { timeout: 120000 });
        await page.waitForFunction(
          () =>
            window.RED &&
            RED.nodes &&
            RED.nodes.node('set-ml-kmeans') &&
            $('#red-ui-main-container').is(':visible'),
          null,
          { timeout: 90000 },
        );
        // Let the editor finish opening (its first-run dialogs would come now).
        await wait(1500);
      });

      // A failed step may leave a dialog or a deploy warning open: close it for the next one.
      afterEach(async () => {
        if (!page) return;
        for (let i = 0; i < 3; i++) {
          const open = await page.evaluate(() => {
            $('.red-ui-notification button:contains("Cancel")').trigger('click');
            if (!document.querySelector('.red-ui-tray')) return false;
            RED.tray.close();
            return true;
          });
          if (!open) break;
          await wait(1000);
        }
        await tray(page, false);
      });

      after(async () => {
        if (page) await page.close();
        if (runtime) await runtime.cleanup();
      });

      it('opens with no dialog over the workspace', async () => {
        const dialogs = await page.evaluate(() =>
          [
            ...document.querySelectorAll(
              '.red-ui-popover, .red-ui-tourGuide-popover, .ui-dialog, .red-ui-notification',
            ),
          ]
            .filter((el) => el.offsetParent !== null)
            .map((el) => el.textContent.trim().slice(0, 80)),
        );
        assert.deepEqual(dialogs, []);
      });

      it('palette: our four nodes under "machine learning", each with help (Inputs, Outputs, Details) and port labels', async () => {
        const palette = await page.evaluate(() => {
          const category = [...document.querySelectorAll('.red-ui-palette-category')].find((el) =>
            /^\s*machine learning\s*$/i.test(el.querySelector('.red-ui-palette-header').textContent),
          );
          return category
            ? [...category.querySelectorAll('.red-ui-palette-node')].map((el) =>
                el.getAttribute('data-palette-type'),
              )
            : null;
        });
        assert.ok(palette, 'a "machine learning" palette category');
        assert.deepEqual([...palette].sort(), [...OUR_TYPES].sort());

        // Drag each from the palette into the workspace, as a person adds a node.
        for (const [i, type] of OUR_TYPES.entries()) {
          const known = await page.evaluate((type) => RED.nodes.filterNodes({ type }).map((n) => n.id), type);
          await page
            .locator(`.red-ui-palette-node[data-palette-type="${type}"]`)
            .dragTo(page.locator('#red-ui-workspace-chart'), { targetPosition: { x: 700, y: 60 + 80 * i } });
          const added = await page.evaluate(
            ({ type, known }) =>
              RED.nodes
                .filterNodes({ type })
                .filter((n) => !known.includes(n.id))
                .map((n) => n.id),
            { type, known },
          );
          assert.equal(added.length, 1, `${type} dragged from the palette`);
          const id = added[0];
          fresh[type] = id;
          await page.locator(`g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`).click();
          await page.evaluate(() => RED.sidebar.show('help'));
          await page.waitForFunction(
            (type) => {
              const title = document.querySelector('.red-ui-help .red-ui-help-title');
              return title && title.textContent.trim() === RED.nodes.getType(type).paletteLabel;
            },
            type,
            { timeout: 60000 },
          );
          const headings = await page.evaluate(() =>
            [...document.querySelectorAll('.red-ui-help h3')].map((h) => h.textContent.trim()),
          );
          for (const section of ['Inputs', 'Outputs', 'Details']) {
            assert.ok(
              headings.includes(section),
              `${type}: help has no "${section}" section (has ${headings})`,
            );
          }
          const labels = await page.evaluate((id) => {
            const node = RED.nodes.node(id);
            const def = node._def;
            return Array.from({ length: node.outputs }, (_, i) =>
              typeof def.outputLabels === 'function'
                ? def.outputLabels.call(node, i)
                : (def.outputLabels || [])[i],
            );
          }, id);
          assert.equal(labels.length, { 'ml-window': 1, 'ml-pca': 3 }[type] ?? 2);
          for (const label of labels) {
            assert.ok(
              typeof label === 'string' && label.length > 0 && !label.includes('.'),
              `${type}: port label ${label}`,
            );
          }
        }
        await page.evaluate(() => RED.view.select([]));
        assert.equal(await deploy(page), null, 'the new nodes deploy without a warning');
      });

      it('open each node, press Done without a change: nothing changes, the node stays valid, deploy does not warn', async () => {
        for (const type of OUR_TYPES) {
          const id = fresh[type];
          assert.ok(id, `a ${type} from the palette`);
          const before = await properties(page, id);
          await openNode(page, id);
          await pressDone(page);
          const after = await page.evaluate((id) => {
            const node = RED.nodes.node(id);
            return { valid: node.valid, errors: node.validationErrors || [], changed: !!node.changed };
          }, id);
          assert.deepEqual(
            { valid: after.valid, errors: after.errors },
            { valid: true, errors: [] },
            `${type} is valid after Done`,
          );
          assert.deepEqual(await properties(page, id), before, `${type}: Done without a change changed it`);
          assert.equal(after.changed, false, `${type} is marked changed`);
        }
        // Deploy as after any other edit: the button must not warn about these nodes.
        await page.evaluate(() => RED.nodes.dirty(true));
        assert.equal(await deploy(page), null);
      });

      it('a k-means node saved with the old one-letter `k` shows it as Clusters and keeps it through Done and deploy', async () => {
        const id = 'legacy-kmeans';
        // The runtime reads the old setting.
        runtime.send('src-legacy', { payload: 3.9 });
        const [before] = await runtime.waitFor('sink-legacy', 1, 60000);
        assert.equal(before.kmeans.distances.length, 5);
        await openNode(page, id);
        assert.equal(await page.locator('#node-input-clusters').inputValue(), '5');
        await pressDone(page);
        const state = await page.evaluate((id) => {
          const node = RED.nodes.node(id);
          return { valid: node.valid, errors: node.validationErrors || [] };
        }, id);
        assert.deepEqual(state, { valid: true, errors: [] });
        await page.evaluate(() => RED.nodes.dirty(true));
        assert.equal(await deploy(page), null);
        const node = (await deployedFlows(port)).find((n) => n.id === id);
        assert.equal(String(node.clusters), '5', 'the deployed node has clusters = 5');
        runtime.send('src-legacy', { payload: 3.9 });
        const [, after] = await runtime.waitFor('sink-legacy', 2, 60000);
        assert.equal(after.cluster, 4);
        assert.equal(after.kmeans.distances.length, 5);
      });

      it('every field set through the form reaches the runtime exactly, and the runtime uses it', async () => {
        for (const type of OUR_TYPES) {
          const values = VALUES[type];
          const defaults = await page.evaluate(
            (type) =>
              Object.fromEntries(
                Object.entries(RED.nodes.getType(type).defaults).map(([key, def]) => [key, def.value]),
              ),
            type,
          );
          assert.deepEqual(
            Object.keys(values).sort(),
            Object.keys(defaults).sort(),
            `${type}: VALUES must give a value to every setting in the node's defaults, and only those`,
          );
          for (const [field, entry] of Object.entries(values)) {
            assert.notEqual(
              String(expected(entry)),
              String(defaults[field]),
              `${type}.${field}: not a default`,
            );
          }
          const id = `set-${type}`;
          await openNode(page, id);
          const filled = new Set();
          for (const [field, entry] of Object.entries(values)) {
            const revealed = new Set();
            await setField(page, type, field, entry, revealed);
            // Put back what was changed to reach this field once its own turn has passed.
            for (const other of revealed)
              if (filled.has(other)) await setField(page, type, other, values[other]);
            filled.add(field);
          }
          await page.screenshot({
            path: path.join(os.tmpdir(), `editor-roundtrip-nr${target.major}-${type}.png`),
          });
          await pressDone(page);
          const state = await page.evaluate((id) => {
            const node = RED.nodes.node(id);
            return { valid: node.valid, errors: node.validationErrors || [] };
          }, id);
          assert.deepEqual(state, { valid: true, errors: [] }, `${type} is valid with every field set`);
        }
        assert.equal(await deploy(page), null, 'deploy without a warning');

        const flows = await deployedFlows(port);
        for (const type of OUR_TYPES) {
          const node = flows.find((n) => n.id === `set-${type}`);
          const want = Object.fromEntries(
            Object.entries(VALUES[type]).map(([field, entry]) => [field, expected(entry)]),
          );
          const got = Object.fromEntries(Object.keys(want).map((field) => [field, node[field]]));
          assert.deepEqual(got, want, `${type} in the deployed flow`);
        }

        // The runtime started every node with these settings, and k-means has 4 clusters.
        await wait(500);
        assert.deepEqual(runtime.warnings(), [], 'no node reported a settings error');
        runtime.send('src-ml-kmeans', { reading: { a: 2.9, b: 3.2 }, device: 'm1' });
        const [clustered] = await runtime.waitFor('sink-ml-kmeans', 1, 60000);
        assert.equal(clustered.cluster, 3);
        assert.equal(clustered.kmeans.distances.length, 4);
      });

      it('a configured node opened and closed with Done keeps every value and stays valid', async () => {
        for (const type of OUR_TYPES) {
          const id = `set-${type}`;
          const before = await properties(page, id);
          await openNode(page, id);
          await pressDone(page);
          const after = await page.evaluate((id) => {
            const node = RED.nodes.node(id);
            return { valid: node.valid, errors: node.validationErrors || [], changed: !!node.changed };
          }, id);
          assert.deepEqual({ valid: after.valid, errors: after.errors }, { valid: true, errors: [] }, type);
          assert.deepEqual(await properties(page, id), before, `${type}: Done without a change changed it`);
          assert.equal(after.changed, false, `${type} is marked changed`);
        }
      });

      it('every example imports through the editor with known types only, every node valid', async () => {
        const files = fs
          .readdirSync(examplesDir)
          .filter((file) => file.endsWith('.json'))
          .sort();
        assert.ok(files.length > 0);
        const problems = [];
        for (const file of files) {
          const flow = JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8'));
          const report = await page.evaluate((flow) => {
            const before = new Set();
            RED.nodes.eachNode((n) => before.add(n.id));
            RED.nodes.eachConfig((n) => before.add(n.id));
            RED.view.importNodes(flow, { generateIds: false, addFlow: false });
            // Nodes imported onto the open tab follow the mouse until placed: place them.
            if (RED.view.state() === RED.state.IMPORT_DRAGGING) {
              $('#red-ui-workspace-chart').trigger('mouseup');
            }
            const imported = [];
            RED.nodes.eachNode((n) => {
              if (!before.has(n.id)) imported.push(n);
            });
            RED.nodes.eachConfig((n) => {
              if (!before.has(n.id)) imported.push(n);
            });
            return {
              count: imported.length,
              unknown: imported
                .filter((n) => n.type === 'unknown' || !RED.nodes.getType(n.type))
                .map((n) => n.type),
              invalid: imported
                .filter((n) => {
                  RED.editor.validateNode(n);
                  return n.valid !== true;
                })
                .map((n) => `${n.type} ${n.name || n.id}: ${JSON.stringify(n.validationErrors || [])}`),
            };
          }, flow);
          const expectedCount = flow.filter((n) => n.type !== 'tab').length;
          if (report.count !== expectedCount)
            problems.push(`${file}: imported ${report.count} of ${expectedCount}`);
          for (const type of report.unknown) problems.push(`${file}: unknown type ${type}`);
          for (const text of report.invalid) problems.push(`${file}: invalid ${text}`);
        }
        assert.deepEqual(problems, []);
      });

      it('every node of every example and demo: open, Done changes nothing, no node invalid', async () => {
        // The examples were imported by the test before.
        const files = fs
          .readdirSync(examplesDir)
          .filter((file) => file.endsWith('.json'))
          .sort();
        const problems = [];
        let opened = 0;
        for (const file of files) {
          const flow = JSON.parse(fs.readFileSync(path.join(examplesDir, file), 'utf8'));
          for (const { id, type } of flow.filter((n) => typeof n.x === 'number' && n.z)) {
            const before = await page.evaluate((id) => {
              const node = RED.nodes.node(id);
              if (!node) return null;
              // Imported nodes count as changed: only what Done does is looked at.
              node.changed = false;
              return Object.fromEntries(Object.keys(node._def.defaults).map((key) => [key, node[key]]));
            }, id);
            if (!before) {
              problems.push(`${file}: ${type} ${id} is not in the editor`);
              continue;
            }
            try {
              await openNode(page, id, 15000);
              await pressDone(page);
            } catch (err) {
              problems.push(`${file}: ${type} ${id} did not open and close: ${err.message.split('\n')[0]}`);
              await page.evaluate(() => RED.tray.close());
              await wait(1000);
              continue;
            }
            opened++;
            const after = await page.evaluate((id) => {
              const node = RED.nodes.node(id);
              RED.editor.validateNode(node);
              return {
                valid: node.valid,
                errors: node.validationErrors || [],
                changed: !!node.changed,
                properties: Object.fromEntries(
                  Object.keys(node._def.defaults).map((key) => [key, node[key]]),
                ),
              };
            }, id);
            const where = `${file}: ${type} ${id}`;
            if (!after.valid) problems.push(`${where} is invalid: ${JSON.stringify(after.errors)}`);
            for (const key of Object.keys(before)) {
              if (JSON.stringify(before[key]) !== JSON.stringify(after.properties[key])) {
                problems.push(
                  `${where}: Done changed ${key} from ${JSON.stringify(before[key])} to ${JSON.stringify(after.properties[key])}`,
                );
              }
            }
            if (after.changed) problems.push(`${where} is marked changed after Done`);
          }
        }
        assert.ok(opened > 50, `${opened} nodes opened`);
        assert.deepEqual(problems, []);
      });

      it('the browser console shows no warning or error from our nodes', () => {
        assert.deepEqual(
          consoleLines.filter((line) => OURS.test(line)),
          [],
        );
      });
    });
  }
});
