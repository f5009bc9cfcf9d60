'use strict';
// The blocked co-moment kernel (lib/comoments): every upper entry is bit for bit the plain dot
// product of its two columns summed in row order, for every width around the block edges, and
// nothing below the diagonal is written.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { prng } = require('../../support/random');

const { upperProducts } = dist('lib/comoments');

function columns(count, d, uniform) {
  const values = new Float64Array(count * d);
  for (let i = 0; i < values.length; i++) values[i] = (uniform() - 0.5) * 10 ** Math.floor(uniform() * 6);
  return values;
}

describe('co-moment kernel', () => {
  it('equals the plain dot products to the bit, d = 1 … 13, with and without weights', () => {
    const uniform = prng(2024);
    for (let d = 1; d <= 13; d++) {
      for (const count of [1, 2, 7, 64]) {
        const centred = columns(count, d, uniform);
        for (const weighted of [centred, columns(count, d, uniform)]) {
          const out = new Float64Array(d * d).fill(-7);
          upperProducts(weighted, centred, count, d, out);
          for (let i = 0; i < d; i++) {
            for (let j = 0; j < d; j++) {
              if (j < i) {
                assert.equal(out[i * d + j], -7, `(${i}, ${j}) below the diagonal is untouched (d = ${d})`);
                continue;
              }
              let s = 0;
              for (let r = 0; r < count; r++) s += weighted[i * count + r] * centred[j * count + r];
              assert.equal(out[i * d + j], s, `(${i}, ${j}) of d = ${d}, ${count} rows`);
            }
          }
        }
      }
    }
  });
});
