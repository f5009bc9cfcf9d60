'use strict';
// Matching a refit's components to the previous fit within nearly equal eigenvalues: the same
// greedy choice (largest |dot| first, ties to the lower position, then the lower candidate) as
// the rescanning loop it replaced, which cost d⁴ for a fully tied spectrum.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');
const { prng, gaussian } = require('../../support/random');

const { orient } = dist('lib/pca/fit');

function unit(v) {
  const norm = Math.hypot(...v);
  return Float64Array.from(v, (x) => x / norm);
}

const dot = (u, v) => u.reduce((s, x, j) => s + x * v[j], 0);

/** The loop it replaced: rescan every open (slot, candidate) pair after each pick. */
function rescanning(vectors, previous) {
  const candidates = vectors.map((v) => Float64Array.from(v));
  for (const v of candidates) {
    let pivot = 0;
    for (let j = 1; j < v.length; j++) if (Math.abs(v[j]) > Math.abs(v[pivot])) pivot = j;
    if (v[pivot] < 0) for (let j = 0; j < v.length; j++) v[j] = -v[j];
  }
  const placed = new Array(candidates.length).fill(-1);
  const used = new Set();
  const open = new Set(previous.map((_, p) => p).slice(0, candidates.length));
  while (open.size > 0) {
    let best = -1;
    let slot = -1;
    let pick = -1;
    for (const p of open) {
      for (let c = 0; c < candidates.length; c++) {
        if (used.has(c)) continue;
        const score = Math.abs(dot(candidates[c], previous[p]));
        if (score > best) [best, slot, pick] = [score, p, c];
      }
    }
    placed[slot] = pick;
    used.add(pick);
    open.delete(slot);
    if (dot(candidates[pick], previous[slot]) < 0)
      for (let j = 0; j < candidates[pick].length; j++) candidates[pick][j] *= -1;
  }
  let next = 0;
  for (let o = 0; o < placed.length; o++) {
    if (placed[o] >= 0) continue;
    while (used.has(next)) next++;
    placed[o] = next;
    used.add(next);
  }
  return placed.map((c) => candidates[c]);
}

describe('PCA: matching tied components to the previous fit', () => {
  for (const [d, g, seed] of [
    [6, 6, 1],
    [12, 12, 2],
    [20, 20, 3],
    [9, 9, 4],
  ]) {
    it(`d = ${d}, ${g} tied eigenvalues: the same vectors, order and signs as the rescanning loop (seed ${seed})`, () => {
      const normal = gaussian(prng(seed));
      const vectors = Array.from({ length: d }, () => unit(Array.from({ length: d }, () => normal())));
      // Previous components near some of the new ones (a drifting fit), and a few exact ties.
      const previous = vectors.map((v, i) => unit(Array.from(v, (x) => x + 0.4 * normal() * (i % 3))));
      previous[1] = Float64Array.from(vectors[0]);
      const values = new Float64Array(d).fill(1);
      const expected = rescanning(vectors, previous);
      const got = vectors.map((v) => Float64Array.from(v));
      orient(got, values, previous, d);
      assert.deepEqual(
        got.map((v) => Array.from(v)),
        expected.map((v) => Array.from(v)),
      );
    });
  }
});
