'use strict';
// Numeric comparisons for tests. Relative tolerances are taken against the scale of the whole
// expected array (its largest absolute value), so entries near zero are not held to an absolute
// precision finer than the data's own rounding.
const assert = require('node:assert/strict');

function flatten(value) {
  if (typeof value === 'number') return [value];
  return Array.from(value, (item) => (typeof item === 'number' ? [item] : flatten(item))).flat();
}

/**
 * Asserts `actual` equals `expected` elementwise within `rtol` × max|expected|.
 * @param {string} what named in the failure message.
 */
function assertClose(actual, expected, rtol, what) {
  const a = flatten(actual);
  const e = flatten(expected);
  assert.equal(a.length, e.length, `${what}: ${a.length} values, expected ${e.length}`);
  const scale = Math.max(...e.map(Math.abs), Number.MIN_VALUE);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < e.length; i++) {
    const error = Math.abs(a[i] - e[i]);
    if (!(error <= worst)) {
      worst = error;
      at = i;
    }
  }
  assert.ok(
    worst <= rtol * scale,
    `${what}: largest error ${worst} at [${at}] (${a[at]} vs ${e[at]}) exceeds ${rtol} × ${scale}`,
  );
}

module.exports = { assertClose, flatten };
