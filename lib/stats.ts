/**
 * Quantiles needed for the PCA control limits (docs/anomaly.md): the standard normal quantile and the
 * F quantile, with the log-gamma and regularized incomplete beta functions under them.
 *
 * Accuracy is what matters here, not speed (quantiles are computed once per refit): the normal
 * quantile is Wichura's AS 241 (relative error about 1e-16), and the beta density factor uses
 * Loader's saddle-point form (Stirling error terms and the deviance `bd0`) instead of
 * `exp(a ln x + b ln(1 − x) − ln B(a, b))`, whose cancellation loses about `log10(a + b)` digits
 * once a sample count reaches the millions. F quantiles are relative-accurate to about 1e-13 for
 * d2 up to 1e4, 1e-12 up to 1e6 and 1e-10 at 1e8 (tested against mpmath and closed forms).
 */

const LN_SQRT_2PI = 0.9189385332046728; // ln √(2π)
const LN_2PI = 1.8378770664093456;

/**
 * Quantile of the standard normal distribution (Wichura 1988, algorithm AS 241, PPND16).
 * @param p probability in [0, 1].
 * @returns z with Φ(z) = p; −Infinity at 0, Infinity at 1, NaN outside [0, 1].
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((r * 2509.0809287301227 + 33430.57558358813) * r + 67265.7709270087) * r + 45921.95393154987) *
          r +
          13731.69376550946) *
          r +
          1971.5909503065513) *
          r +
          133.14166789178438) *
          r +
          3.3871328727963665)) /
      (((((((r * 5226.495278852854 + 28729.085735721943) * r + 39307.89580009271) * r + 21213.794301586597) *
        r +
        5394.196021424751) *
        r +
        687.1870074920579) *
        r +
        42.31333070160091) *
        r +
        1)
    );
  }
  // 1 − p is exact for p ≥ 0.5 (Sterbenz), so the upper tail loses nothing here.
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let value: number;
  if (r <= 5) {
    r -= 1.6;
    value =
      (((((((r * 0.0007745450142783414 + 0.022723844989269184) * r + 0.2417807251774506) * r +
        1.2704582524523684) *
        r +
        3.6478483247632045) *
        r +
        5.769497221460691) *
        r +
        4.630337846156546) *
        r +
        1.4234371107496835) /
      (((((((r * 1.0507500716444169e-9 + 0.0005475938084995345) * r + 0.015198666563616457) * r +
        0.14810397642748008) *
        r +
        0.6897673349851) *
        r +
        1.6763848301838038) *
        r +
        2.053191626637759) *
        r +
        1);
  } else {
    r -= 5;
    value =
      (((((((r * 2.0103343992922881e-7 + 0.000027115555687434876) * r + 0.0012426609473880784) * r +
        0.026532189526576124) *
        r +
        0.29656057182850487) *
        r +
        1.7848265399172913) *
        r +
        5.463784911164114) *
        r +
        6.657904643501103) /
      (((((((r * 2.0442631033899397e-15 + 1.421511758316446e-7) * r + 0.000018463183175100548) * r +
        0.0007868691311456133) *
        r +
        0.014875361290850615) *
        r +
        0.1369298809227358) *
        r +
        0.599832206555888) *
        r +
        1);
  }
  return q < 0 ? -value : value;
}

/**
 * The error of Stirling's formula, `ln Γ(x + 1) − ((x + ½) ln x − x + ln √(2π))`, for x > 0.
 * Computed without cancellation: a series for x > 15, and below that the exact step
 * `δ(x) − δ(x + 1) = (x + ½) ln(1 + 1/x) − 1 = atanh(t)/t − 1` (t = 1/(2x + 1)) summed upwards.
 */
export function stirlingError(x: number): number {
  if (!(x > 0)) return NaN;
  let sum = 0;
  while (x <= 15) {
    const t = 1 / (2 * x + 1);
    if (t > 1 / 3) {
      sum += (x + 0.5) * Math.log1p(1 / x) - 1;
    } else {
      // atanh(t)/t − 1 = t²/3 + t⁴/5 + …, exact to rounding for t ≤ 1/3.
      const t2 = t * t;
      let power = t2;
      let term = 0;
      for (let i = 3; i < 80; i += 2) {
        const next = term + power / i;
        if (next === term) break;
        term = next;
        power *= t2;
      }
      sum += term;
    }
    x += 1;
  }
  const xx = x * x;
  // Coefficients B₂ₙ/(2n(2n − 1)): 1/12, 1/360, 1/1260, 1/1680, 1/1188, 691/360360.
  const series =
    (0.08333333333333333 -
      (0.002777777777777778 -
        (0.0007936507936507937 -
          (0.0005952380952380953 - (0.0008417508417508417 - 0.0019175269175269176 / xx) / xx) / xx) /
          xx) /
        xx) /
    x;
  return sum + series;
}

