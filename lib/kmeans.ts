/**
 * Streaming k-means (DESIGN §4.4): k-means++ initialisation on a warm-up buffer (best of several
 * seeded restarts), then each sample moves its nearest centre as a running mean with forgetting
 * (Spark's StreamingKMeans with `timeUnit = points`); batches run Lloyd's algorithm with
 * scikit-learn's stopping rule, so a fresh model reproduces `KMeans(init=…, n_init=1).fit_transform`.
 *
 * Weights: every centre carries the forgetting-weighted number of samples it has absorbed. Each new
 * sample multiplies every weight by `2^(-1/halfLife)` (as lib/moments), the nearest centre gains 1
 * and moves by (x − c) / weight. Without forgetting the weight is the sample count and the centre is
 * exactly the mean of the samples it absorbed.
 *
 * Cluster indices never permute: restarts are matched to the first restart, merges to the first
 * model, and `alignTo` matches to any reference, always by minimum total distance (Hungarian).
 *
 * ml-kmeans is not used: it is an ES module (this package compiles to CommonJS), runs a single
 * initialisation, reports no inertia, stops on an absolute per-centre shift of 1e-6 instead of
 * scikit-learn's rules, handles empty clusters differently, and allocates on every iteration.
 */
import { minimumCostAssignment } from './assignment';
import { describeValue, ModelError } from './errors';
import {
  checkCapacity,
  describeSchema,
  MAX_MODEL_LOCATION,
  MAX_SAMPLES_SEEN,
  readHeader,
  readMatrix,
  readNumber,
  sameSchema,
  type JsonObject,
  type ModelHeader,
} from './model';
import { decayFactor } from './moments';
import { hashUniform, SeededRandom } from './random';
import { checkRow, checkRows, MAX_MAGNITUDE, type Schema } from './samples';

/** How the centres are first placed. */
export type KMeansInit = 'kmeans++' | 'given';

/** Settings of a {@link StreamingKMeans}; all optional, merged over {@link KMEANS_DEFAULTS}. */
export interface KMeansOptions {
  /** Number of clusters, an integer ≥ 1. */
  k: number;
  /** `kmeans++` on the first `warmupSamples` samples, or `given` centres (ready at once). */
  init: KMeansInit;
  /** The k initial centres for `init = given`, each a row of the model's features. */
  centers: ReadonlyArray<ArrayLike<number>> | null;
  /** Seed of the k-means++ draws, so that the same samples give the same clusters. */
  seed: number;
  /** k-means++ runs (each followed by Lloyd); the one of lowest inertia is kept. */
  restarts: number;
  /** Samples after which a sample's weight has halved; 0 never forgets. */
  halfLife: number;
  /** Samples buffered before k-means++ initialises; ≥ k. `undefined` means 10·k. */
  warmupSamples: number | undefined;
  /** Lloyd's relative tolerance, as scikit-learn's `tol` (scaled by the mean feature variance). */
  tol: number;
  /** Most Lloyd iterations per run, as scikit-learn's `max_iter`. */
  maxIter: number;
}

export const KMEANS_DEFAULTS: Readonly<KMeansOptions> = Object.freeze({
  k: 3,
  init: 'kmeans++',
  centers: null,
  seed: 42,
  restarts: 10,
  halfLife: 0,
  warmupSamples: undefined,
  tol: 1e-4,
  maxIter: 300,
});

/** Options with every value resolved. */
export interface ResolvedKMeansOptions extends KMeansOptions {
  warmupSamples: number;
}

export const KMEANS_TYPE = 'ml-kmeans';

/**
 * A centre whose weight falls below this fraction of the largest weight starves and is re-seeded.
 * With forgetting that is a centre that has won no sample for about 10 half-lives (2^-10 ≈ 1e-3);
 * without, one that holds under 0.1 % of the samples, or a duplicate that can never win one.
 * (Spark uses 1e-8, which with per-sample updates takes 27 half-lives to notice a dead centre;
 * scikit-learn's MiniBatchKMeans uses 1e-2, which would discard rare but real operating states.)
 */
export const STARVING_FRACTION = 1e-3;

/**
 * Weight a given centre starts with: it counts as one sample at that place, so that the first
 * samples pull it rather than replace it, and so that it does not count as starving at once.
 */
export const GIVEN_CENTER_WEIGHT = 1;

/**
 * The most numbers the k-means warm-up buffer holds: 65,536 (about 1.3 MB of model JSON). See
 * {@link warmupCapacity}.
 */
export const WARMUP_BUFFER_VALUES = 65_536;

/**
 * How many rows the warm-up buffer keeps: `min(warmupSamples, max(k, ⌊WARMUP_BUFFER_VALUES / d⌋))`.
 * While warming up, the first `capacity` samples are kept; after that each new sample replaces a
 * kept one so that the buffer stays a uniform random sample of every warm-up sample (reservoir
 * sampling, Vitter's algorithm R, its draws seeded by the model's seed and the sample's number),
 * or, with forgetting (`halfLife` > 0), the buffer keeps the newest samples, those forgetting
 * weighs most. k-means++ then initialises from the buffer once `warmupSamples` samples were seen.
 * With the default warm-up (10·k) and d ≤ 2,000 nothing is ever dropped.
 * @param warmupSamples the model's warm-up length.
 * @param k the number of clusters (the buffer always holds at least k rows).
 * @param dimension features per sample.
 */
export function warmupCapacity(warmupSamples: number, k: number, dimension: number): number {
  return Math.min(warmupSamples, Math.max(k, Math.floor(WARMUP_BUFFER_VALUES / dimension)));
}

