/**
 * The incremental refit of a streaming PCA: warm-started subspace (orthogonal) iteration for the
 * leading eigenpairs, so that a scheduled refit of a wide model costs O(d²·b) per iteration plus
 * one O(d³/6) pass for the SPE limit, instead of a full eigen-decomposition (a 128-feature
 * decomposition blocks the event loop for 16–30 ms; this refit stays within a few milliseconds,
 * see docs/performance.md).
 *
 * Method. The block of b = k + {@link OVERSAMPLING} vectors starts from the previous fit's
 * eigenvectors (filled, when the previous fit had fewer, with the coordinate axes of largest
 * variance). Each iteration multiplies the block by the covariance C, takes the Rayleigh–Ritz
 * eigenpairs of the b × b projected matrix (Jacobi) and stops when every kept Ritz pair has a
 * residual ‖Cu − θu‖ ≤ {@link RESIDUAL_TOLERANCE} · θ₁, or after a fixed work budget (then the best
 * Ritz pairs so far are used; the next refit continues from them). The eigenvalues are Ritz values
 * (Rayleigh quotients, never above the true ones), and the discarded-eigenvalue sums of the SPE
 * limit come from the residual covariance R = (I − UUᵀ) C (I − UUᵀ) of the kept vectors U:
 * θ₁ = tr R, θ₂ = ‖R‖²_F, θ₃ = tr R³ — computed from R itself rather than as tr C − Σλ,
 * ‖C‖²_F − Σλ², tr C³ − Σλ³, whose cancellation would lose small discarded eigenvalues.
 *
 * The result is deterministic (a fixed number of operations on the same statistics) and agrees
 * with the exact refit to the residual tolerance when the kept eigenvalues are separated from the
 * rest; it is used only where it pays (more than {@link INCREMENTAL_FROM} − 1 features, a block of
 * at most half the features) and never for a batch, an export, a load or a merge, which stay exact.
 */
import type { RunningCovariance } from '../covariance';
import { speLimitOfSums, ZERO_VARIANCE } from './limits';
import { assembleFit, componentsFor, orient, type Fit } from './fit';
import type { PcaOptions } from './options';

/**
 * Fewest features for which a scheduled refit is incremental: below, a full decomposition costs
 * under a millisecond (0.5 ms at d = 32) and is exact.
 */
export const INCREMENTAL_FROM = 33;
/** Extra vectors iterated beyond the kept ones: convergence goes as (λ_{b+1}/λ_k)^iterations. */
const OVERSAMPLING = 8;
/** Kept vectors need at least this many guard vectors below them in the block. */
const GUARD = 2;
/** Convergence: each kept Ritz pair's residual ‖Cu − θu‖ at most this fraction of θ₁. */
const RESIDUAL_TOLERANCE = 1e-10;
/** Multiply-adds the iterations may spend (about 2 ms), whatever d and b: a bound on the stall. */
const WORK_BUDGET = 2 ** 21;
/** Jacobi stops when the off-diagonal mass is below this fraction of the matrix's. */
const JACOBI_TOLERANCE = 1e-30;
const JACOBI_SWEEPS = 60;

/**
 * An incremental refit of `covariance`, warm-started from `previous`, or null when it does not
 * apply (too few features, too many components to track, or a fraction of variance the tracked
 * eigenvalues do not reach): the caller then refits exactly.
 * @param covariance statistics with at least one sample.
 * @param previous the last fit, whose vectors start the iteration and whose orientation is kept;
 *   null for a first fit, which starts from the coordinate axes of largest variance.
 * @param options the model's settings.
 */
export function incrementalFit(
  covariance: RunningCovariance,
  previous: Fit | null,
  options: PcaOptions,
): Fit | null {
  const d = covariance.dimension;
  if (d < INCREMENTAL_FROM || covariance.count === 0) return null;
  // Without a previous fit (a stream's first sample), start from the axes with the setting's k,
  // or one component for a fraction (the block grows at the next refits if more are needed).
  const kept = previous?.k ?? (options.components >= 1 ? options.components : 1);
  const b = Math.min(d, kept + OVERSAMPLING);
  if (2 * b > d) return null;
  const weight = covariance.weight;
  const divisor = weight > 1 ? weight - 1 : 1;
  const c = new Float64Array(d * d);
  const comoment = covariance.comoment;
  for (let i = 0; i < c.length; i++) c[i] = comoment[i] / divisor;
  // Work on C scaled by a power of two (exact) to a largest variance near 1: the Jacobi sums of
  // squares and tr R³ then neither underflow for tiny data nor overflow for huge data.
  let largest = 0;
  for (let i = 0; i < d; i++) largest = Math.max(largest, c[i * d + i]);
  const scale =
    largest > 0 ? Math.pow(2, -Math.max(-1000, Math.min(1000, Math.floor(Math.log2(largest))))) : 1;
  for (let i = 0; i < c.length; i++) c[i] *= scale;
  let trace = 0;
  for (let i = 0; i < d; i++) trace += c[i * d + i];

  const before = previous?.vectors ?? [];
  const block = startingBlock(before, c, d, b);
  const product = Array.from({ length: b }, () => new Float64Array(d));
  const budget = Math.max(2, Math.floor(WORK_BUDGET / (d * d * b)));
  let ritz: Ritz | null = null;
  for (let iteration = 0; ; iteration++) {
    for (let a = 0; a < b; a++) multiply(c, block[a], product[a], d);
    ritz = rayleighRitz(block, product, b, d);
    const k = componentsFor(ritz.values, trace, options);
    if (k === null || k > b - GUARD) return null;
    if (converged(ritz, k, d) || iteration + 1 >= budget) break;
    for (let a = 0; a < b; a++) block[a].set(ritz.images[a]);
    orthonormalize(block, c, d);
  }

  const { vectors, values } = ritz;
  for (let a = 0; a < b; a++) values[a] = Math.max(0, values[a]);
  orient(vectors, values, previous === null ? null : before, trace);
  const k = componentsFor(values, trace, options);
  if (k === null || k > b - GUARD) return null;
  // SPE limit and eigenvalues are homogeneous of degree 1 in C: back to its units.
  const spe = residualSpeLimit(c, vectors, k, d, trace, options.confidence) / scale;
  for (let a = 0; a < b; a++) values[a] /= scale;
  return assembleFit(vectors, values, k, trace / scale, options, weight, spe, false);
}

