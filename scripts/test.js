'use strict';
// Runs the test tiers in order (unit, runtime, e2e by default, or the ones named on the command
// line) and stops at the first tier that fails. A tier's files run several at once (mocha
// --parallel), then its `alone` files one by one (test/support/tiers.js). Before anything runs it
// refuses a test file that no tier would run. STREAM_ML_TEST_JOBS overrides the files run at once
// (1: one after another). Arguments after `--` go to every mocha run, e.g.
// `node scripts/test.js unit -- --grep forgetting`.
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
        .flatMap((tier) => tier.folders)
        .map((folder) => `test/${folder}/`)
        .join(', ')} (helpers into test/support/).`,
  );
  process.exit(1);
}

/** Runs mocha on `files` (paths below test/); returns its exit status. */
function mocha(files, jobs) {
  const parallel = jobs > 1 && files.length > 1 ? ['--parallel', '--jobs', String(jobs)] : [];
  const result = spawnSync(
    process.execPath,
    [
      require.resolve('mocha/bin/mocha.js'),
      ...parallel,
      ...mochaArgs,
      ...files.map((file) => path.join(testDir, file)),
    ],
    { cwd: root, stdio: 'inherit' },
  );
  return result.status ?? 1;
}

const override = Number(process.env.STREAM_ML_TEST_JOBS);
const timings = [];
for (const tier of tiers) {
  const files = tierFiles(tier);
  if (files.length === 0) continue;
  const { jobs, alone = [] } = TIERS[tier];
  const together = files.filter((file) => !alone.includes(file));
  const groups = [together, ...alone.filter((file) => files.includes(file)).map((file) => [file])];
  console.log(`\n=== ${tier}: ${files.length} files ===`);
  const started = Date.now();
  let status = 0;
  for (const group of groups) {
    if (group.length === 0) continue;
    status = mocha(group, Number.isInteger(override) && override >= 1 ? override : jobs);
    if (status !== 0) break;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  timings.push(`${tier} ${seconds} s`);
  if (status !== 0) {
    console.error(`\nThe ${tier} tier failed (${seconds} s); the tiers after it did not run.`);
    process.exit(status);
  }
}
console.log(`\nTiers passed: ${timings.join(', ')}.`);
