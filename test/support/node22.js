'use strict';
// Node 22 for the Node-RED 5 tests, from the npm package `node@22` (npx caches it), as the
// project's machines have Node 20 only.
const { execFileSync } = require('node:child_process');

let cached;

/** Path of a Node 22 binary. */
function node22() {
  if (!cached) {
    cached = execFileSync('npx', ['-y', 'node@22', '-p', 'process.execPath'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 300000,
    }).trim();
    if (!/^v22\./.test(execFileSync(cached, ['--version'], { encoding: 'utf8' }))) {
      throw new Error(`${cached} is not Node 22`);
    }
  }
  return cached;
}

module.exports = { node22 };
