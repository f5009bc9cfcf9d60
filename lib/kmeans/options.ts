/**
 * Settings of a streaming k-means model: their defaults, and the one place they are validated
 * (the given centres and `warmupSamples ≥ k` included), for the constructor, `load` and the node.
 */
import { describeValue } from '../errors';
import { decayFactor } from '../forgetting';
import { MAX_MAGNITUDE } from '../rows';

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
  /**
   * Outlier score (distance to the nearest centre over that cluster's RMS member distance) above
   * which a sample is an outlier; > 0.
   */
  outlierLimit: number;
  /** When true, outliers are scored but not learned (until `relearnAfter` of them in a row). */
  learnOnlyNormal: boolean;
  /**
   * With `learnOnlyNormal`: after this many consecutive outliers, learn them again (a lasting new
   * operating mode); 0 keeps flagging them for ever.
   */
  relearnAfter: number;
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
  outlierLimit: 3,
  learnOnlyNormal: false,
  relearnAfter: 0,
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

/**
 * Merges `options` over the defaults and validates them.
 * @param dimension when known, given centres must have this many features.
 * @param needCenters false when the centres come from a saved model rather than the options.
 * @throws RangeError naming the first invalid option.
 */
export function resolveKMeansOptions(
  options: Partial<KMeansOptions>,
  dimension?: number,
  needCenters = true,
): ResolvedKMeansOptions {
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
      `warmupSamples (${describeValue(warmupSamples)}) must be at least k (${k}) and a whole number: k-means++ ` +
        'picks its k centres among the warm-up samples',
    );
  }
  if (!(tol >= 0) || !Number.isFinite(tol))
    throw new RangeError(`tol must be a finite number ≥ 0, got ${describeValue(tol)}`);
  if (!Number.isInteger(maxIter) || maxIter < 1) {
    throw new RangeError(`maxIter must be an integer ≥ 1, got ${describeValue(maxIter)}`);
  }
  if (!(merged.outlierLimit > 0) || !Number.isFinite(merged.outlierLimit)) {
    throw new RangeError(
      `outlierLimit must be a finite number > 0, got ${describeValue(merged.outlierLimit)}`,
    );
  }
  if (typeof merged.learnOnlyNormal !== 'boolean') {
    throw new RangeError(
      `learnOnlyNormal must be true or false, got ${describeValue(merged.learnOnlyNormal)}`,
    );
  }
  if (!Number.isSafeInteger(merged.relearnAfter) || merged.relearnAfter < 0) {
    throw new RangeError(`relearnAfter must be an integer ≥ 0, got ${describeValue(merged.relearnAfter)}`);
  }
  if (init === 'given' && needCenters) checkCenters(centers, k, dimension);
  return { ...merged, warmupSamples, centers: needCenters ? centers : null };
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The one check of a list of centres (given centres, or the reference of `alignTo`).
 * @param dimension when known, the features each centre must have; else row 0's length.
 * @param name what the message calls the list.
 * @param bound the largest magnitude a value may have.
 * @throws RangeError unless `centers` is k rows of `dimension` finite numbers within `bound`.
 */
export function checkCenters(
  centers: ReadonlyArray<ArrayLike<number>> | null | undefined,
  k: number,
  dimension: number | undefined,
  name = 'centers',
  bound = MAX_MAGNITUDE,
): void {
  if (!Array.isArray(centers) || centers.length !== k) {
    throw new RangeError(
      `${name} must be an array of k = ${k} rows (one centre each)${name === 'centers' ? ' for init "given"' : ''}, got ${
        Array.isArray(centers)
          ? `${centers.length} row${centers.length === 1 ? '' : 's'}`
          : describeValue(centers)
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
      values.length !== width ||
      width === 0
    ) {
      throw new RangeError(
        `${name}[${j}] must be an array of ${describeValue(width)} numbers (one per feature), got ${describeValue(row)}`,
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
