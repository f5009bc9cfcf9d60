'use strict';
// The package as a user gets it: `npm pack` (its `prepack` builds), the tarball installed with
// npm into a fresh Node-RED 4 and a fresh Node-RED 5 user directory (nothing of this repository
// linked), then a real Node-RED started on each: the four nodes registered from the installed
// copy, every shipped example served under Import → Examples and deployed with no unknown type,
// `require('@stream-ml/node-red')` giving the documented lib API, the simulator `bin` publishing
// with nothing but the package installed, and every link and image of the shipped README
// pointing at a shipped file.
const assert = require('node:assert/strict');
const { execFile, spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { promisify } = require('node:util');
const mqtt = require('mqtt');
const { Runtime } = require('../support/runtime');
const { freePort, startMosquitto } = require('../support/mosquitto');
const { node22 } = require('../support/node22');
const { nodeRed5 } = require('../support/node-red-5');

const run = promisify(execFile);
const repoRoot = path.resolve(__dirname, '..', '..');
const pkg = require('../../package.json');
const OUR_TYPES = ['ml-window', 'ml-standardize', 'ml-pca', 'ml-kmeans'];
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** The documented lib API (lib/index.ts). */
const LIB_API = [
  'SampleError',
  'ModelError',
  'SampleReader',
  'Standardizer',
  'StreamingPCA',
  'StreamingKMeans',
  'WindowEngine',
];

function getJson(port, route) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: route, headers: { Accept: 'application/json' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`GET ${route}: ${res.statusCode} ${body}`));
          else resolve(JSON.parse(body));
        });
      })
      .on('error', reject);
  });
}

/** Whether `version` satisfies a range of caret alternatives such as "^4.1.15 || ^5.0.7". */
function satisfiesCaret(range, version) {
  // A development build reports e.g. "4.1.15-git": its release numbers count.
  const [major, minor, patch] = version.split('-')[0].split('.').map(Number);
  return range.split('||').some((alternative) => {
    const match = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(alternative);
    assert.ok(match, `node-red.version "${range}": expected caret ranges`);
    const [M, m, p] = match.slice(1).map(Number);
    return major === M && (minor > m || (minor === m && patch >= p));
  });
}

