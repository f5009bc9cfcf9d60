'use strict';
// A store that cannot write (a full disk), in a real Node-RED runtime: a warning naming how many
// keys were not saved and why, the models kept in memory and written again with backoff, the
// temporary files of failed writes deleted, a note once they are saved again; and an emptied
// context file is a warning at start. The disk is a small tmpfs where the test may mount one
// (root), and always a store plugin whose writes fail with ENOSPC while a flag file exists.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Runtime, makeUserDir } = require('../support/runtime');

const KEYS = 70;

const flow = () => [
  { id: 'tab', type: 'tab', label: 'test' },
  { id: 'src', type: 'probe-source', z: 'tab', wires: [['n1']] },
  { id: 'n1', type: 'ml-pca', z: 'tab', keyProperty: 'topic', components: 1, wires: [['out'], ['models']] },
  { id: 'out', type: 'probe-sink', z: 'tab', wires: [] },
  { id: 'models', type: 'probe-sink', z: 'tab', wires: [] },
];

/** Three samples for each of KEYS keys. */
function samples() {
  const msgs = [];
  for (let k = 0; k < KEYS; k++) {
    for (let i = 0; i < 3; i++)
      msgs.push({ topic: `machine-${k}`, payload: [k + i, 2 * i - k, (k * i) % 7] });
  }
  return msgs;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(predicate, what, ms = 30000) {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const warned = (runtime, pattern) => runtime.warnings('n1').filter((text) => pattern.test(text));

describe('learner persistence when the store cannot write', function () {
  this.timeout(120000);
  let runtime;
  let mounted;
  const temporary = [];
  afterEach(async () => {
    if (runtime) await runtime.cleanup();
    runtime = undefined;
    if (mounted) execFileSync('umount', [mounted]);
    mounted = undefined;
    for (const dir of temporary.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ENOSPC on every write: one warning with the key count and cause, retried, saved again once space returns', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-full-'));
    temporary.push(dir);
    const fullFlag = path.join(dir, 'full');
    const dump = path.join(dir, 'dump.json');
    fs.writeFileSync(fullFlag, '');
    runtime = await Runtime.start({
      flows: flow(),
      contextStorage: {
        default: {
          module: path.join(__dirname, '..', 'support', 'full-disk-store.js'),
          config: { fullFlag, dump },
        },
      },
    });
    runtime.send('src', ...samples());
    const failed =
      /^could not save the models of 70 of 70 keys: ENOSPC: no space left on device, write\. They are kept in memory and written again in 1 s/;
    await until(() => warned(runtime, failed).length > 0, 'the failed-save warning').catch((err) => {
      throw new Error(
        `${err.message}; warnings: ${runtime.warnings('n1').join(' | ')}; runtime: ${runtime.runtimeWarnings().join(' | ')}`,
      );
    });
    // Retried with backoff (1 s, then 2 s): a second warning says the next pause doubled.
    await until(() => warned(runtime, /written again in 2 s/).length > 0, 'the second try, 2 s later');
    assert.ok(!fs.existsSync(dump), 'nothing was stored while the disk was full');
    fs.rmSync(fullFlag);
    await until(
      () => warned(runtime, /saved the models of 70 keys again/).length > 0,
      'the saved-again note',
      20000,
    );
    const stored = JSON.parse(fs.readFileSync(dump, 'utf8'))['n1:tab'];
    assert.equal(Object.keys(stored).filter((name) => name.startsWith('model:')).length, KEYS);
    assert.equal(runtime.child.exitCode, null, 'Node-RED is still running');
  });

  it('a full tmpfs under localfilesystem (cached): warned, its temporary file deleted, saved again after space is freed', async function () {
    const userDir = makeUserDir();
    const disk = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-tmpfs-'));
    temporary.push(disk);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', disk], { stdio: 'ignore' });
      mounted = disk;
    } catch {
      // Not root: the store plugin above stands for the full disk.
      fs.rmSync(userDir, { recursive: true, force: true });
      this.skip();
    }
    runtime = await Runtime.start({
      flows: flow(),
      userDir,
      contextStorage: { default: { module: 'localfilesystem', config: { dir: disk, flushInterval: 1 } } },
    });
    runtime.send('src', ...samples());
    const folder = path.join(disk, 'context', 'tab');
    await until(
      () =>
        warned(runtime, /the context store could not write .*n1\.json \(it left a temporary file/).length > 0,
      'the failed-write warning',
    );
    const warning = warned(runtime, /could not save the models of 70 of 70 keys/)[0];
    assert.match(warning, /often a sign of a full disk, \d+ bytes free/);
    await until(
      () => !fs.readdirSync(folder).some((name) => name.endsWith('.tmp')),
      'the temporary file deleted',
      10000,
    );
    execFileSync('mount', ['-o', 'remount,size=4m', disk]);
    await until(
      () => warned(runtime, /saved the models of 70 keys again/).length > 0,
      'the saved-again note',
    );
    const saved = JSON.parse(fs.readFileSync(path.join(folder, 'n1.json'), 'utf8'));
    assert.equal(Object.keys(saved).filter((name) => name.startsWith('model:')).length, KEYS);
    assert.ok(!fs.readdirSync(folder).some((name) => name.endsWith('.tmp')), 'no temporary file left');
  });

  it('an emptied context file is a warning at start, and the models start fresh', async () => {
    const userDir = makeUserDir();
    runtime = await Runtime.start({ flows: flow(), userDir });
    runtime.send('src', ...samples().slice(0, 9));
    await sleep(1500);
    await runtime.stop();
    const file = path.join(userDir, 'context', 'tab', 'n1.json');
    assert.ok(fs.readFileSync(file, 'utf8').includes('model:machine-0'), 'saved on close');
    fs.writeFileSync(file, '');
    runtime = await Runtime.start({ userDir });
    await until(
      () => warned(runtime, /is empty \(emptied or truncated outside Node-RED\)/).length > 0,
      'the warning',
    );
    assert.match(warned(runtime, /is empty/)[0], /n1\.json is empty .*the models start fresh/);
  });
});