/** The model JSON of `ml-kmeans` (DESIGN §3.1), named after scikit-learn's attributes. */
export interface KMeansModelJSON extends ModelHeader {
  type: 'ml-kmeans';
  n_clusters: number;
  init: KMeansInit;
  /** k rows of n_features_in, or `null` while warming up. */
  cluster_centers: number[][] | null;
  /** Samples absorbed by each centre (a split centre shares its count with the re-seeded one). */
  counts: number[] | null;
  /** Forgetting-weighted counts; equal to `counts` without forgetting and re-seeding. */
  cluster_weights: number[] | null;
  /**
   * Samples buffered for k-means++ while warming up (at most {@link warmupCapacity} rows: all of
   * them, or a reservoir of them); empty once initialised.
   */
  warmup_samples: number[][];
  /** Seed of the k-means++ initialisation (scikit-learn's `random_state`). */
  random_state: number;
  /** Centres re-seeded because they starved. */
  n_reseeds: number;
}

/** Result of {@link StreamingKMeans.learnBatch}, as scikit-learn's `fit_transform` and `labels_`. */
export interface KMeansBatchResult {
  /** Index of the nearest centre of each row. */
  labels: Int32Array;
  /** Euclidean distances of each row to every centre (k per row). */
  distances: Float64Array[];
  /** Sum of squared distances of the batch's rows to their nearest centre. */
  inertia: number;
  /** Lloyd iterations run (of the kept restart), as scikit-learn's `n_iter_`. */
  nIter: number;
}

/** Labels and distances of a batch under the current centres. */
export interface KMeansTransformResult {
  labels: Int32Array;
  distances: Float64Array[];
}

type Rows = ReadonlyArray<ArrayLike<number>>;

/** Squared Euclidean distance of `x` to centre `j` of the row-major centres. */
function squaredDistance(x: ArrayLike<number>, centers: Float64Array, j: number, d: number): number {
  let sum = 0;
  const offset = j * d;
  for (let f = 0; f < d; f++) {
    const delta = x[f] - centers[offset + f];
    sum += delta * delta;
  }
  return sum;
}

/** Index of the nearest centre; ties go to the lowest index. */
function nearestCenter(x: ArrayLike<number>, centers: Float64Array, k: number, d: number): number {
  let best = 0;
  let bestDistance = Infinity;
  for (let j = 0; j < k; j++) {
    const distance = squaredDistance(x, centers, j, d);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = j;
    }
  }
  return best;
}

/** Sets `labels[i]` to the nearest centre of each row. */
function assignLabels(rows: Rows, centers: Float64Array, k: number, d: number, labels: Int32Array): void {
  for (let i = 0; i < rows.length; i++) labels[i] = nearestCenter(rows[i], centers, k, d);
}

/**
 * scikit-learn's absolute tolerance: `tol` times the mean of the features' (unweighted, ddof = 0)
 * variances, so that convergence does not depend on the data's units.
 */
function absoluteTolerance(rows: Rows, d: number, tol: number): number {
  const n = rows.length;
  let total = 0;
  for (let f = 0; f < d; f++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += rows[i][f];
    mean /= n;
    let m2 = 0;
    for (let i = 0; i < n; i++) {
      const delta = rows[i][f] - mean;
      m2 += delta * delta;
    }
    total += m2 / n;
  }
  return (total / d) * tol;
}

/**
 * Greedy k-means++ as scikit-learn's `_kmeans_plusplus`: the first centre drawn in proportion to
 * the weights, each next one the best (least potential) of 2 + ⌊ln k⌋ candidates drawn in
 * proportion to weight × squared distance to the nearest chosen centre. When every row already is
 * a centre (fewer distinct rows than k) the draw lands on row 0, as scikit-learn's does.
 */
function kmeansPlusPlus(
  rows: Rows,
  weights: Float64Array,
  k: number,
  d: number,
  random: SeededRandom,
): Float64Array {
  const n = rows.length;
  const centers = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) cumulative[i] = total += weights[i];
  const first = searchSorted(cumulative, random.next() * total);
  setCenter(centers, 0, rows[first], d);
  const closest = new Float64Array(n);
  let potential = 0;
  for (let i = 0; i < n; i++) {
    closest[i] = squaredDistance(rows[i], centers, 0, d);
    potential += weights[i] * closest[i];
  }
  const candidateDistances = new Float64Array(n);
  const bestDistances = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let running = 0;
    for (let i = 0; i < n; i++) cumulative[i] = running += weights[i] * closest[i];
    let bestPotential = Infinity;
    let best = 0;
    for (let t = 0; t < trials; t++) {
      const candidate = searchSorted(cumulative, random.next() * potential);
      const row = rows[candidate];
      let candidatePotential = 0;
      for (let i = 0; i < n; i++) {
        let distance = 0;
        const x = rows[i];
        for (let f = 0; f < d; f++) {
          const delta = x[f] - row[f];
          distance += delta * delta;
        }
        const kept = distance < closest[i] ? distance : closest[i];
        candidateDistances[i] = kept;
        candidatePotential += weights[i] * kept;
      }
      if (candidatePotential < bestPotential) {
        bestPotential = candidatePotential;
        best = candidate;
        bestDistances.set(candidateDistances);
      }
    }
    setCenter(centers, c, rows[best], d);
    closest.set(bestDistances);
    potential = bestPotential;
  }
  return centers;
}

