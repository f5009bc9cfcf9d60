/**
 * Streaming k-means, one module per job: settings (options), k-means++ (init), batch Lloyd
 * (lloyd), the streaming model (model), matched centres for restarts, peers and alignment (merge),
 * and the model JSON (json).
 */
export { minimumCostAssignment } from './assignment';
export type { KMeansBatchResult, KMeansState } from './centres';
export { readKMeansJSON, writeKMeansJSON } from './json';
export type { KMeansModelJSON } from './json';
export { StreamingKMeans } from './model';
export type { KMeansTransformResult } from './model';
export {
  checkCenters,
  GIVEN_CENTER_WEIGHT,
  KMEANS_DEFAULTS,
  KMEANS_TYPE,
  resolveKMeansOptions,
  STARVING_FRACTION,
  WARMUP_BUFFER_VALUES,
  warmupCapacity,
} from './options';
export type { KMeansInit, KMeansOptions, ResolvedKMeansOptions } from './options';