/**
 * Natural logarithm of the gamma function for x > 0 (absolute error about 1e-15).
 * @returns ln Γ(x); NaN for x ≤ 0.
 */
export function logGamma(x: number): number {
  if (!(x > 0)) return NaN;
  if (x === Infinity) return Infinity;
  // ln Γ(x) = ln Γ(x + 1) − ln x.
  return stirlingError(x) + (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI;
}

/** Loader's deviance term `x ln(x/m) + m − x`, accurate when x is close to m. */
function bd0(x: number, m: number): number {
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    let v = (x - m) / (x + m);
    let s = (x - m) * v;
    if (Math.abs(s) < Number.MIN_VALUE) return s;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const next = s + ej / (2 * j + 1);
      if (next === s) return next;
      s = next;
    }
  }
  return x * Math.log(x / m) + m - x;
}

/**
 * `xᵃ (1 − x)ᵇ / B(a, b)` for a, b > 0, 0 < x < 1 (y = 1 − x passed separately so that it keeps
 * full precision when x is close to 1). Uses Loader's form of the binomial density:
 * `Γ(n+1)/(Γ(a+1)Γ(b+1)) xᵃ yᵇ` with n = a + b, times ab/n.
 */
function betaFactor(x: number, y: number, a: number, b: number): number {
  const n = a + b;
  const lc = stirlingError(n) - stirlingError(a) - stirlingError(b) - bd0(a, n * x) - bd0(b, n * y);
  const lf = LN_2PI + Math.log(a) + Math.log1p(-a / n);
  return ((a * b) / n) * Math.exp(lc - 0.5 * lf);
}

/** Continued fraction of the incomplete beta function (modified Lentz), for x < (a+1)/(a+b+2). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 100000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) <= 4 * Number.EPSILON) break;
  }
  return h;
}

/**
 * Both tails of the regularized incomplete beta function, each to full relative precision
 * (the one computed directly is exact to rounding; the other is 1 minus it).
 * @returns `[I_x(a, b), 1 − I_x(a, b)]`.
 */
function betaTails(x: number, y: number, a: number, b: number): [number, number] {
  if (x <= 0) return [0, 1];
  if (y <= 0) return [1, 0];
  // The continued fraction converges fastest below this point; the upper-tail form is used above
  // it, except up to 3× it while x ≤ ½: there y = 1 − x is too close to 1 and the upper form would
  // inherit its rounding amplified b times (a relative error of b·ε), while the lower form still
  // converges in a few more steps.
  const pivot = (a + 1) / (a + b + 2);
  if (x < pivot || (x <= 0.5 && x < 3 * pivot)) {
    const lower = (betaFactor(x, y, a, b) * betaContinuedFraction(x, a, b)) / a;
    return [lower, 1 - lower];
  }
  const upper = (betaFactor(y, x, b, a) * betaContinuedFraction(y, b, a)) / b;
  return [1 - upper, upper];
}

/**
 * The regularized incomplete beta function I_x(a, b) = P(X ≤ x) for X ~ Beta(a, b).
 * @param upper return the upper tail 1 − I_x(a, b) instead, computed without cancellation.
 */
export function regularizedBeta(x: number, a: number, b: number, upper = false): number {
  if (!(a > 0 && b > 0) || Number.isNaN(x)) return NaN;
  const clamped = Math.min(1, Math.max(0, x));
  return betaTails(clamped, 1 - clamped, a, b)[upper ? 1 : 0];
}

/** Density of Beta(a, b) at x, from the accurate factor above. */
function betaDensity(x: number, a: number, b: number): number {
  return betaFactor(x, 1 - x, a, b) / (x * (1 - x));
}