/** numpy's `searchsorted(side='left')` clipped to the last index: first i with `sorted[i] ≥ value`. */
function searchSorted(sorted: Float64Array, value: number): number {
  let low = 0;
  let high = sorted.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

function setCenter(centers: Float64Array, j: number, x: ArrayLike<number>, d: number): void {
  for (let f = 0; f < d; f++) centers[j * d + f] = x[f];
}

/** Centres of a model that earlier samples pin: each keeps its own cluster as a weighted point. */
interface Prior {
  centers: Float64Array;
  weights: Float64Array;
}

interface LloydResult {
  centers: Float64Array;
  labels: Int32Array;
  /** Per-cluster weight of the final labels (plus the prior's). */
  weights: Float64Array;
  nIter: number;
  /** Weighted sum of squared distances of the rows to their centres. */
  inertia: number;
}

/**
 * Lloyd's algorithm exactly as scikit-learn's `_kmeans_single_lloyd`: stop when the labels repeat
 * (strict convergence) or when the summed squared centre shift is ≤ `tolerance`; in the latter case
 * re-assign the labels once to the final centres. Empty clusters take the rows farthest from their
 * centres (`_relocate_empty_clusters_dense`). With a `prior`, each old centre adds its weight at
 * its old place to its own cluster, so learned clusters keep their index and their history.
 */
function lloyd(
  rows: Rows,
  rowWeights: Float64Array,
  init: Float64Array,
  prior: Prior | null,
  k: number,
  d: number,
  tolerance: number,
  maxIter: number,
): LloydResult {
  const n = rows.length;
  let centers = Float64Array.from(init);
  let next = new Float64Array(k * d);
  const clusterWeights = new Float64Array(k);
  const labels = new Int32Array(n).fill(-1);
  const previous = new Int32Array(n).fill(-1);
  let strict = false;
  let nIter = 0;
  for (let iteration = 0; iteration < maxIter; iteration++) {
    nIter = iteration + 1;
    assignLabels(rows, centers, k, d, labels);
    accumulate(rows, rowWeights, labels, prior, k, d, next, clusterWeights);
    relocateEmptyClusters(rows, rowWeights, labels, centers, k, d, next, clusterWeights);
    let shift = 0;
    for (let j = 0; j < k; j++) {
      const weight = clusterWeights[j];
      let moved = 0;
      for (let f = 0; f < d; f++) {
        const at = j * d + f;
        const value = weight > 0 ? next[at] / weight : centers[at];
        next[at] = value;
        const delta = value - centers[at];
        moved += delta * delta;
      }
      shift += moved;
    }
    [centers, next] = [next, centers];
    if (sameLabels(labels, previous)) {
      strict = true;
      break;
    }
    if (shift <= tolerance) break;
    previous.set(labels);
  }
  if (!strict) assignLabels(rows, centers, k, d, labels);
  accumulate(rows, rowWeights, labels, prior, k, d, next, clusterWeights);
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += rowWeights[i] * squaredDistance(rows[i], centers, labels[i], d);
  return { centers, labels, weights: clusterWeights, nIter, inertia };
}

/** Weighted sums of each cluster's rows (plus its prior) into `sums`, and their weights. */
function accumulate(
  rows: Rows,
  rowWeights: Float64Array,
  labels: Int32Array,
  prior: Prior | null,
  k: number,
  d: number,
  sums: Float64Array,
  weights: Float64Array,
): void {
  sums.fill(0);
  weights.fill(0);
  if (prior) {
    for (let j = 0; j < k; j++) {
      const w = prior.weights[j];
      weights[j] = w;
      for (let f = 0; f < d; f++) sums[j * d + f] = w * prior.centers[j * d + f];
    }
  }
  for (let i = 0; i < rows.length; i++) {
    const x = rows[i];
    const w = rowWeights[i];
    const offset = labels[i] * d;
    weights[labels[i]] += w;
    for (let f = 0; f < d; f++) sums[offset + f] += w * x[f];
  }
}

/** scikit-learn's relocation: each empty cluster takes one of the rows farthest from their centre. */
function relocateEmptyClusters(
  rows: Rows,
  rowWeights: Float64Array,
  labels: Int32Array,
  centers: Float64Array,
  k: number,
  d: number,
  sums: Float64Array,
  weights: Float64Array,
): void {
  const empty: number[] = [];
  for (let j = 0; j < k; j++) if (weights[j] === 0) empty.push(j);
  if (empty.length === 0) return;
  const distances = rows.map((x, i) => squaredDistance(x, centers, labels[i], d));
  const order = distances.map((_, i) => i).sort((a, b) => distances[b] - distances[a] || a - b);
  for (let e = 0; e < empty.length && e < order.length; e++) {
    const far = order[e];
    const x = rows[far];
    const w = rowWeights[far];
    const from = labels[far];
    const to = empty[e];
    for (let f = 0; f < d; f++) {
      sums[from * d + f] -= w * x[f];
      sums[to * d + f] = w * x[f];
    }
    weights[from] -= w;
    weights[to] = w;
  }
}

function sameLabels(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The permutation that best matches `centers` to `reference` (minimum total Euclidean distance):
 * `match[i]` is the index in `centers` that should become index i.
 */
function matchCenters(reference: Float64Array, centers: Float64Array, k: number, d: number): Int32Array {
  const cost = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let sum = 0;
      for (let f = 0; f < d; f++) {
        const delta = reference[i * d + f] - centers[j * d + f];
        sum += delta * delta;
      }
      cost[i * k + j] = Math.sqrt(sum);
    }
  }
  return minimumCostAssignment(cost, k);
}

/** Reorders row-major k × width values so that row i becomes old row `match[i]`. */
function permuteRows(values: Float64Array, match: Int32Array, width: number): void {
  const copy = Float64Array.from(values);
  for (let i = 0; i < match.length; i++) {
    for (let f = 0; f < width; f++) values[i * width + f] = copy[match[i] * width + f];
  }
}

