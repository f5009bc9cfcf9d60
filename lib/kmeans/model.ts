/**
 * Streaming k-means: k-means++ initialisation on a warm-up buffer (best of several seeded
 * restarts), then each sample moves its nearest centre as a running mean with forgetting (Spark's
 * StreamingKMeans with `timeUnit = points`); batches run Lloyd's algorithm with scikit-learn's
 * stopping rule, so a fresh model reproduces `KMeans(init=…, n_init=1).fit_transform`.
 *
 * Weights: every centre carries the forgetting-weighted number of samples it has absorbed. Each new
 * sample multiplies every weight by `2^(-1/halfLife)` (as lib/moments), the nearest centre gains 1
 * and moves by (x − c) / weight. Without forgetting the weight is the sample count and the centre is
 * exactly the mean of the samples it absorbed.
 *
 * Cluster indices never permute: restarts are matched to the first restart, merges to the first
 * model, and `alignTo` matches to any reference, always by minimum total distance (Hungarian).
 */
import { ModelError } from '../errors';
import { checkCapacity, describeSchema, MAX_MODEL_LOCATION, sameSchema } from '../model';
import { ageing, ageWeights, decayFactor } from '../forgetting';
import { flatRows, RowMatrix, type BatchRows } from '../matrix';
import { checkRow, checkRows } from '../rows';
import type { Schema } from '../samples';
import {
  copyState,
  describeRows,
  emptyState,
  nearestCenter,
  offerWarmup,
  reseedStarving,
  rowsOf,
  squaredDistance,
  type KMeansState,
} from './centres';
import { readKMeansJSON, writeKMeansJSON, type KMeansModelJSON } from './json';
import { absoluteTolerance, lloyd } from './lloyd';
import { fitCenters } from './restarts';
import { matchCenters, mergeCentred, permuteState } from './merge';
import type { KMeansBatchResult } from './centres';
import { admits, batchSpreads, learnSpread, outlierScore } from './outlier';
import {
  checkCenters,
  GIVEN_CENTER_WEIGHT,
  resolveKMeansOptions,
  warmupCapacity,
  type KMeansOptions,
  type ResolvedKMeansOptions,
} from './options';

/** Labels and distances of a batch under the current centres. */
export interface KMeansTransformResult {
  labels: Int32Array;
  distances: Float64Array[];
}

/** Streaming k-means with forgetting and stable cluster indices; see the module comment. */
export class StreamingKMeans {
  readonly schema: Schema;
  readonly options: Readonly<ResolvedKMeansOptions>;
  /** Per-sample decay of earlier weights, from {@link decayFactor}. */
  readonly decay: number;
  private readonly state: KMeansState;

  /**
   * @param schema the features this model clusters.
   * @param options merged over {@link KMEANS_DEFAULTS}; `init = given` needs `centers`.
   * @param state internal: the learned state of a model being loaded, copied or merged (its
   *   centres then come from the state, not from `options`). Omit it for a new model.
   * @throws RangeError on an invalid option, naming it.
   */
  constructor(schema: Schema, options: Partial<KMeansOptions> = {}, state?: KMeansState) {
    this.options = Object.freeze(resolveKMeansOptions(options, schema.dimension, state === undefined));
    this.schema = schema;
    this.decay = decayFactor(this.options.halfLife);
    this.state = state ?? emptyState(this.options.k, this.options.seed);
    if (state === undefined && this.options.init === 'given') {
      this.state.centers = flatRows(this.options.centers!, schema.dimension);
      this.state.weights.fill(GIVEN_CENTER_WEIGHT);
    }
  }

  /**
   * Merges `options` over the defaults and validates them (the checks the constructor runs).
   * @param dimension when known, given centres must have this many features.
   * @throws RangeError naming the first invalid option.
   */
  static checkOptions(options: Partial<KMeansOptions>, dimension?: number): ResolvedKMeansOptions {
    return resolveKMeansOptions(options, dimension);
  }

  /** Number of clusters. */
  get k(): number {
    return this.options.k;
  }

  /** True once the centres exist (after warm-up, or at once with given centres). */
  get ready(): boolean {
    return this.state.centers !== null;
  }

  /** Samples learned so far, warm-up included. */
  get samplesSeen(): number {
    return this.state.seen;
  }

  /** Samples buffered for k-means++ (0 once ready); at most {@link bufferCapacity}. */
  get warmupCount(): number {
    return this.state.warmup.length;
  }

  /** The most rows the warm-up buffer keeps: {@link warmupCapacity} of this model. */
  get bufferCapacity(): number {
    return warmupCapacity(this.options.warmupSamples, this.options.k, this.schema.dimension);
  }

  /** Centres re-seeded so far because they starved. */
  get reseeds(): number {
    return this.state.reseeds;
  }

  /** A copy of the centres (k rows), or `null` while warming up. */
  get centers(): number[][] | null {
    return this.state.centers ? rowsOf(this.state.centers, this.k, this.schema.dimension) : null;
  }

