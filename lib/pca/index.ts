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
export type { ContributionsInto, PcaContributionLimits, PcaContributions } from './contributions';
export type { PcaBasis } from './fit';
export { NormalOnlyPCA } from './normal-only';
export { normalOnlyState } from './normal-only';
export type { NormalOnlyOptions, NormalOnlyState, Verdicts } from './normal-only';
export { Alarm, ALARM_BOUNDS, ALARM_DEFAULTS } from './alarm';
export type { AlarmEvent, AlarmOptions } from './alarm';
export { INCREMENTAL_FROM } from './subspace';