/** Ritz pairs of one iteration: vectors U, values θ (decreasing) and images CU. */
interface Ritz {
  vectors: Float64Array[];
  values: Float64Array;
  images: Float64Array[];
}

/** out = C·x for the symmetric d × d row-major C. */
function multiply(c: Float64Array, x: Float64Array, out: Float64Array, d: number): void {
  for (let i = 0; i < d; i++) {
    const row = i * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += c[row + j] * x[j];
    out[i] = s;
  }
}

function dotOf(u: Float64Array, v: Float64Array): number {
  let s = 0;
  for (let j = 0; j < u.length; j++) s += u[j] * v[j];
  return s;
}

/**
 * The first b vectors of the previous fit, completed with the coordinate axes of largest variance
 * and made orthonormal.
 */
function startingBlock(previous: Float64Array[], c: Float64Array, d: number, b: number): Float64Array[] {
  const block: Float64Array[] = [];
  for (let a = 0; a < Math.min(b, previous.length); a++) block.push(Float64Array.from(previous[a]));
  while (block.length < b) block.push(new Float64Array(d));
  orthonormalize(block, c, d);
  return block;
}

/**
 * Modified Gram–Schmidt, twice ("twice is enough"), in place. A vector that is (nearly) dependent on
 * the ones before it, or that is zero (C of low rank maps part of the block to nothing), is
 * replaced by the next coordinate axis in order of decreasing variance, so the block always stays
 * orthonormal and nothing is divided by zero.
 */
function orthonormalize(block: Float64Array[], c: Float64Array, d: number): void {
  const axes = Array.from({ length: d }, (_, j) => j).sort((i, j) => c[j * d + j] - c[i * d + i] || i - j);
  let nextAxis = 0;
  for (let a = 0; a < block.length; a++) {
    const v = block[a];
    let norm = Math.sqrt(dotOf(v, v));
    // Fewer than d/2 vectors come before this one, so some axis is independent of them: this ends.
    while (nextAxis <= d) {
      const before = norm;
      for (let pass = 0; pass < 2; pass++) {
        for (let p = 0; p < a; p++) {
          const q = block[p];
          const s = dotOf(v, q);
          for (let j = 0; j < d; j++) v[j] -= s * q[j];
        }
      }
      norm = Math.sqrt(dotOf(v, v));
      if (norm > 1e-8 * before && Number.isFinite(norm)) break;
      if (nextAxis === d) break;
      v.fill(0);
      v[axes[nextAxis++]] = 1;
      norm = 1;
    }
    if (norm > 0 && Number.isFinite(norm)) for (let j = 0; j < d; j++) v[j] /= norm;
  }
}

/** Rayleigh–Ritz on the orthonormal block Q with images Z = CQ. */
function rayleighRitz(block: Float64Array[], product: Float64Array[], b: number, d: number): Ritz {
  const t = new Float64Array(b * b);
  for (let i = 0; i < b; i++) {
    for (let j = i; j < b; j++) {
      const value = (dotOf(block[i], product[j]) + dotOf(block[j], product[i])) / 2;
      t[i * b + j] = value;
      t[j * b + i] = value;
    }
  }
  const { values, vectors: s } = jacobi(t, b);
  const vectors: Float64Array[] = [];
  const images: Float64Array[] = [];
  for (let a = 0; a < b; a++) {
    const u = new Float64Array(d);
    const w = new Float64Array(d);
    for (let i = 0; i < b; i++) {
      const weight = s[i * b + a];
      if (weight === 0) continue;
      const q = block[i];
      const z = product[i];
      for (let j = 0; j < d; j++) {
        u[j] += weight * q[j];
        w[j] += weight * z[j];
      }
    }
    vectors.push(u);
    images.push(w);
  }
  return { vectors, values, images };
}

