'use strict';
// Tests write only to temporary folders: after each mocha run (root hooks, loaded by .mocharc.json
// around every test file of the run; in a parallel run around each file) git sees the tree exactly as before — no tracked file rewritten (the
// README's picture, an example), no stray file left. Outside a git checkout (an unpacked
// tarball) there is nothing to compare.
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');

/** `git status` of the tree, each changed or untracked file with a hash of its content. */
function snapshot() {
  let status;
  try {
    status = execFileSync('git', ['status', '--porcelain=v1', '--untracked-files=all', '-z'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return null;
  }
  return status
    .split('\0')
    .filter(Boolean)
    .map((entry) => {
      const file = path.join(root, entry.slice(3));
      const hash =
        fs.existsSync(file) && fs.statSync(file).isFile()
          ? crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16)
          : '-';
      return `${entry} ${hash}`;
    })
    .sort();
}

let initial;

exports.mochaHooks = {
  beforeAll() {
    initial = snapshot();
  },
  afterAll() {
    if (initial === null) this.skip();
    assert.deepEqual(
      snapshot(),
      initial,
      'a test wrote into the tree (tests must write to os.tmpdir() only)',
    );
  },
};
