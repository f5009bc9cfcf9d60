/**
 * The streaming models behind the Node-RED nodes, usable from any Node.js program without
 * Node-RED: `require('@stream-ml/node-red')`.
 *
 * Every learner takes a {@link Schema} (the number of features and, optionally, their names),
 * learns one sample (`learnOne`) or one batch (`learnBatch`) at a time, transforms with the
 * current model, and saves and loads the same model JSON the nodes put on their second output
 * (`toJSON`, `load`). A {@link SampleReader} turns a message value (a number, an array, a named
 * object or a batch of those) into validated rows, exactly as the nodes read `msg.payload`.
 *
 * ```js
 * const { SampleReader, Standardizer } = require('@stream-ml/node-red');
 * const sample = new SampleReader().read([[1, 2], [3, 5]], null, 'rows');
 * const scaler = new Standardizer(sample);
 * scaler.learnBatch(sample.rows);
 * scaler.transform([2, 3], new Float64Array(2)); // Float64Array [0, -0.333…]
 * ```
 *
 * Bad input throws a {@link SampleError}, a bad model a {@link ModelError}; neither changes a
 * model. The reference of each model's settings and JSON is in the package's docs/ pages.
 * @packageDocumentation
 */

/** Errors: a sample that cannot be used, a model that is malformed or does not fit, a full window buffer. */
export { ModelError, SampleError, WindowOverflowError } from './errors';

/** Reading message values into validated rows, and the feature schema a model learns. */
export { parseFeatureList, SampleReader, shapeLike } from './samples';
export type { Sample, SampleShape, Schema } from './samples';
/** A batch as one row-major Float64Array, what batch stages return and read (as NumPy arrays). */
export { RowMatrix } from './matrix';
export type { BatchRows } from './matrix';

/** Online scaling: scikit-learn's `StandardScaler` and `MinMaxScaler`, mergeable. */
export { STANDARDIZE_DEFAULTS, STANDARDIZE_TYPE, Standardizer } from './standardize';
export type { ScalingMethod, StandardizeModelJSON, StandardizeOptions } from './standardize';

/** Streaming PCA with Hotelling's T² and SPE anomaly scores and their limits, mergeable. */
export { PCA_DEFAULTS, PCA_TYPE, StreamingPCA } from './pca';
export type { PcaAnomaly, PcaModelJSON, PcaOptions } from './pca';
/** Which features make T² and SPE large, and learning normal operation only (docs/anomaly.md). */
export { contributionLimits, contributions, NormalOnlyPCA, topFeature } from './pca';
export type { NormalOnlyOptions, PcaContributionLimits, PcaContributions } from './pca';

/** Streaming k-means (k-means++ with restarts, Lloyd for batches, running means for samples). */
export { KMEANS_DEFAULTS, KMEANS_TYPE, StreamingKMeans } from './kmeans';
export type { KMeansInit, KMeansModelJSON, KMeansOptions } from './kmeans';

/** Count, time and session windows, with alignment of topics into rows and aggregates. */
export { AGGREGATES, parseAggregates } from './aggregate';
export type { AggregateName } from './aggregate';
export { parseEventTime, resolveWindowOptions, WindowEngine } from './window';
export type {
  EmittedWindow,
  EmitKind,
  GroupBy,
  ResolvedWindowOptions,
  SampleAt,
  WindowKey,
  WindowMode,
  WindowOptions,
  WindowOutput,
} from './window';

/** Distribution functions used for the anomaly limits. */
export { fQuantile, normalQuantile } from './stats';