/** Forgetting weights of rows 0..n−1 where the last row is the newest: `decay^(n−1−i)`. */
function ageWeights(n: number, decay: number): Float64Array {
  const weights = new Float64Array(n).fill(1);
  // Powers computed directly, not by repeated multiplication, so the newest rows never underflow.
  if (decay !== 1) for (let i = 0; i < n; i++) weights[i] = Math.pow(decay, n - 1 - i);
  return weights;
}

/** Streaming k-means with forgetting and stable cluster indices; see the module comment. */
export class StreamingKMeans {
  readonly schema: Schema;
  readonly options: Readonly<ResolvedKMeansOptions>;
  /** Per-sample decay of earlier weights, from {@link decayFactor}. */
  readonly decay: number;
  private centerValues: Float64Array | null = null;
  private readonly weightValues: Float64Array;
  private readonly countValues: Float64Array;
  private warmup: Float64Array[] = [];
  private seen = 0;
  private reseedCount = 0;
  private seed: number;

  /**
   * @param schema the features this model clusters.
   * @param options merged over {@link KMEANS_DEFAULTS}; `init = given` needs `centers`.
   * @throws RangeError on an invalid option, naming it.
   */
  constructor(schema: Schema, options: Partial<KMeansOptions> = {}) {
    this.options = StreamingKMeans.checkOptions(options, schema.dimension);
    this.schema = schema;
    this.decay = decayFactor(this.options.halfLife);
    this.seed = this.options.seed;
    const k = this.options.k;
    this.weightValues = new Float64Array(k);
    this.countValues = new Float64Array(k);
    if (this.options.init === 'given') {
      const centers = this.options.centers!;
      this.centerValues = new Float64Array(k * schema.dimension);
      centers.forEach((row, j) => setCenter(this.centerValues!, j, row, schema.dimension));
      this.weightValues.fill(GIVEN_CENTER_WEIGHT);
    }
  }

  /**
   * Merges `options` over the defaults and validates them.
   * @param dimension when known, given centres must have this many features.
   * @throws RangeError naming the first invalid option.
   */
  static checkOptions(options: Partial<KMeansOptions>, dimension?: number): ResolvedKMeansOptions {
    const merged = { ...KMEANS_DEFAULTS, ...stripUndefined(options) };
    const { k, init, centers, seed, restarts, tol, maxIter } = merged;
    if (!Number.isInteger(k) || k < 1)
      throw new RangeError(`k must be an integer ≥ 1, got ${describeValue(k)}`);
    if (init !== 'kmeans++' && init !== 'given') {
      throw new RangeError(`init must be "kmeans++" or "given", got ${describeValue(init)}`);
    }
    if (!Number.isSafeInteger(seed))
      throw new RangeError(`seed must be an integer, got ${describeValue(seed)}`);
    if (!Number.isInteger(restarts) || restarts < 1) {
      throw new RangeError(`restarts must be an integer ≥ 1, got ${describeValue(restarts)}`);
    }
    decayFactor(merged.halfLife);
    const warmupSamples = merged.warmupSamples ?? 10 * k;
    if (!Number.isInteger(warmupSamples) || warmupSamples < k) {
      throw new RangeError(
        `warmupSamples must be an integer ≥ k (${k}): k-means++ needs at least k samples, got ${describeValue(warmupSamples)}`,
      );
    }
    if (!(tol >= 0) || !Number.isFinite(tol))
      throw new RangeError(`tol must be a finite number ≥ 0, got ${describeValue(tol)}`);
    if (!Number.isInteger(maxIter) || maxIter < 1) {
      throw new RangeError(`maxIter must be an integer ≥ 1, got ${describeValue(maxIter)}`);
    }
    if (init === 'given') checkCenters(centers, k, dimension);
    return { ...merged, warmupSamples };
  }

  /** Number of clusters. */
  get k(): number {
    return this.options.k;
  }

  /** True once the centres exist (after warm-up, or at once with given centres). */
  get ready(): boolean {
    return this.centerValues !== null;
  }

  /** Samples learned so far, warm-up included. */
  get samplesSeen(): number {
    return this.seen;
  }

  /** Samples buffered for k-means++ (0 once ready); at most {@link bufferCapacity}. */
  get warmupCount(): number {
    return this.warmup.length;
  }

  /** The most rows the warm-up buffer keeps: {@link warmupCapacity} of this model. */
  get bufferCapacity(): number {
    return warmupCapacity(this.options.warmupSamples, this.options.k, this.schema.dimension);
  }

  /**
   * Offers one warm-up sample to the buffer (see {@link warmupCapacity}) and counts it. The row is
   * copied: the caller's may be a scratch buffer that the next read overwrites.
   */
  private offerWarmup(x: ArrayLike<number>): void {
    const d = this.schema.dimension;
    const index = this.seen;
    this.seen += 1;
    const capacity = this.bufferCapacity;
    if (this.warmup.length < capacity) {
      this.warmup.push(Float64Array.from({ length: d }, (_, f) => x[f]));
      return;
    }
    if (this.decay !== 1) {
      // Forgetting: keep the newest, in arrival order (the oldest weighs least).
      const reused = this.warmup.shift()!;
      for (let f = 0; f < d; f++) reused[f] = x[f];
      this.warmup.push(reused);
      return;
    }
    // Algorithm R: sample number `index` (0-based) replaces a kept one with probability capacity/(index + 1).
    const slot = Math.floor(hashUniform(this.seed, index) * (index + 1));
    if (slot < capacity) {
      const row = this.warmup[slot];
      for (let f = 0; f < d; f++) row[f] = x[f];
    }
  }

  /** Centres re-seeded so far because they starved. */
  get reseeds(): number {
    return this.reseedCount;
  }

  /** A copy of the centres (k rows), or `null` while warming up. */
  get centers(): number[][] | null {
    return this.centerValues ? rowsOf(this.centerValues, this.k, this.schema.dimension) : null;
  }

