'use strict';
// Quantiles behind the PCA limits. Reference values were computed with mpmath at 40 digits from
// the exact double inputs (0.95 is the double nearest 0.95), cross-checked with closed forms.
const assert = require('node:assert/strict');
const dist = require('../../support/dist');

const { normalQuantile, fQuantile, fDistribution, logGamma, regularizedBeta, inverseRegularizedBeta } =
  dist('lib/stats');

function close(actual, expected, relative, what) {
  const error = Math.abs(actual - expected) / Math.max(Math.abs(expected), Number.MIN_VALUE);
  assert.ok(error <= relative, `${what}: got ${actual}, expected ${expected} (relative error ${error})`);
}

describe('lib/stats', () => {
  describe('normalQuantile', () => {
    it('matches known quantiles to about 1e-15', () => {
      const table = [
        [0.95, 1.6448536269514722],
        [0.99, 2.3263478740408408],
        [0.975, 1.959963984540054],
        [0.3, -0.5244005127080408],
        [1e-20, -9.262340089798407],
      ];
      for (const [p, z] of table) close(normalQuantile(p), z, 2e-15, `qnorm(${p})`);
      assert.equal(normalQuantile(0.5), 0);
    });

    it('is antisymmetric and handles the ends', () => {
      for (const p of [0.001, 0.01, 0.2, 0.4])
        close(normalQuantile(1 - p), -normalQuantile(p), 1e-13, `1-${p}`);
      assert.equal(normalQuantile(0), -Infinity);
      assert.equal(normalQuantile(1), Infinity);
      assert.ok(Number.isNaN(normalQuantile(1.5)));
      assert.ok(Number.isNaN(normalQuantile(NaN)));
    });
  });

  describe('fQuantile', () => {
    it('matches a table of F quantiles to 1e-12', () => {
      const table = [
        [0.95, 2, 148, 3.057196806053665],
        [0.99, 2, 148, 4.751484060789592],
        [0.95, 2, 176, 3.0473068267268206],
        [0.95, 1, 10, 4.964602743730712],
        [0.95, 3, 7, 4.346831399907816],
        [0.99, 10, 168, 2.4280462428748693],
        [0.5, 5, 5, 1],
        [0.999, 1, 1, 405284.0679028482],
        [0.95, 2.5, 33.7, 3.052303970830046],
        [0.05, 7, 3, 0.23005263098568918],
        [0.999999, 2, 5, 625.471607870172],
        [0.95, 4, 1000, 2.380830995859773],
        [0.99, 3, 2000, 3.7914181539540253],
      ];
      for (const [p, d1, d2, q] of table) close(fQuantile(p, d1, d2), q, 1e-12, `qf(${p}, ${d1}, ${d2})`);
    });

    it('agrees with the closed form of F(2, m) up to m = 1e7', () => {
      // qf(p, 2, m) = (m/2)((1 − p)^(−2/m) − 1)
      for (const m of [1, 3, 10, 148, 1e3, 1e4, 1e5, 1e6, 1e7]) {
        for (const p of [0.01, 0.5, 0.9, 0.95, 0.99, 0.999]) {
          const exact = (m / 2) * Math.expm1(-(2 / m) * Math.log1p(-p));
          close(fQuantile(p, 2, m), exact, m > 1e5 ? 1e-10 : 1e-12, `qf(${p}, 2, ${m})`);
        }
      }
    });

    it('agrees with t-distribution identities for F(1, n)', () => {
      // F(1, 1) = Cauchy²: tan²(πp/2); F(1, 2) = t₂²: 2p²/(1 − p²).
      for (const p of [0.1, 0.5, 0.9, 0.95, 0.99]) {
        close(fQuantile(p, 1, 1), Math.tan((Math.PI * p) / 2) ** 2, 1e-12, `qf(${p}, 1, 1)`);
        close(fQuantile(p, 1, 2), (2 * p * p) / (1 - p * p), 1e-12, `qf(${p}, 1, 2)`);
      }
    });

    it('is the reciprocal of the swapped lower quantile, and the inverse of the distribution function', () => {
      for (const [d1, d2] of [
        [3, 20],
        [7, 150],
        [12, 5],
      ]) {
        for (const p of [0.05, 0.5, 0.95, 0.99]) {
          const q = fQuantile(p, d1, d2);
          close(q, 1 / fQuantile(1 - p, d2, d1), 1e-12, `reciprocal ${p} ${d1} ${d2}`);
          close(fDistribution(q, d1, d2), p, 1e-13, `cdf(qf) ${p} ${d1} ${d2}`);
          close(fDistribution(q, d1, d2, true), 1 - p, 1e-12, `upper cdf(qf) ${p} ${d1} ${d2}`);
        }
      }
    });

    it('handles the ends and invalid arguments', () => {
      assert.equal(fQuantile(0, 3, 4), 0);
      assert.equal(fQuantile(1, 3, 4), Infinity);
      assert.ok(Number.isNaN(fQuantile(0.5, 0, 4)));
      assert.ok(Number.isNaN(fQuantile(0.5, 3, -1)));
      assert.ok(Number.isNaN(fQuantile(2, 3, 4)));
    });
  });

  describe('logGamma', () => {
    it('matches known values', () => {
      close(logGamma(0.5), 0.5723649429247001, 1e-15, 'lgamma(0.5)');
      close(logGamma(10), 12.801827480081469, 1e-15, 'lgamma(10)');
      close(logGamma(1e6), 12815504.569147611, 1e-15, 'lgamma(1e6)');
      close(logGamma(1e-8), 18.42068073818021, 1e-15, 'lgamma(1e-8)');
      close(logGamma(3.7), 1.428072326665388, 1e-14, 'lgamma(3.7)');
      assert.ok(Math.abs(logGamma(1)) < 1e-15 && Math.abs(logGamma(2)) < 1e-15);
      assert.ok(Number.isNaN(logGamma(0)) && Number.isNaN(logGamma(-1)));
    });
  });

  describe('regularizedBeta and its inverse', () => {
    it('matches closed forms I_x(1, b) = 1 − (1 − x)^b and I_x(a, 1) = x^a', () => {
      for (const b of [0.5, 3, 50, 5e4]) {
        for (const x of [1e-6, 0.01, 0.3, 0.7]) {
          const upper = Math.exp(b * Math.log1p(-x));
          const lower = -Math.expm1(b * Math.log1p(-x));
          if (lower > 1e-300) close(regularizedBeta(x, 1, b), lower, 1e-13, `I(${x}; 1, ${b})`);
          if (upper > 1e-12) close(regularizedBeta(x, 1, b, true), upper, 1e-11, `upper I(${x}; 1, ${b})`);
          const power = Math.pow(x, b);
          if (power > 1e-300) close(regularizedBeta(x, b, 1), power, 1e-12, `I(${x}; ${b}, 1)`);
        }
      }
    });

    it('is symmetric: I_x(a, b) = 1 − I_{1−x}(b, a)', () => {
      for (const [a, b, x] of [
        [2.5, 7, 0.2],
        [30, 4, 0.85],
        [0.5, 0.5, 0.4],
      ]) {
        close(regularizedBeta(x, a, b), regularizedBeta(1 - x, b, a, true), 1e-14, `symmetry ${a} ${b} ${x}`);
      }
    });

    it('inverts to 1e-12', () => {
      for (const [a, b] of [
        [0.5, 0.5],
        [1, 74],
        [5, 89],
        [40, 3],
        [0.3, 12],
      ]) {
        for (const p of [1e-6, 0.05, 0.5, 0.95, 0.999]) {
          const x = inverseRegularizedBeta(p, a, b);
          close(regularizedBeta(x, a, b), p, 1e-12, `I(inverse(${p}); ${a}, ${b})`);
          const y = inverseRegularizedBeta(p, a, b, true);
          // Above 0.999 a double cannot place x finely enough for a tiny upper tail.
          if (y < 0.999)
            close(regularizedBeta(y, a, b, true), p, 1e-12, `upper I(inverse(${p}); ${a}, ${b})`);
        }
      }
    });
  });
});
