'use strict';
// The context entry names of saved models: every key, however odd, is one plain segment of a
// context property path and reads back as itself.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');

const { entryName, keyOfEntry, ENTRY_PREFIX, LEGACY_KEY } = dist('nodes/shared/learner/persistence');

describe('saved model entry names', () => {
  const keys = [
    '',
    'm1',
    '__proto__',
    'constructor',
    'a.b',
    'x[0]',
    "it's",
    '"q"',
    'a b/c%d',
    'π',
    '😀',
    '\ud800',
    'model:x',
  ];

  it('round-trip every key, and are plain names (letters, digits, _, -, %)', () => {
    for (const key of keys) {
      const name = entryName(key);
      assert.match(name, /^model:[A-Za-z0-9_%-]*$/, name);
      assert.equal(keyOfEntry(name), key, name);
    }
    assert.equal(new Set(keys.map(entryName)).size, keys.length, 'no two keys share a name');
  });

  it('are never the legacy entry or a name Node-RED reads as a path', () => {
    const { normalisePropertyExpression } = require('@node-red/util').util;
    for (const key of keys) {
      const name = entryName(key);
      assert.notEqual(name, LEGACY_KEY);
      assert.deepEqual(normalisePropertyExpression(name), [name]);
    }
  });

  it('other context entries are not taken for models', () => {
    for (const name of ['models', 'model', 'modelx', `${ENTRY_PREFIX}%zz`, `${ENTRY_PREFIX}a.b`, 'other']) {
      assert.equal(keyOfEntry(name), undefined, name);
    }
  });
});
