'use strict';
// The editor and the runtime accept the same numbers: one flow holds a node per numeric setting
// and value just inside and just outside its bounds (from the table both read, lib/settings.ts);
// the runtime deploys it and reports which nodes have a setting error, and the editor, in Debian's
// Chromium, opens the same flow and validates every node. Each value must be judged alike.
const assert = require('node:assert/strict');
const { launchChromium, requireChromium } = require('../support/browser');
const { Runtime } = require('../support/runtime');
const { freePort } = require('../support/mosquitto');
const { NUMBER_SETTINGS } = require('../support/dist')('lib/settings');

/** A number a little beyond `value`, outward (`sign` -1 below, +1 above), as text. */
function beyond(value, sign, integer) {
  if (integer) return String(value + sign);
  return String(value + sign * Math.max(Math.abs(value) * 1e-6, 1e-9));
}

/** The values to try for one setting, each with whether it is inside the bounds. */
function cases(spec) {
  const list = [
    { value: beyond(spec.min, -1, spec.integer), inside: false },
    { value: String(spec.min), inside: !spec.aboveMin },
    { value: beyond(spec.min, +1, spec.integer), inside: true },
    { value: String(spec.max), inside: true },
    { value: beyond(spec.max, +1, spec.integer), inside: false },
    { value: 'ten', inside: false },
  ];
  if (spec.integer) list.push({ value: String(spec.min + 1.5), inside: false });
  return list;
}

/** The other settings a case needs so that only the one under test decides (window combinations). */
function context(type, key, value) {
  if (type === 'ml-kmeans' && key === 'warmupSamples') return { clusters: 1 };
  if (type === 'ml-pca' && key === 'maxDimension') return { components: '1' };
  if (type !== 'ml-window') return {};
  const n = Number(value);
  const whole = Number.isInteger(n) && n >= 1;
  switch (key) {
    case 'size':
      return { mode: 'count', maxSamples: whole ? value : '' };
    case 'size.time':
      return { mode: 'time', maxSamples: '' };
    case 'step':
      return {
        mode: 'time',
        size: whole && n <= NUMBER_SETTINGS['ml-window']['size.time'].max ? value : '1',
      };
    case 'gap':
      return { mode: 'session' };
    case 'maxSamples':
      return { mode: 'count', size: '1' };
    case 'horizon':
      return { timeProperty: 'ts', lateness: '0' };
    default:
      return {};
  }
}

describe('numeric settings: the editor and the runtime accept the same values', function () {
  this.timeout(600000);
  const nodes = [];
  let runtime;
  let browser;
  let page;

  before(async function () {
    requireChromium();
    const flows = [{ id: 'tab', type: 'tab', label: 'bounds' }];
    for (const [type, table] of Object.entries(NUMBER_SETTINGS)) {
      for (const [key, spec] of Object.entries(table)) {
        const name = key.split('.')[0];
        for (const { value, inside } of cases(spec)) {
          const id = `n${nodes.length}`;
          nodes.push({ id, type, key, name, value, inside });
          flows.push({
            id,
            type,
            z: 'tab',
            x: 100,
            y: 40 + nodes.length * 10,
            ...context(type, key, value),
            [name]: value,
            wires: type === 'ml-window' ? [[]] : [[], []],
          });
        }
      }
    }
    // PCA's components: a whole number up to Max dimension (blank: 128) and the Features listed, or
    // a fraction of variance; blank is 2, which must fit too.
    const components = [
      [{ components: '0' }, false],
      [{ components: '0.5' }, true],
      [{ components: '1' }, true],
      [{ components: '1.5' }, false],
      [{ components: '128' }, true],
      [{ components: '129' }, false],
      [{ components: '4', maxDimension: '4' }, true],
      [{ components: '5', maxDimension: '4' }, false],
      [{ components: '3', features: 'a, b, c' }, true],
      [{ components: '4', features: 'a, b, c' }, false],
      [{ maxDimension: '1' }, false],
    ];
    for (const [config, inside] of components) {
      const id = `n${nodes.length}`;
      nodes.push({
        id,
        type: 'ml-pca',
        key: 'components',
        name: 'components',
        value: JSON.stringify(config),
        inside,
      });
      flows.push({
        id,
        type: 'ml-pca',
        z: 'tab',
        x: 300,
        y: 40 + nodes.length * 10,
        ...config,
        wires: [[], []],
      });
    }
    const port = await freePort();
    runtime = await Runtime.start({ flows, port });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(60000);
    await page.goto(`http://127.0.0.1:${port}/`, { timeout: 120000 });
    await page.waitForFunction((id) => window.RED && RED.nodes && RED.nodes.node(id), nodes.at(-1).id, {
      timeout: 90000,
    });
  });

  after(async () => {
    if (browser) await browser.close();
    if (runtime) await runtime.cleanup();
  });

  it('every value just inside a bound is accepted by both, every value just outside rejected by both, and the editor says the allowed range', async () => {
    const editor = await page.evaluate(
      (cases) =>
        cases.map(({ id, name }) => {
          const node = RED.nodes.node(id);
          RED.editor.validateNode(node);
          const problem = node._def.defaults[name].validate.call(node, node[name], {});
          return { valid: node.valid, message: problem === true ? null : problem };
        }),
      nodes.map(({ id, name }) => ({ id, name })),
    );
    const disagreements = [];
    for (const [i, c] of nodes.entries()) {
      const errors = runtime
        .warnings(c.id)
        .map(String)
        .filter((text) => /configuration error/.test(text));
      const runtimeAccepts = errors.length === 0;
      const where = `${c.type} ${c.key} = ${c.value}`;
      if (runtimeAccepts !== c.inside)
        disagreements.push(`${where}: runtime ${runtimeAccepts ? 'accepts' : 'rejects'} (${errors})`);
      if (editor[i].valid !== c.inside)
        disagreements.push(`${where}: editor ${editor[i].valid ? 'accepts' : 'rejects'}`);
      if (!c.inside) {
        const spec = NUMBER_SETTINGS[c.type][c.key];
        const range = spec ? String(spec.max) : 'fraction of variance';
        if (typeof editor[i].message !== 'string' || !editor[i].message.includes(range)) {
          disagreements.push(`${where}: the editor's message does not give the range: ${editor[i].message}`);
        }
      }
    }
    assert.deepEqual(disagreements, []);
    assert.ok(nodes.length > 100, `${nodes.length} cases`);
  });
});