  /** A copy of the samples absorbed by each centre. */
  get counts(): number[] {
    return Array.from(this.countValues);
  }

  /** A copy of the forgetting-weighted counts. */
  get weights(): number[] {
    return Array.from(this.weightValues);
  }

  /**
   * Learns one sample: buffers it while warming up (initialising when the buffer is full), else
   * moves its nearest centre and re-seeds a starving centre.
   * @returns the index of the centre that absorbed the sample, or −1 while warming up.
   */
  learnOne(x: ArrayLike<number>): number {
    checkRow(x, this.schema.dimension);
    checkCapacity(this.seen, 1);
    const centers = this.centerValues;
    if (centers === null) {
      this.offerWarmup(x);
      if (this.seen >= this.options.warmupSamples) this.initialise();
      return -1;
    }
    const d = this.schema.dimension;
    const k = this.options.k;
    const j = nearestCenter(x, centers, k, d);
    const weights = this.weightValues;
    if (this.decay !== 1) for (let c = 0; c < k; c++) weights[c] *= this.decay;
    const weight = (weights[j] += 1);
    this.countValues[j] += 1;
    const share = 1 / weight;
    const offset = j * d;
    for (let f = 0; f < d; f++) centers[offset + f] += (x[f] - centers[offset + f]) * share;
    this.seen += 1;
    this.reseedStarving();
    return j;
  }

  /**
   * Learns `rows[start..end)` as a whole.
   * - Not yet initialised (k-means++): the rows join the warm-up buffer; once it holds
   *   `warmupSamples` rows, k-means++ (best of `restarts`) and Lloyd run on all of it.
   * - Given centres and no sample learned: Lloyd from the given centres (scikit-learn's fit).
   * - Otherwise: Lloyd on the rows, started from the current centres, where each current centre
   *   also stays in its own cluster as a point of its (decayed) weight. Learned clusters keep
   *   their index and history; the rows are weighted by forgetting as if learned one by one.
   * Rows are read, never kept.
   * @returns labels, distances, inertia and iterations, or `null` while still warming up.
   */
  learnBatch(rows: Rows, start = 0, end = rows.length): KMeansBatchResult | null {
    if (end <= start) throw new RangeError('learnBatch needs at least one row');
    const d = this.schema.dimension;
    checkRows(rows, d, start, end);
    checkCapacity(this.seen, end - start);
    const batch = rows.slice(start, end);
    const k = this.options.k;
    if (this.centerValues === null) {
      if (this.seen + batch.length < this.options.warmupSamples) {
        for (const row of batch) this.offerWarmup(row);
        return null;
      }
      const pool: ArrayLike<number>[] = [...this.warmup, ...batch];
      const nIter = this.fit(pool, null);
      this.warmup = [];
      this.seen += batch.length;
      return this.describeBatch(batch, nIter);
    }
    if (this.seen === 0) {
      const nIter = this.fit(batch, this.centerValues);
      this.seen = batch.length;
      return this.describeBatch(batch, nIter);
    }
    const aged = Math.pow(this.decay, batch.length);
    const prior: Prior = {
      centers: this.centerValues,
      weights: this.weightValues.map((w) => w * aged),
    };
    const rowWeights = ageWeights(batch.length, this.decay);
    const result = lloyd(
      batch,
      rowWeights,
      this.centerValues,
      prior,
      k,
      d,
      absoluteTolerance(batch, d, this.options.tol),
      this.options.maxIter,
    );
    this.centerValues = result.centers;
    this.weightValues.set(result.weights);
    for (let i = 0; i < batch.length; i++) this.countValues[result.labels[i]] += 1;
    this.seen += batch.length;
    // A batch can starve several centres at once; each split re-seeds one (at most k − 1).
    let splits = 0;
    while (splits < k - 1 && this.reseedStarving() >= 0) splits++;
    return this.describeBatch(batch, result.nIter);
  }

  /**
   * Finds the nearest centre of `x` and its distances to every centre.
   * @param x a sample of `schema.dimension` values.
   * @param distancesOut receives the k Euclidean distances (scikit-learn's `transform`).
   * @returns the index of the nearest centre.
   * @throws Error while warming up (check {@link ready}).
   */
  transform(x: ArrayLike<number>, distancesOut: { [j: number]: number }): number {
    const centers = this.requireCenters();
    const d = this.schema.dimension;
    let best = 0;
    let bestDistance = Infinity;
    for (let j = 0; j < this.options.k; j++) {
      const squared = squaredDistance(x, centers, j, d);
      distancesOut[j] = Math.sqrt(squared);
      if (squared < bestDistance) {
        bestDistance = squared;
        best = j;
      }
    }
    return best;
  }

  /** Labels and distances of `rows[start..end)` under the current centres, without learning. */
  transformBatch(rows: Rows, start = 0, end = rows.length): KMeansTransformResult {
    this.requireCenters();
    const labels = new Int32Array(Math.max(0, end - start));
    const distances: Float64Array[] = [];
    for (let i = start; i < end; i++) {
      const out = new Float64Array(this.options.k);
      labels[i - start] = this.transform(rows[i], out);
      distances.push(out);
    }
    return { labels, distances };
  }

  /**
   * Renumbers the clusters to match `reference` centres (minimum total distance), e.g. the centres
   * of a model that was reset, so that dashboards keep their colours.
   * @param reference k rows of `schema.dimension` values.
   * @returns `match`, where new cluster i is former cluster `match[i]`.
   */
  alignTo(reference: ReadonlyArray<ArrayLike<number>>): number[] {
    const centers = this.requireCenters();
    const d = this.schema.dimension;
    const k = this.options.k;
    checkCenters(reference, k, d, 'reference', MAX_MODEL_LOCATION);
    const flat = new Float64Array(k * d);
    reference.forEach((row, j) => setCenter(flat, j, row, d));
    const match = matchCenters(flat, centers, k, d);
    this.permute(match);
    return Array.from(match);
  }

