'use strict';
// The test tiers, in the order `npm test` runs them: the fast ones first, so a unit failure is
// reported before any runtime, broker or browser starts. A test belongs to a tier by its folder;
// a file anywhere else under test/ (outside support/ and fixtures/) would be run by no tier, so
// the runner refuses to start while one exists.
const fs = require('node:fs');
const path = require('node:path');

const testDir = path.resolve(__dirname, '..');

/**
 * Tier name → how it runs: `folders` (below test/) whose `*.test.js` files it runs; `jobs`, the
 * files run at once (mocha --parallel, one process each: the tests use free loopback ports and
 * temporary folders only, so files do not meet); `first`, the longest files, started first so
 * that no long file starts last; `alone`, files that run after the others, by themselves.
 */
const TIERS = {
  unit: {
    folders: ['unit/lib', 'unit/nodes'],
    jobs: 2,
    first: ['unit/nodes/window.limits.node.test.js', 'unit/lib/pca.refit.lib.test.js'],
    // Its workers answer within timeouts of a few hundred ms: no other file competes for the CPU.
    alone: ['unit/lib/kmeans.threads.lib.test.js'],
  },
  runtime: { folders: ['runtime'], jobs: 3, first: ['runtime/persistence.runtime.test.js'] },
  e2e: {
    folders: ['e2e'],
    jobs: 3,
    first: ['e2e/dashboard1.e2e.test.js', 'e2e/dashboard.e2e.test.js', 'e2e/editor-roundtrip.e2e.test.js'],
    alone: [
      // Its instances must agree within a few share periods after a SIGKILL; beside browsers a
      // late share once changed a count after they had agreed.
      'e2e/scale-out.e2e.test.js',
      // `npm pack` runs the build (prepack), which replaces dist/ under every other file's feet.
      'e2e/package.e2e.test.js',
    ],
  },
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

/** The test files of one tier, relative to test/ (with / between folders): its `first` files, then the rest sorted. */
function tierFiles(tier) {
  const { folders, first = [] } = TIERS[tier];
  const files = folders
    .flatMap((folder) => filesBelow(path.join(testDir, folder)))
    .filter((file) => file.endsWith('.test.js'))
    .map((file) => path.relative(testDir, file).split(path.sep).join('/'))
    .sort();
  return [...first.filter((file) => files.includes(file)), ...files.filter((file) => !first.includes(file))];
}

/**
 * Files below test/ that no tier runs: a test outside the tier folders, or a file in a tier
 * folder that is not a `*.test.js` (helpers belong in support/). Paths relative to test/.
 */
function strayFiles() {
  const folders = Object.values(TIERS).flatMap((tier) => tier.folders);
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