/** True when each of the first k Ritz pairs has a residual within the tolerance. */
function converged(ritz: Ritz, k: number, d: number): boolean {
  const bound = RESIDUAL_TOLERANCE * Math.max(ritz.values[0], 0);
  for (let a = 0; a < k; a++) {
    const u = ritz.vectors[a];
    const w = ritz.images[a];
    const theta = ritz.values[a];
    let r = 0;
    for (let j = 0; j < d; j++) {
      const e = w[j] - theta * u[j];
      r += e * e;
    }
    if (!(Math.sqrt(r) <= bound)) return false;
  }
  return true;
}

/**
 * Cyclic Jacobi eigen-decomposition of the symmetric n × n row-major `a` (destroyed): eigenvalues in
 * decreasing order and the matching eigenvectors as the columns of `vectors`.
 */
function jacobi(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < a.length; i++) total += a[i] * a[i];
  for (let sweep = 0; sweep < JACOBI_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    if (!(off > JACOBI_TOLERANCE * total)) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cos = 1 / Math.sqrt(t * t + 1);
        const sin = t * cos;
        for (let r = 0; r < n; r++) {
          const arp = a[r * n + p];
          const arq = a[r * n + q];
          a[r * n + p] = cos * arp - sin * arq;
          a[r * n + q] = sin * arp + cos * arq;
        }
        for (let r = 0; r < n; r++) {
          const apr = a[p * n + r];
          const aqr = a[q * n + r];
          a[p * n + r] = cos * apr - sin * aqr;
          a[q * n + r] = sin * apr + cos * aqr;
        }
        for (let r = 0; r < n; r++) {
          const vrp = v[r * n + p];
          const vrq = v[r * n + q];
          v[r * n + p] = cos * vrp - sin * vrq;
          v[r * n + q] = sin * vrp + cos * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i] || i - j);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((column, m) => {
    values[m] = a[column * n + column];
    for (let r = 0; r < n; r++) vectors[r * n + m] = v[r * n + column];
  });
  return { values, vectors };
}

/**
 * The SPE limit from the residual covariance R = (I − UUᵀ) C (I − UUᵀ) of the k kept unit vectors U:
 * θ₁ = tr R, and θ₂, θ₃ of R/θ₁ (‖R/θ₁‖²_F and tr (R/θ₁)³), so no power overflows whatever the
 * scale, as in the exact limit.
 */
function residualSpeLimit(
  c: Float64Array,
  vectors: Float64Array[],
  k: number,
  d: number,
  trace: number,
  confidence: number,
): number {
  const images = vectors.slice(0, k).map((u) => {
    const w = new Float64Array(d);
    multiply(c, u, w, d);
    return w;
  });
  // T = UᵀCU (k × k), then R = C − UWᵀ − WUᵀ + U T Uᵀ with W = CU.
  const t = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let e = 0; e < k; e++) t[a * k + e] = dotOf(vectors[a], images[e]);
  const r = new Float64Array(d * d);
  const ut = new Float64Array(k);
  for (let i = 0; i < d; i++) {
    for (let e = 0; e < k; e++) {
      let s = 0;
      for (let a = 0; a < k; a++) s += vectors[a][i] * t[a * k + e];
      ut[e] = s;
    }
    for (let j = i; j < d; j++) {
      let value = c[i * d + j];
      for (let a = 0; a < k; a++) {
        value -= vectors[a][i] * images[a][j] + images[a][i] * vectors[a][j];
        value += ut[a] * vectors[a][j];
      }
      r[i * d + j] = value;
      r[j * d + i] = value;
    }
  }
  let theta1 = 0;
  for (let i = 0; i < d; i++) theta1 += r[i * d + i];
  const zero = ZERO_VARIANCE * trace;
  // Nothing left to discard, or only rounding: any real residual is an anomaly (as the exact limit).
  if (!(theta1 > zero)) return zero;
  for (let i = 0; i < r.length; i++) r[i] /= theta1;
  let theta2 = 0;
  for (let i = 0; i < r.length; i++) theta2 += r[i] * r[i];
  // tr R³ = Σ_{ijl} Rᵢⱼ Rⱼₗ Rₗᵢ grouped by the set of indices, R being symmetric: each a < b < c
  // appears in 6 orders with the same product, each {a, a, b} in 3; so d³/6 products instead of
  // the d³/2 of forming R² (this pass is most of the refit's cost at d = 128).
  let theta3 = 0;
  for (let a = 0; a < d; a++) {
    const ra = a * d;
    const raa = r[ra + a];
    let pairs = 0;
    let triples = 0;
    for (let b = a + 1; b < d; b++) {
      const rab = r[ra + b];
      if (rab === 0) continue;
      pairs += rab * rab * (raa + r[b * d + b]);
      const rb = b * d;
      let s = 0;
      for (let c = b + 1; c < d; c++) s += r[rb + c] * r[ra + c];
      triples += rab * s;
    }
    theta3 += raa * raa * raa + 3 * pairs + 6 * triples;
  }
  return speLimitOfSums(theta1, theta2, theta3, confidence);
}