describe('the packed package installed in a fresh Node-RED', function () {
  this.timeout(240000);
  const temp = [];
  let tarball;
  let installed;
  /** Two user directories with the tarball installed: for Node-RED 4 and for Node-RED 5. */
  let userDirs;

  before(async () => {
    const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-pack-'));
    temp.push(packDir);
    // `npm pack` runs `prepack` (the build) in the worktree: dist/ is git-ignored.
    const { stdout } = await run(NPM, ['pack', '--json', '--pack-destination', packDir], {
      cwd: repoRoot,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [report] = JSON.parse(stdout.slice(stdout.indexOf('[')));
    tarball = path.join(packDir, report.filename);
    installed = new Set(report.files.map((f) => f.path));
    userDirs = await Promise.all([installInto(), installInto()]);
  });

  after(() => {
    for (const dir of temp) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh user directory with the tarball installed by npm, as `npm install <tarball>` does. */
  async function installInto() {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-userdir-'));
    temp.push(userDir);
    fs.writeFileSync(
      path.join(userDir, 'package.json'),
      JSON.stringify({ name: 'node-red-project', private: true, version: '0.0.1' }),
    );
    // The runtime dependencies come from npm's cache when it has them, else from the registry.
    await run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
      cwd: userDir,
      maxBuffer: 16 * 1024 * 1024,
    });
    return userDir;
  }

  it('ships what main, types, bin, node-red.nodes, the examples and the README point at', () => {
    for (const file of [
      pkg.main,
      pkg.types,
      ...Object.values(pkg.bin),
      ...Object.values(pkg['node-red'].nodes),
    ]) {
      assert.ok(installed.has(file), `${file} is not in the tarball`);
    }
    assert.ok(installed.has('LICENSE'), 'LICENSE is not in the tarball');
    assert.match(fs.readFileSync(path.join(repoRoot, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
    for (const type of OUR_TYPES) {
      assert.ok(installed.has(`dist/nodes/${type}/${type}.html`), `${type}.html is not in the tarball`);
    }
    const examples = fs.readdirSync(path.join(repoRoot, 'examples')).filter((f) => f.endsWith('.json'));
    for (const file of examples) assert.ok(installed.has(`examples/${file}`), `examples/${file} not shipped`);
    // Every relative link and image of the README (and of the docs pages it links to) resolves
    // inside the package, so they work on GitHub, on npm and in an installed copy alike.
    const pages = ['README.md', ...[...installed].filter((f) => /^docs\/.*\.md$/.test(f))];
    for (const page of pages) {
      assert.ok(installed.has(page), `${page} is not in the tarball`);
      const text = fs.readFileSync(path.join(repoRoot, page), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target)) continue;
        const file = path.posix.normalize(path.posix.join(path.posix.dirname(page), target.split('#')[0]));
        assert.ok(installed.has(file), `${page} links to ${target}, which is not in the package`);
      }
    }
    // Every shipped example that needs readings names a source the package ships.
    for (const file of examples) {
      const text = fs.readFileSync(path.join(repoRoot, 'examples', file), 'utf8');
      assert.doesNotMatch(text, /node demo\/simulator\.js/, `${file} names a script outside the package`);
    }
    // The README states the supported Node-RED versions as package.json does.
    assert.ok(
      fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8').includes(pkg['node-red'].version),
      `README.md does not state node-red.version "${pkg['node-red'].version}"`,
    );
  });

  for (const [index, version] of [
    { name: 'Node-RED 4', nodeRed: () => require.resolve('node-red'), execPath: () => process.execPath },
    { name: 'Node-RED 5', nodeRed: () => nodeRed5(), execPath: node22 },
  ].entries()) {
    it(`${version.name}: the nodes, every example and the lib API from the installed tarball`, async () => {
      const userDir = userDirs[index];
      const moduleDir = path.join(userDir, 'node_modules', '@stream-ml', 'node-red');
      assert.ok(!fs.lstatSync(moduleDir).isSymbolicLink(), 'the package is installed, not linked');
      for (const dep of Object.keys(pkg.dependencies)) {
        assert.ok(fs.existsSync(path.join(userDir, 'node_modules', dep)), `${dep} was not installed`);
      }

      // All shipped examples at once, as deployed flows (their ids are unique across files).
      const exampleDir = path.join(moduleDir, 'examples');
      const exampleFiles = fs.readdirSync(exampleDir).filter((f) => f.endsWith('.json'));
      const flows = exampleFiles.flatMap((f) =>
        JSON.parse(fs.readFileSync(path.join(exampleDir, f), 'utf8')),
      );
      const port = await freePort();
      // Rejects when a flow uses a type no installed module registers.
      const runtime = await Runtime.start({
        flows,
        userDir,
        nodeRed: version.nodeRed(),
        execPath: version.execPath(),
        port,
      });
      try {
        assert.match(runtime.version, version.name === 'Node-RED 4' ? /^4\./ : /^5\./);
        assert.ok(
          satisfiesCaret(pkg['node-red'].version, runtime.version),
          `node-red.version ${pkg['node-red'].version} excludes the tested ${runtime.version}`,
        );
        assert.deepEqual(runtime.nodeErrors, []);

        const nodeSets = await getJson(port, '/nodes');
        const ours = nodeSets.filter((set) => set.module === pkg.name);
        assert.deepEqual(ours.flatMap((set) => set.types).sort(), [...OUR_TYPES].sort());
        for (const set of ours) {
          assert.equal(set.enabled, true, `${set.id} is disabled`);
          assert.equal(set.local, true, `${set.id} was not loaded from the user directory`);
          assert.equal(set.version, pkg.version);
          assert.equal(set.err, undefined, `${set.id}: ${set.err}`);
        }
        const registered = new Set(nodeSets.flatMap((set) => set.types));
        const used = new Set(flows.map((n) => n.type).filter((t) => t !== 'tab' && !/^subflow/.test(t)));
        assert.deepEqual(
          [...used].filter((type) => !registered.has(type)),
          [],
          'example node types no installed module registers',
        );

        // Import → Examples lists every shipped example under the package's name.
        for (const file of exampleFiles) {
          const name = file.replace(/\.json$/, '');
          const served = await getJson(port, `/library/examples/flows/${pkg.name}/${name}`);
          assert.deepEqual(
            served.map((n) => n.id),
            JSON.parse(fs.readFileSync(path.join(exampleDir, file), 'utf8')).map((n) => n.id),
            `${name} as served by Import → Examples`,
          );
        }
        const problems = [
          ...runtime
            .runtimeWarnings()
            .filter((text) => !/Projects disabled|unencrypted credentials/i.test(text)),
          ...runtime.logs.filter((log) => OUR_TYPES.includes(log.nodeType)).map((log) => log.text),
        ];
        assert.deepEqual(problems, [], 'warnings while the examples started');
      } finally {
        await runtime.stop();
      }

      // The documented lib API, required by package name from the user directory.
      const script = [
        "const api = require('@stream-ml/node-red');",
        "const sample = new api.SampleReader().read([[1, 2], [3, 5]], null, 'rows');",
        'const scaler = new api.Standardizer(sample);',
        'scaler.learnBatch(sample.rows);',
        'const z = Array.from(scaler.transform([2, 3], new Float64Array(2)));',
        "const file = require.resolve('@stream-ml/node-red');",
        'console.log(JSON.stringify({ keys: Object.keys(api), z, file }));',
      ].join('\n');
      const { stdout } = await run(version.execPath(), ['-e', script], { cwd: userDir });
      const result = JSON.parse(stdout);
      for (const name of LIB_API) assert.ok(result.keys.includes(name), `the lib API lacks ${name}`);
      assert.deepEqual(result.z, [0, -1 / 3]);
      assert.equal(fs.realpathSync(result.file), fs.realpathSync(path.join(moduleDir, pkg.main)));
      assert.ok(fs.existsSync(path.join(moduleDir, pkg.types)), `${pkg.types} is missing`);
    });
  }

  it('the stream-ml-simulator bin publishes readings with only the package installed', async () => {
    const userDir = userDirs[0];
    const broker = await startMosquitto();
    const client = mqtt.connect(broker.url);
    let simulator;
    try {
      await new Promise((resolve, reject) => {
        client.once('connect', resolve);
        client.once('error', reject);
      });
      await client.subscribeAsync('factory/#');
      const readings = [];
      client.on('message', (topic, payload) =>
        readings.push({ topic, value: JSON.parse(payload.toString()) }),
      );
      const bin = path.join(userDir, 'node_modules', '.bin', 'stream-ml-simulator');
      simulator = spawn(bin, ['--url', broker.url, '--period', '100'], {
        cwd: userDir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      simulator.stdout.on('data', (chunk) => (output += chunk));
      simulator.stderr.on('data', (chunk) => (output += chunk));
      const deadline = Date.now() + 20000;
      while (readings.length < 3 * 4 * 3 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const topics = new Set(readings.map((r) => r.topic));
      for (const machine of ['m1', 'm2', 'm3']) {
        for (const sensor of ['temp', 'current', 'vib', 'pressure']) {
          assert.ok(topics.has(`factory/${machine}/${sensor}`), `no factory/${machine}/${sensor}\n${output}`);
        }
      }
      assert.ok(
        readings.every((r) => typeof r.value === 'number' && Number.isFinite(r.value)),
        'readings are JSON numbers',
      );
      const exited = new Promise((resolve) => simulator.once('exit', (code) => resolve(code)));
      simulator.kill('SIGINT');
      assert.equal(await exited, 0, output);
    } finally {
      if (simulator && simulator.exitCode === null) simulator.kill('SIGKILL');
      client.end(true);
      await broker.stop();
    }
  });
});