  /** A copy of the samples absorbed by each centre. */
  get counts(): number[] {
    return Array.from(this.state.counts);
  }

  /** A copy of the forgetting-weighted counts. */
  get weights(): number[] {
    return Array.from(this.state.weights);
  }

  private offerWarmup(x: ArrayLike<number>): void {
    offerWarmup(this.state, x, this.schema.dimension, this.bufferCapacity, this.decay !== 1);
  }

  /**
   * The outlier score of a sample at `distance` from centre `cluster`: that distance over the
   * cluster's RMS member distance (see outlier.ts); `null` while the spread is not known.
   */
  outlierScore(cluster: number, distance: number): number | null {
    return outlierScore(this.state, cluster, distance);
  }

  /** Consecutive samples scored above `outlierLimit`, up to the latest learned or skipped. */
  get outlierRun(): number {
    return this.state.outlierRun;
  }

  /**
   * Learns one sample: buffers it while warming up (initialising when the buffer is full), else
   * moves its nearest centre and re-seeds a starving centre. With `learnOnlyNormal` an outlier is
   * not learned (see `relearnAfter`).
   * @returns the index of the centre that absorbed the sample, or −1 while warming up or when the
   *   sample was not learned.
   */
  learnOne(x: ArrayLike<number>): number {
    checkRow(x, this.schema.dimension);
    const state = this.state;
    checkCapacity(state.seen, 1);
    const centers = state.centers;
    if (centers === null) {
      this.offerWarmup(x);
      if (state.seen >= this.options.warmupSamples) this.initialise();
      return -1;
    }
    const d = this.schema.dimension;
    const k = this.options.k;
    const j = nearestCenter(x, centers, k, d);
    const squared = squaredDistance(x, centers, j, d);
    if (!admits(state, this.options, j, Math.sqrt(squared))) return -1;
    const weights = state.weights;
    if (this.decay !== 1) for (let c = 0; c < k; c++) weights[c] *= this.decay;
    learnSpread(state, j, squared, this.decay);
    const weight = (weights[j] += 1);
    state.counts[j] += 1;
    const share = 1 / weight;
    const offset = j * d;
    for (let f = 0; f < d; f++) centers[offset + f] += (x[f] - centers[offset + f]) * share;
    state.seen += 1;
    reseedStarving(state, k, d);
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
  learnBatch(rows: BatchRows, start = 0, end = rows.length): KMeansBatchResult | null {
    if (end <= start) throw new RangeError('learnBatch needs at least one row');
    const d = this.schema.dimension;
    const state = this.state;
    checkRows(rows, d, start, end);
    checkCapacity(state.seen, end - start);
    // The batch's values, row-major: read in place from a RowMatrix (and never written to).
    const all = flatRows(rows, d, start, end);
    const size = end - start;
    const k = this.options.k;
    if (state.centers === null) {
      if (state.seen + size < this.options.warmupSamples) {
        for (let i = 0; i < size; i++) this.offerWarmup(all.subarray(i * d, i * d + d));
        return null;
      }
      const held = state.warmup.length;
      let pool = all;
      if (held > 0) {
        pool = new Float64Array((held + size) * d);
        state.warmup.forEach((row, i) => pool.set(row, i * d));
        pool.set(all, held * d);
      }
      const nIter = this.fit(pool, null);
      state.warmup = [];
      state.seen += size;
      return this.describeBatch(pool.subarray(held * d), nIter);
    }
    if (state.seen === 0) {
      const nIter = this.fit(all, state.centers);
      state.seen = size;
      return this.describeBatch(all, nIter);
    }
    const data = this.options.learnOnlyNormal ? this.admittedRows(all, size) : all;
    if (data.length === 0) return this.describeBatch(all, 0);
    const n = data.length / d;
    const aged = ageing(this.decay, n);
    const prior = {
      centers: state.centers,
      weights: state.weights.map((w) => w * aged),
      spreads: Float64Array.from(state.spreads),
      spreadWeights: state.spreadWeights.map((w) => w * aged),
    };
    const rowWeights = ageWeights(n, this.decay);
    const result = lloyd(data, n, rowWeights, state.centers, prior, {
      k,
      d,
      tolerance: absoluteTolerance(data, n, d, this.options.tol),
      maxIter: this.options.maxIter,
    });
    state.centers = result.centers;
    state.weights.set(result.weights);
    batchSpreads(state, data, rowWeights, result.labels, prior, k, d);
    for (let i = 0; i < n; i++) state.counts[result.labels[i]] += 1;
    state.seen += n;
    // A batch can starve several centres at once; each split re-seeds one (at most k − 1).
    let splits = 0;
    while (splits < k - 1 && reseedStarving(state, k, d) >= 0) splits++;
    return this.describeBatch(all, result.nIter);
  }

  /**
   * The rows of a batch to learn (see admits), each scored against the centres before the batch:
   * `all` itself when every row is admitted, else a copy of the admitted ones.
   */
  private admittedRows(all: Float64Array, size: number): Float64Array {
    const centers = this.state.centers!;
    const d = this.schema.dimension;
    const admitted: number[] = [];
    for (let i = 0; i < size; i++) {
      const row = all.subarray(i * d, i * d + d);
      const j = nearestCenter(row, centers, this.options.k, d);
      if (admits(this.state, this.options, j, Math.sqrt(squaredDistance(row, centers, j, d))))
        admitted.push(i);
    }
    if (admitted.length === size) return all;
    const kept = new Float64Array(admitted.length * d);
    admitted.forEach((i, at) => kept.set(all.subarray(i * d, i * d + d), at * d));
    return kept;
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
  transformBatch(rows: BatchRows, start = 0, end = rows.length): KMeansTransformResult {
    this.requireCenters();
    const labels = new Int32Array(Math.max(0, end - start));
    const distances: Float64Array[] = [];
    for (let i = start; i < end; i++) {
      const out = new Float64Array(this.options.k);
      labels[i - start] = this.transform(rows instanceof RowMatrix ? rows.row(i) : rows[i], out);
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
    const match = matchCenters(flatRows(reference, d), centers, k, d);
    permuteState(this.state, match, d);
    return Array.from(match);
  }

  /** The model as plain JSON, up to date with every sample learned. */
  toJSON(): KMeansModelJSON {
    return writeKMeansJSON(this.schema, this.options, this.state);
  }

  /**
   * Reads a model JSON (from {@link toJSON}, or written by hand from scikit-learn's
   * `cluster_centers_` with `counts`). The model's `random_state` takes precedence over `seed`.
   * @param json the model.
   * @param options the node's settings; `k`, when given, must match the model's.
   * @throws ModelError naming the first wrong field.
   */
  static load(json: unknown, options: Partial<KMeansOptions> = {}): StreamingKMeans {
    const read = readKMeansJSON(json, options);
    const result = new StreamingKMeans(read.schema, read.options, read.state);
    if (read.state.centers === null && read.state.seen >= read.options.warmupSamples) result.initialise();
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
    checkCapacity(a.samplesSeen, b.samplesSeen);
    if (!a.ready && b.ready)
      return new StreamingKMeans(b.schema, a.options, copyState(b.state)).mergeWarmup(a);
    const merged = new StreamingKMeans(a.schema, a.options, copyState(a.state));
    if (!b.ready) return merged.mergeWarmup(b);
    mergeCentred(merged.state, b.state, a.k, a.schema.dimension);
    return merged;
  }

  /**
   * Adds the warm-up buffer of `warming` to this model (which may itself be warming up). Samples
   * of `warming` that its reservoir no longer holds still count in n_samples_seen.
   */
  private mergeWarmup(warming: StreamingKMeans): this {
    const rows = warming.state.warmup;
    const dropped = warming.state.seen - rows.length;
    if (this.state.centers === null) {
      for (const row of rows) this.offerWarmup(row);
      this.state.seen += dropped;
      if (this.state.seen >= this.options.warmupSamples) this.initialise();
    } else {
      if (rows.length > 0) this.learnBatch(rows);
      this.state.seen += dropped;
    }
    return this;
  }

  /** Initialises from the full warm-up buffer. */
  private initialise(): void {
    this.fit(flatRows(this.state.warmup, this.schema.dimension), null);
    this.state.warmup = [];
  }

  /**
   * Fits the centres to n × d row-major `data` from scratch (see fitCenters); rows are weighted by
   * forgetting, the last the newest.
   * @returns Lloyd's iterations of the kept run.
   */
  private fit(data: Float64Array, start: Float64Array | null): number {
    const { k, restarts, tol, maxIter } = this.options;
    const d = this.schema.dimension;
    const n = data.length / d;
    const rowWeights = ageWeights(n, this.decay);
    const best = fitCenters(data, n, rowWeights, start, {
      k,
      d,
      tolerance: absoluteTolerance(data, n, d, tol),
      maxIter,
      restarts,
      seed: this.state.seed,
    });
    const state = this.state;
    state.centers = best.centers;
    state.weights.set(best.weights);
    batchSpreads(state, data, rowWeights, best.labels, null, k, d);
    state.counts.fill(0);
    for (let i = 0; i < best.labels.length; i++) state.counts[best.labels[i]] += 1;
    return best.nIter;
  }

  /** Labels, distances (as {@link transform}) and inertia of n × d row-major rows, after learning them. */
  private describeBatch(data: Float64Array, nIter: number): KMeansBatchResult {
    return describeRows(data, this.requireCenters(), this.options.k, this.schema.dimension, nIter);
  }

  private requireCenters(): Float64Array {
    if (this.state.centers === null) {
      throw new Error(
        `k-means model is warming up (${this.state.warmup.length}/${this.options.warmupSamples} samples): check ready first`,
      );
    }
    return this.state.centers;
  }
}