  /** The model as plain JSON, up to date with every sample learned. */
  toJSON(): KMeansModelJSON {
    const k = this.options.k;
    const d = this.schema.dimension;
    const ready = this.centerValues !== null;
    return {
      type: 'ml-kmeans',
      version: 1,
      features: this.schema.features ? [...this.schema.features] : null,
      n_features_in: d,
      n_samples_seen: this.seen,
      n_clusters: k,
      init: this.options.init,
      cluster_centers: ready ? rowsOf(this.centerValues!, k, d) : null,
      counts: ready ? Array.from(this.countValues) : null,
      cluster_weights: ready ? Array.from(this.weightValues) : null,
      warmup_samples: this.warmup.map((row) => Array.from(row)),
      random_state: this.seed,
      n_reseeds: this.reseedCount,
    };
  }

  /**
   * Reads a model JSON (from {@link toJSON}, or written by hand from scikit-learn's
   * `cluster_centers_` with `counts`). The model's `random_state` takes precedence over `seed`.
   * @param json the model.
   * @param options the node's settings; `k`, when given, must match the model's.
   * @throws ModelError naming the first wrong field.
   */
  static load(json: unknown, options: Partial<KMeansOptions> = {}): StreamingKMeans {
    const { model, schema, samples } = readHeader(json, KMEANS_TYPE);
    const d = schema.dimension;
    const centers = model.cluster_centers;
    const k = readClusterCount(model, centers, options.k);
    const init = model.init === undefined ? 'kmeans++' : model.init;
    if (init !== 'kmeans++' && init !== 'given') {
      throw new ModelError(`model init must be "kmeans++" or "given", got ${describeValue(init)}`);
    }
    const seed =
      model.random_state === undefined ? (options.seed ?? KMEANS_DEFAULTS.seed) : model.random_state;
    if (!Number.isSafeInteger(seed)) {
      throw new ModelError(`model random_state must be a whole number, got ${describeValue(seed)}`);
    }
    const reseeds = model.n_reseeds === undefined ? 0 : readNumber(model, 'n_reseeds', 0, MAX_SAMPLES_SEEN);
    if (!Number.isInteger(reseeds))
      throw new ModelError(`model n_reseeds must be a whole number ≥ 0, got ${reseeds}`);
    const warmup = readWarmup(model, d);
    let checked: ResolvedKMeansOptions;
    try {
      checked = StreamingKMeans.checkOptions({
        ...options,
        k,
        init: 'kmeans++',
        centers: null,
        seed: seed as number,
      });
    } catch (err) {
      throw new ModelError(`the model does not fit the settings: ${(err as Error).message}`);
    }
    const result = new StreamingKMeans(schema, checked);
    (result as { options: ResolvedKMeansOptions }).options = Object.freeze({
      ...checked,
      init,
      centers: null,
    });
    result.seed = seed as number;
    result.seen = samples;
    result.reseedCount = reseeds;
    if (centers === null || centers === undefined) {
      if (init === 'given')
        throw new ModelError('model cluster_centers is missing; a model with init "given" has centres');
      if (model.counts !== null && model.counts !== undefined) {
        throw new ModelError('model counts must be null while cluster_centers is null (warming up)');
      }
      // All the warm-up samples, or a reservoir of them (see warmupCapacity); a model written with
      // a larger buffer (another node's settings, or before the buffer was bounded) is reduced to
      // this one's by the same reservoir.
      const capacity = result.bufferCapacity;
      if (warmup.length > samples || warmup.length < Math.min(samples, capacity)) {
        throw new ModelError(
          `model warmup_samples holds ${warmup.length} rows but n_samples_seen is ${samples}; while warming up ` +
            `it holds every sample, or at least ${capacity} of them`,
        );
      }
      if (warmup.length <= capacity) {
        result.warmup = warmup;
      } else {
        result.seen = 0;
        for (const row of warmup) result.offerWarmup(row);
        result.seen = samples;
      }
      if (samples >= checked.warmupSamples) result.initialise();
      return result;
    }
    if (warmup.length > 0)
      throw new ModelError('model warmup_samples must be empty once cluster_centers are set');
    const flat = new Float64Array(k * d);
    readMatrix(model, 'cluster_centers', k, d, MAX_MODEL_LOCATION).forEach((row, j) => flat.set(row, j * d));
    const counts = readCounts(model, k, samples);
    const weights = model.cluster_weights === undefined ? counts : readWeights(model, k);
    result.centerValues = flat;
    result.countValues.set(counts);
    result.weightValues.set(weights);
    return result;
  }

  /**
   * Combines two models of the same features and k into a new one; neither input changes.
   * Centres are matched by minimum total distance (indices of `a` kept) and averaged by weight;
   * counts and weights add. A model still warming up contributes its buffered samples.
   * @throws ModelError when the features or k differ.
   */
  static merge(a: StreamingKMeans, b: StreamingKMeans): StreamingKMeans {
    if (!sameSchema(a.schema, b.schema)) {
      throw new ModelError(
        `cannot merge models of different features (${describeSchema(a.schema)} and ${describeSchema(b.schema)})`,
      );
    }
    if (a.k !== b.k) throw new ModelError(`cannot merge models of ${a.k} and ${b.k} clusters`);
    checkCapacity(a.seen, b.seen);
    if (a.centerValues === null && b.centerValues !== null)
      return StreamingKMeans.mergeWarmup(b.copy(a.options), a);
    const merged = a.copy(a.options);
    if (b.centerValues === null) return StreamingKMeans.mergeWarmup(merged, b);
    const k = a.k;
    const d = a.schema.dimension;
    const centers = merged.centerValues!;
    const match = matchCenters(centers, b.centerValues, k, d);
    for (let j = 0; j < k; j++) {
      const other = match[j];
      const wa = merged.weightValues[j];
      const wb = b.weightValues[other];
      const total = wa + wb;
      if (total > 0) {
        for (let f = 0; f < d; f++) {
          centers[j * d + f] = (wa * centers[j * d + f] + wb * b.centerValues[other * d + f]) / total;
        }
      }
      merged.weightValues[j] = total;
      merged.countValues[j] += b.countValues[other];
    }
    merged.seen += b.seen;
    merged.reseedCount += b.reseedCount;
    return merged;
  }

