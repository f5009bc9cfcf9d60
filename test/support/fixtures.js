'use strict';
// scikit-learn reference outputs, copied from shared/reference (see test/fixtures/README.md).
const path = require('node:path');

function load(name) {
  return require(path.join(__dirname, '..', 'fixtures', `${name}.json`));
}

module.exports = { iris: load('iris'), wine: load('wine') };
