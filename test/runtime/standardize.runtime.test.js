'use strict';
// ml-standardize in a real Node-RED runtime (child process, package installed in its user
// directory, localfilesystem context store).
const assert = require('node:assert/strict');
const { Runtime } = require('../support/runtime');
const { assertClose } = require('../support/numeric');
const { iris } = require('../support/fixtures');

const flow = (extra = {}) => [
  { id: 'tab', type: 'tab', label: 'test' },
  { id: 'src', type: 'probe-source', z: 'tab', wires: [['std']] },
  { id: 'std', type: 'ml-standardize', z: 'tab', warmupSamples: 1, ...extra, wires: [['out'], ['models']] },
  { id: 'out', type: 'probe-sink', z: 'tab', wires: [] },
  { id: 'models', type: 'probe-sink', z: 'tab', wires: [] },
  { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['errors']] },
  { id: 'errors', type: 'probe-sink', z: 'tab', wires: [] },
];

describe('ml-standardize in a real Node-RED runtime', function () {
  this.timeout(60000);
  let runtime;
  afterEach(async () => runtime && runtime.cleanup());

  it('learns iris row by row to the reference mean and var, and scales a batch to the reference Z', async () => {
    runtime = await Runtime.start({ flows: flow() });
    runtime.send('src', ...iris.X.map((row) => ({ payload: row })), { export: true });
    const [model] = await runtime.waitFor('models', 1);
    assert.equal(model.payload.n_samples_seen, 150);
    assertClose(model.payload.mean, iris.scaler.mean, 1e-12, 'mean');
    assertClose(model.payload.var, iris.scaler.var, 1e-12, 'var');
    assert.equal(runtime.messages('out').length, 150);

    runtime.send('src', { reset: true }, { payload: iris.X });
    const out = await runtime.waitFor('out', 151);
    assertClose(out[150].payload, iris.scaler.Z, 1e-12, 'Z');
    assert.deepEqual(runtime.messages('errors'), []);
  });

  it('keeps a model across a restart with a localfilesystem context store', async () => {
    runtime = await Runtime.start({ flows: flow({ keyProperty: 'topic' }) });
    runtime.send('src', ...iris.X.map((row, i) => ({ topic: i % 2 ? 'odd' : 'even', payload: row })));
    await runtime.waitFor('out', 150);
    runtime.send('src', { export: true });
    const before = await runtime.waitFor('models', 2);
    await runtime.stop();

    runtime = await Runtime.start({ userDir: runtime.userDir });
    runtime.send('src', { export: true });
    const after = (await runtime.waitFor('models', 2)).slice(-2);
    assert.deepEqual(after, before);
    assert.deepEqual(runtime.warnings('std'), []);
  });

  it('starts fresh, with one warning, when the saved model does not fit the new settings', async () => {
    runtime = await Runtime.start({ flows: flow() });
    runtime.send('src', ...iris.X.map((row) => ({ payload: row })));
    await runtime.waitFor('out', 150);
    await runtime.stop();

    const fs = require('node:fs');
    const path = require('node:path');
    fs.writeFileSync(path.join(runtime.userDir, 'flows.json'), JSON.stringify(flow({ features: 'a,b,c,d' })));
    runtime = await Runtime.start({ userDir: runtime.userDir });
    runtime.send('src', { export: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(runtime.messages('models').length, 0, 'no model survived');
    const warnings = runtime.warnings('std');
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings[0], /do not fit.*Features \(a, b, c, d\)/);
    assert.match(warnings[1], /nothing to export/);
  });
});