  /**
   * Adds the warm-up buffer of `warming` to `into` (which may itself be warming up). Samples of
   * `warming` that its reservoir no longer holds still count in n_samples_seen.
   */
  private static mergeWarmup(into: StreamingKMeans, warming: StreamingKMeans): StreamingKMeans {
    const rows = warming.warmup;
    const dropped = warming.seen - rows.length;
    if (into.centerValues === null) {
      for (const row of rows) into.offerWarmup(row);
      into.seen += dropped;
      if (into.seen >= into.options.warmupSamples) into.initialise();
    } else {
      if (rows.length > 0) into.learnBatch(rows);
      into.seen += dropped;
    }
    return into;
  }

  /** An independent copy with `options`. */
  private copy(options: Readonly<ResolvedKMeansOptions>): StreamingKMeans {
    const result = Object.create(StreamingKMeans.prototype) as StreamingKMeans;
    Object.assign(result, {
      schema: this.schema,
      options,
      decay: decayFactor(options.halfLife),
      centerValues: this.centerValues ? Float64Array.from(this.centerValues) : null,
      weightValues: Float64Array.from(this.weightValues),
      countValues: Float64Array.from(this.countValues),
      warmup: this.warmup.map((row) => Float64Array.from(row)),
      seen: this.seen,
      reseedCount: this.reseedCount,
      seed: this.seed,
    });
    return result;
  }

  /** Initialises from the full warm-up buffer. */
  private initialise(): void {
    this.fit(this.warmup, null);
    this.warmup = [];
  }

  /**
   * Fits the centres to `rows` from scratch: Lloyd from `start`, or from k-means++ (best of
   * `restarts`, renumbered to match the first restart so the numbering does not depend on which
   * restart won). Rows are weighted by forgetting, the last the newest.
   * @returns Lloyd's iterations of the kept run.
   */
  private fit(rows: Rows, start: Float64Array | null): number {
    const { k, restarts, tol, maxIter } = this.options;
    const d = this.schema.dimension;
    const rowWeights = ageWeights(rows.length, this.decay);
    const tolerance = absoluteTolerance(rows, d, tol);
    let best: LloydResult;
    if (start) {
      best = lloyd(rows, rowWeights, start, null, k, d, tolerance, maxIter);
    } else {
      const random = new SeededRandom(this.seed);
      let first: Float64Array | null = null;
      best = null as unknown as LloydResult;
      for (let run = 0; run < restarts; run++) {
        const result = lloyd(
          rows,
          rowWeights,
          kmeansPlusPlus(rows, rowWeights, k, d, random),
          null,
          k,
          d,
          tolerance,
          maxIter,
        );
        first ??= result.centers;
        if (run === 0 || result.inertia < best.inertia) best = result;
      }
      const match = matchCenters(first!, best.centers, k, d);
      permuteRows(best.centers, match, d);
      permuteRows(best.weights, match, 1);
      const inverse = new Int32Array(k);
      match.forEach((from, to) => (inverse[from] = to));
      for (let i = 0; i < best.labels.length; i++) best.labels[i] = inverse[best.labels[i]];
    }
    this.centerValues = best.centers;
    this.weightValues.set(best.weights);
    this.countValues.fill(0);
    for (let i = 0; i < best.labels.length; i++) this.countValues[best.labels[i]] += 1;
    return best.nIter;
  }

  /** Labels (nearest final centre), distances and inertia of the batch's rows. */
  private describeBatch(batch: Rows, nIter: number): KMeansBatchResult {
    const { labels, distances } = this.transformBatch(batch);
    let inertia = 0;
    for (let i = 0; i < batch.length; i++) inertia += distances[i][labels[i]] ** 2;
    return { labels, distances, inertia, nIter };
  }

  /**
   * Spark's rule: when the lightest centre weighs less than {@link STARVING_FRACTION} of the
   * heaviest, the heaviest cluster is split in two — the starving centre moves onto it, both
   * nudged apart by 1e-14 relative and sharing its weight and count; the next samples pull the two
   * apart. Splitting the heaviest (rather than jumping to a random sample, as MiniBatchKMeans does)
   * puts the new centre where most data are, typically where two clusters have been merged.
   * @returns the index re-seeded, or −1.
   */
  private reseedStarving(): number {
    const k = this.options.k;
    if (k < 2) return -1;
    const weights = this.weightValues;
    let largest = 0;
    let smallest = 0;
    for (let j = 1; j < k; j++) {
      if (weights[j] > weights[largest]) largest = j;
      if (weights[j] < weights[smallest]) smallest = j;
    }
    if (!(weights[smallest] < STARVING_FRACTION * weights[largest])) return -1;
    const centers = this.centerValues!;
    const d = this.schema.dimension;
    const shared = (weights[largest] + weights[smallest]) / 2;
    weights[largest] = shared;
    weights[smallest] = shared;
    const count = this.countValues[largest];
    this.countValues[largest] = Math.ceil(count / 2);
    this.countValues[smallest] = Math.floor(count / 2);
    for (let f = 0; f < d; f++) {
      const value = centers[largest * d + f];
      const nudge = 1e-14 * Math.max(Math.abs(value), 1);
      centers[largest * d + f] = value + nudge;
      centers[smallest * d + f] = value - nudge;
    }
    this.reseedCount += 1;
    return smallest;
  }

