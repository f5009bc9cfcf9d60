'use strict';
// Node-RED 5 for the tests, installed at test time rather than as a devDependency: Node-RED 5
// requires Node 22, and as a devDependency every `npm install` on the supported Node 20 would warn
// about its engine. It is installed once (with the dashboards the demo flows use, at the versions
// of this package's devDependencies) into node_modules/.cache, by npm running on Node 22.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { node22 } = require('./node22');

const root = path.resolve(__dirname, '..', '..');
const pkg = require(path.join(root, 'package.json'));

/** The Node-RED 5 versions the package supports, from package.json's `node-red.version`. */
const RANGE = pkg['node-red'].version
  .split('||')
  .map((range) => range.trim())
  .find((range) => /^[\^~]?5\./.test(range));

/** The packages installed beside Node-RED 5, at the versions the package develops against. */
const BESIDE = ['@flowfuse/node-red-dashboard', 'node-red-dashboard'].map(
  (name) => `${name}@${pkg.devDependencies[name]}`,
);

let cached;

/** The main module of Node-RED 5 (what `require('node-red')` loads there), installed if need be. */
function nodeRed5() {
  if (cached) return cached;
  const dir = path.join(root, 'node_modules', '.cache', 'stream-ml', `node-red-${RANGE.replace(/\W/g, '')}`);
  if (!fs.existsSync(path.join(dir, 'node_modules', 'node-red', 'package.json'))) {
    // Installed aside and moved in place whole, so that parallel test runs never see half of it.
    const aside = `${dir}.${process.pid}`;
    fs.rmSync(aside, { recursive: true, force: true });
    fs.mkdirSync(aside, { recursive: true });
    fs.writeFileSync(path.join(aside, 'package.json'), JSON.stringify({ private: true }));
    const npm = path.join(
      path.dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'bin',
      'npm-cli.js',
    );
    execFileSync(
      node22(),
      [npm, 'install', '--no-audit', '--no-fund', '--loglevel=error', `node-red@${RANGE}`, ...BESIDE],
      { cwd: aside, stdio: ['ignore', 'ignore', 'inherit'], timeout: 600000 },
    );
    try {
      fs.renameSync(aside, dir);
    } catch (err) {
      // Another run installed it first.
      fs.rmSync(aside, { recursive: true, force: true });
      if (!fs.existsSync(path.join(dir, 'node_modules', 'node-red', 'package.json'))) throw err;
    }
  }
  cached = require.resolve('node-red', { paths: [dir] });
  const version = require(path.join(dir, 'node_modules', 'node-red', 'package.json')).version;
  if (!version.startsWith('5.')) throw new Error(`${cached} is Node-RED ${version}, not 5`);
  return cached;
}

module.exports = { nodeRed5, NODE_RED_5_RANGE: RANGE };
