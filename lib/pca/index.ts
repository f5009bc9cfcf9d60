/**
 * Streaming PCA with Hotelling's T² and SPE anomaly scores: the model (./streaming), one eigen
 * refit (./fit), the anomaly limits (./limits), the model JSON (./json) and the settings
 * (./options).
 */
export { StreamingPCA } from './streaming';
export { PCA_DEFAULTS, PCA_TYPE } from './options';
export type { PcaAnomaly, PcaModelJSON, PcaOptions } from './options';
export { MIN_T2_VARIANCE, speLimit, t2Limit } from './limits';
export { contributionLimits, contributions, emptyContributions, topFeature } from './contributions';
export type { ContributionsInto, PcaBasis, PcaContributionLimits, PcaContributions } from './contributions';
export { NormalOnlyPCA } from './normal-only';
export type { NormalOnlyOptions, NormalOnlyState } from './normal-only';
export { INCREMENTAL_FROM } from './subspace';