  private permute(match: Int32Array): void {
    permuteRows(this.centerValues!, match, this.schema.dimension);
    permuteRows(this.weightValues, match, 1);
    permuteRows(this.countValues, match, 1);
  }

  private requireCenters(): Float64Array {
    if (this.centerValues === null) {
      throw new Error(
        `k-means model is warming up (${this.warmup.length}/${this.options.warmupSamples} samples): check ready first`,
      );
    }
    return this.centerValues;
  }
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** @throws RangeError unless `centers` is k rows of `dimension` (when known) finite numbers. */
function checkCenters(
  centers: ReadonlyArray<ArrayLike<number>> | null | undefined,
  k: number,
  dimension: number | undefined,
  name = 'centers',
  bound = MAX_MAGNITUDE,
): void {
  if (!Array.isArray(centers) || centers.length !== k) {
    throw new RangeError(
      `${name} must be an array of k = ${k} rows (one centre each)${name === 'centers' ? ' for init "given"' : ''}, got ${
        Array.isArray(centers) ? `${centers.length} rows` : describeValue(centers)
      }`,
    );
  }
  const width = dimension ?? (centers[0] as ArrayLike<number> | undefined)?.length;
  centers.forEach((row: unknown, j: number) => {
    const values = row as ArrayLike<unknown> | null;
    if (
      values === null ||
      typeof values !== 'object' ||
      typeof values.length !== 'number' ||
      values.length !== width
    ) {
      throw new RangeError(
        `${name}[${j}] must be an array of ${describeValue(width)} numbers (one per feature)`,
      );
    }
    for (let f = 0; f < values.length; f++) {
      const v = values[f];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new RangeError(`${name}[${j}][${f}] must be a finite number, got ${describeValue(v)}`);
      }
      if (v > bound || v < -bound) {
        throw new RangeError(
          `${name}[${j}][${f}] is ${describeValue(v)}, beyond ±${bound}, the largest magnitude accepted: ` +
            'rescale the values to other units',
        );
      }
    }
  });
}

function rowsOf(flat: Float64Array, k: number, d: number): number[][] {
  return Array.from({ length: k }, (_, j) => Array.from(flat.subarray(j * d, (j + 1) * d)));
}

/** The model's k, from its centres or `n_clusters`, checked against the node's `k`. */
function readClusterCount(model: JsonObject, centers: unknown, wanted: number | undefined): number {
  let k: number;
  if (Array.isArray(centers)) {
    k = centers.length;
    if (k < 1) throw new ModelError('model cluster_centers must hold at least one centre');
    if (model.n_clusters !== undefined && model.n_clusters !== k) {
      throw new ModelError(
        `model n_clusters is ${describeValue(model.n_clusters)} but cluster_centers has ${k} rows`,
      );
    }
  } else if (centers === null || centers === undefined) {
    if (!Number.isInteger(model.n_clusters) || (model.n_clusters as number) < 1) {
      throw new ModelError(`model n_clusters must be an integer ≥ 1, got ${describeValue(model.n_clusters)}`);
    }
    k = model.n_clusters as number;
  } else {
    throw new ModelError('model cluster_centers must be an array of centres, or null while warming up');
  }
  if (wanted !== undefined && wanted !== k) {
    throw new ModelError(`model has ${k} clusters but this node is set to k = ${wanted}`);
  }
  return k;
}

function readWarmup(model: JsonObject, d: number): Float64Array[] {
  const rows = model.warmup_samples;
  if (rows === undefined || rows === null) return [];
  if (!Array.isArray(rows)) throw new ModelError('model warmup_samples must be an array of rows');
  return readMatrix(model, 'warmup_samples', rows.length, d, MAX_MAGNITUDE);
}

function readCounts(model: JsonObject, k: number, samples: number): Float64Array {
  const raw = model.counts;
  if (!Array.isArray(raw) || raw.length !== k)
    throw new ModelError(`model counts must be an array of ${k} integers`);
  const counts = new Float64Array(k);
  let total = 0;
  raw.forEach((v: unknown, j) => {
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > samples) {
      throw new ModelError(
        `model counts[${j}] must be an integer ≥ 0 (at most n_samples_seen), got ${describeValue(v)}`,
      );
    }
    counts[j] = v as number;
    total += v as number;
  });
  if (total > samples) {
    throw new ModelError(`model counts add up to ${total}, more than n_samples_seen (${samples})`);
  }
  return counts;
}

/** The largest cluster weight a loaded model may hold: 2^54, twice the most samples a model can count. */
const MAX_CLUSTER_WEIGHT = 2 ** 54;

function readWeights(model: JsonObject, k: number): Float64Array {
  const raw = model.cluster_weights;
  if (!Array.isArray(raw) || raw.length !== k) {
    throw new ModelError(`model cluster_weights must be an array of ${k} numbers ≥ 0`);
  }
  const weights = new Float64Array(k);
  raw.forEach((v: unknown, j) => {
    // Weights add up to at most the samples seen plus the given centres' weights of merged models.
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_CLUSTER_WEIGHT) {
      throw new ModelError(
        `model cluster_weights[${j}] must be a number from 0 to ${MAX_CLUSTER_WEIGHT}, got ${describeValue(v)}`,
      );
    }
    weights[j] = v;
  });
  return weights;
}
