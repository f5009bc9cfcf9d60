/**
 * The explanation `ml-pca` adds to `msg.pca`: per-feature contributions to T² and SPE, the feature
 * to blame and the contribution limits (docs/anomaly.md), shaped as the input is (keyed by feature
 * name when the features are named).
 *
 * One {@link Explainer} per node serves every message: what it builds is what the message carries
 * (the contributions written straight into the arrays sent, the limits copied from the fit's cached
 * ones), with no intermediate per-message buffers.
 */
import {
  contributionLimits,
  contributions,
  topFeature,
  type PcaAnomaly,
  type PcaContributions,
  type StreamingPCA,
} from '../../lib/pca';
import { englishOf, type Translate } from '../shared/i18n';
import { checkFinite } from '../shared/learner/learner-node';

/** Per-feature values: an array in feature order, or an object keyed by feature name. */
export type PerFeature = number[] | Record<string, number>;

/** What a sample's explanation adds to `msg.pca` (per-row arrays for a batch). */
export interface PcaExplanation {
  contributions: { t2: PerFeature | PerFeature[]; spe: PerFeature | PerFeature[] };
  /** The feature (its name, or its index when unnamed) to blame, or null when nothing is over a limit. */
  top: string | number | null | Array<string | number | null>;
  contributionLimits: { t2: PerFeature; spe: PerFeature };
}

/** `values` as a message carries them: a plain array, or an object keyed by `features`. */
function shaped(values: ArrayLike<number>, features: readonly string[] | null, what: string): PerFeature {
  checkFinite(values, what);
  const d = values.length;
  if (features === null) {
    const out = new Array<number>(d);
    for (let j = 0; j < d; j++) out[j] = values[j];
    return out;
  }
  const out: Record<string, number> = {};
  for (let j = 0; j < d; j++) out[features[j]] = values[j];
  return out;
}

/** What each explained value is called when it is not finite, looked up once per node. */
export interface ExplainLabels {
  t2: string;
  spe: string;
  t2Limit: string;
  speLimit: string;
}

/** The labels in the node's messages `t` (English when not given). */
export function explainLabels(t: Translate = englishOf('ml-pca')): ExplainLabels {
  return {
    t2: t('runtime.values.t2Contribution'),
    spe: t('runtime.values.speContribution'),
    t2Limit: t('runtime.values.t2ContributionLimit'),
    speLimit: t('runtime.values.speContributionLimit'),
  };
}

/** Explains the rows of a node's messages, one row at a time. */
export class Explainer {
  /** Each fit's limits as sent (see {@link limits}), gone with the fit. */
  private readonly shapedLimits = new WeakMap<object, { t2: PerFeature; spe: PerFeature }>();
  /** Contributions of named features, before they are keyed by name. */
  private readonly named: PcaContributions = { t2: new Float64Array(0), spe: new Float64Array(0) };

  /** @param labels what a non-finite value was, for the error (see {@link explainLabels}). */
  constructor(private readonly labels: ExplainLabels = explainLabels()) {}

  /** The T² and SPE contributions of row `x` as a message carries them. */
  contributions(model: StreamingPCA, x: ArrayLike<number>): { t2: PerFeature; spe: PerFeature } {
    const d = model.schema.dimension;
    const features = model.schema.features;
    if (features === null) {
      const c = contributions(model, x, { t2: new Array<number>(d), spe: new Array<number>(d) });
      checkFinite(c.t2, this.labels.t2);
      checkFinite(c.spe, this.labels.spe);
      return c;
    }
    const named = this.named;
    if (named.t2.length !== d) {
      named.t2 = new Float64Array(d);
      named.spe = new Float64Array(d);
    }
    contributions(model, x, named);
    return {
      t2: shaped(named.t2, features, this.labels.t2),
      spe: shaped(named.spe, features, this.labels.spe),
    };
  }

  /** The feature to blame for row `x`, whose scores `anomaly` holds: its name or index, or null. */
  top(model: StreamingPCA, x: ArrayLike<number>, anomaly: PcaAnomaly): string | number | null {
    const j = topFeature(model, x, anomaly);
    const features = model.schema.features;
    return j < 0 ? null : features ? features[j] : j;
  }

  /**
   * The model's contribution limits as a message carries them: made once per fit (and
   * confidence) and frozen, so that every message until the next refit carries the same
   * read-only object instead of a copy.
   */
  limits(model: StreamingPCA): { t2: PerFeature; spe: PerFeature } {
    const limits = contributionLimits(model);
    const known = this.shapedLimits.get(limits);
    if (known !== undefined) return known;
    const features = model.schema.features;
    const made = {
      t2: shaped(limits.t2, features, this.labels.t2Limit),
      spe: shaped(limits.spe, features, this.labels.speLimit),
    };
    Object.freeze(made.t2);
    Object.freeze(made.spe);
    Object.freeze(made);
    this.shapedLimits.set(limits, made);
    return made;
  }

  /** The explanation of `rows` (a batch: per-row arrays), whose anomaly scores `anomalies` hold. */
  batch(
    model: StreamingPCA,
    rows: ReadonlyArray<ArrayLike<number>>,
    anomalies: PcaAnomaly[],
  ): PcaExplanation {
    const t2: PerFeature[] = new Array<PerFeature>(rows.length);
    const spe: PerFeature[] = new Array<PerFeature>(rows.length);
    const top = new Array<string | number | null>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const c = this.contributions(model, rows[i]);
      t2[i] = c.t2;
      spe[i] = c.spe;
      top[i] = this.top(model, rows[i], anomalies[i]);
    }
    return { contributions: { t2, spe }, top, contributionLimits: this.limits(model) };
  }
}
