'use strict';
// The test tiers, in the order `npm test` runs them: the fast ones first, so a unit failure is
// reported before any runtime, broker or browser starts. A test belongs to a tier by its folder;
// a file anywhere else under test/ (outside support/ and fixtures/) would be run by no tier, so
// the runner refuses to start while one exists.
const fs = require('node:fs');
const path = require('node:path');

const testDir = path.resolve(__dirname, '..');

/** Tier name → the folders (below test/) whose `*.test.js` files it runs. */
const TIERS = {
  unit: ['unit/lib', 'unit/nodes'],
  runtime: ['runtime'],
  e2e: ['e2e'],
};

/** Folders below test/ that hold no tests. */
const NOT_TESTS = ['support', 'fixtures', '.tmp'];

function filesBelow(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesBelow(full) : [full];
  });
}

/** The test files of one tier, relative to test/, sorted. */
function tierFiles(tier) {
  return TIERS[tier]
    .flatMap((folder) => filesBelow(path.join(testDir, folder)))
    .filter((file) => file.endsWith('.test.js'))
    .map((file) => path.relative(testDir, file))
    .sort();
}

/**
 * Files below test/ that no tier runs: a test outside the tier folders, or a file in a tier
 * folder that is not a `*.test.js` (helpers belong in support/). Paths relative to test/.
 */
function strayFiles() {
  const folders = Object.values(TIERS).flat();
  return filesBelow(testDir)
    .map((file) => path.relative(testDir, file))
    .filter((file) => !NOT_TESTS.some((dir) => file.startsWith(dir + path.sep)))
    .filter((file) => {
      const inTier = folders.some((folder) => file.startsWith(folder.split('/').join(path.sep) + path.sep));
      return !inTier || !file.endsWith('.test.js');
    })
    .sort();
}

module.exports = { TIERS, testDir, tierFiles, strayFiles };
