'use strict';
// Runs the test tiers in order (unit, runtime, e2e by default, or the ones named on the command
// line), each in its own mocha process, and stops at the first tier that fails. Before anything
// runs it refuses a test file that no tier would run (test/support/tiers.js). Arguments after
// `--` go to every mocha run, e.g. `node scripts/test.js unit -- --grep forgetting`.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { TIERS, testDir, tierFiles, strayFiles } = require('../test/support/tiers');

const root = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const named = dash === -1 ? argv : argv.slice(0, dash);
const mochaArgs = dash === -1 ? [] : argv.slice(dash + 1);

const unknown = named.filter((tier) => !(tier in TIERS));
if (unknown.length > 0) {
  console.error(`Unknown tier ${unknown.join(', ')}; the tiers are ${Object.keys(TIERS).join(', ')}.`);
  process.exit(2);
}
const tiers =
  named.length > 0 ? Object.keys(TIERS).filter((tier) => named.includes(tier)) : Object.keys(TIERS);

const stray = strayFiles();
if (stray.length > 0) {
  console.error(
    'These files under test/ belong to no tier and would not run:\n' +
      stray.map((file) => `  test/${file}`).join('\n') +
      `\nMove each test into one of ${Object.values(TIERS)
        .flat()
        .map((folder) => `test/${folder}/`)
        .join(', ')} (helpers into test/support/).`,
  );
  process.exit(1);
}

const timings = [];
for (const tier of tiers) {
  const files = tierFiles(tier).map((file) => path.join(testDir, file));
  if (files.length === 0) continue;
  console.log(`\n=== ${tier}: ${files.length} files ===`);
  const started = Date.now();
  const result = spawnSync(
    process.execPath,
    [require.resolve('mocha/bin/mocha.js'), ...mochaArgs, ...files],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  timings.push(`${tier} ${seconds} s`);
  if (result.status !== 0) {
    console.error(`\nThe ${tier} tier failed (${seconds} s); the tiers after it did not run.`);
    process.exit(result.status ?? 1);
  }
}
console.log(`\nTiers passed: ${timings.join(', ')}.`);