/**
 * Inverse of the regularized incomplete beta function: x with I_x(a, b) = p.
 * A starting point from Abramowitz & Stegun 26.5.22 (or the small-parameter tail forms), then
 * Newton steps kept inside a bisection bracket.
 * @param upper solve 1 − I_x(a, b) = p instead (for small upper-tail probabilities).
 */
export function inverseRegularizedBeta(p: number, a: number, b: number, upper = false): number {
  if (!(a > 0 && b > 0) || !(p >= 0 && p <= 1)) return NaN;
  const lowerP = upper ? 1 - p : p;
  if ((upper && p === 1) || (!upper && p === 0)) return 0;
  if ((upper && p === 0) || (!upper && p === 1)) return 1;
  // Solve on the smaller tail: its target keeps full relative precision.
  const useUpper = upper ? p < 0.5 : p > 0.5;
  const target = useUpper ? (upper ? p : 1 - p) : upper ? 1 - p : p;
  let x = initialBetaGuess(lowerP, a, b);
  let lo = 0;
  let hi = 1;
  for (let iteration = 0; iteration < 200; iteration++) {
    const tails = betaTails(x, 1 - x, a, b);
    // f(x) increases with x in both forms: the lower tail rises, the upper tail falls.
    const f = useUpper ? target - tails[1] : tails[0] - target;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    const density = betaDensity(x, a, b);
    let next = x - f / density;
    if (!(next > lo && next < hi) || !Number.isFinite(next)) next = 0.5 * (lo + hi);
    if (Math.abs(next - x) <= 1e-15 * x || hi - lo <= 1e-15 * x) return next;
    x = next;
  }
  return x;
}

function initialBetaGuess(p: number, a: number, b: number): number {
  if (a >= 1 && b >= 1) {
    const pp = p < 0.5 ? p : 1 - p;
    const t = Math.sqrt(-2 * Math.log(pp));
    let z = (2.30753 + t * 0.27061) / (1 + t * (0.99229 + t * 0.04481)) - t;
    if (p < 0.5) z = -z;
    const al = (z * z - 3) / 6;
    const h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1));
    const w = (z * Math.sqrt(al + h)) / h - (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (al + 5 / 6 - 2 / (3 * h));
    const x = a / (a + b * Math.exp(2 * w));
    return x > 0 && x < 1 ? x : 0.5;
  }
  const t = Math.exp(a * Math.log(a / (a + b))) / a;
  const u = Math.exp(b * Math.log(b / (a + b))) / b;
  const w = t + u;
  const x = p < t / w ? Math.pow(a * w * p, 1 / a) : 1 - Math.pow(b * w * (1 - p), 1 / b);
  return x > 0 && x < 1 ? x : 0.5;
}

/**
 * Distribution function of Fisher's F distribution with d1 and d2 degrees of freedom (real > 0).
 * @param upper return the upper tail P(F > x) instead.
 */
export function fDistribution(x: number, d1: number, d2: number, upper = false): number {
  if (!(d1 > 0 && d2 > 0) || Number.isNaN(x)) return NaN;
  if (x <= 0) return upper ? 1 : 0;
  if (x === Infinity) return upper ? 0 : 1;
  // F = (d2/d1)·B/(1 − B) with B ~ Beta(d1/2, d2/2); both B and 1 − B formed without cancellation.
  const u = d1 * x;
  const tails = betaTails(u / (u + d2), d2 / (u + d2), d1 / 2, d2 / 2);
  return tails[upper ? 1 : 0];
}

/**
 * Quantile of Fisher's F distribution with d1 and d2 degrees of freedom (real numbers > 0).
 * @param p probability in [0, 1].
 * @returns x with P(F ≤ x) = p; Infinity at p = 1; NaN for invalid arguments.
 */
export function fQuantile(p: number, d1: number, d2: number): number {
  if (!(d1 > 0 && d2 > 0) || !(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return 0;
  if (p === 1) return Infinity;
  const a = d1 / 2;
  const b = d2 / 2;
  const beta = inverseRegularizedBeta(p, a, b);
  if (beta <= 0.5) return (d2 / d1) * (beta / (1 - beta));
  // Near 1, B loses the digits that 1 − B needs: solve for 1 − B ~ Beta(b, a) directly.
  const complement = inverseRegularizedBeta(p, b, a, true);
  return (d2 / d1) * ((1 - complement) / complement);
}
