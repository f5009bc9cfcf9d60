'use strict';
// `npm run fuzz`: the fuzz suite of `npm test` for longer, with a random or given seed.
//   FUZZ_SEED     the seed (default: random; printed)
//   FUZZ_CASES    hostile-message cases to run (default 5000; a few minutes)
//   FUZZ_SETTING  only this hostile-setting case (an index printed by a failure)
//   FUZZ_SETTINGS=0  skip the hostile settings
// Exits with status 1 when any case fails; every failure is printed with a one-line repro.
const { fuzzMessages, fuzzSettings, formatFailures } = require('../test/support/fuzz-harness');

async function main() {
  const seed = process.env.FUZZ_SEED
    ? Number(process.env.FUZZ_SEED) >>> 0
    : Math.floor(Math.random() * 2 ** 32);
  const cases = Number(process.env.FUZZ_CASES ?? 5000);
  const log = (line) => console.log(line);
  const begin = Date.now();
  let failed = 0;
  if (process.env.FUZZ_SETTING === undefined) {
    console.log(`fuzz: seed ${seed}, ${cases} hostile-message cases`);
    const run = await fuzzMessages({ seed, cases, log });
    const families = [...run.families].map(([name, n]) => `${name} ${n}`).join(', ');
    console.log(
      `\n${run.cases} cases (${run.skipped} skipped, ${run.restarts} runtime restarts): ${families}`,
    );
    if (run.failures.length)
      console.log(`\n${run.failures.length} failing:\n${formatFailures(seed, run.failures)}`);
    failed += run.failures.length;
  }
  if (process.env.FUZZ_SETTINGS !== '0') {
    const only = process.env.FUZZ_SETTING === undefined ? undefined : Number(process.env.FUZZ_SETTING);
    const run = await fuzzSettings({ only, log });
    console.log(`\n${run.cases} hostile settings deployed`);
    if (run.failures.length) {
      console.log(`\n${run.failures.length} failing:\n${formatFailures(seed, run.failures, 'settings')}`);
    }
    failed += run.failures.length;
  }
  console.log(`\nfuzz: seed ${seed}, ${failed} failing, ${((Date.now() - begin) / 1000).toFixed(0)} s`);
  return failed;
}

main().then(
  (failed) => process.exit(failed > 0 ? 1 : 0),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
