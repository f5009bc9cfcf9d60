/**
 * The explanation `ml-pca` adds to `msg.pca`: per-feature contributions to T² and SPE, the feature
 * to blame and the contribution limits (docs/anomaly.md), shaped as the input is (keyed by feature
 * name when the features are named).
 */
import {
  contributionLimits,
  contributions,
  emptyContributions,
  topFeature,
  type PcaAnomaly,
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

function shaped(values: ArrayLike<number>, features: readonly string[] | null, what: string): PerFeature {
  checkFinite(values, what);
  if (features === null) return Array.from(values);
  const out: Record<string, number> = {};
  features.forEach((name, j) => (out[name] = values[j]));
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

/** Collects the explanation of the rows of one message, one row at a time. */
export class Explainer {
  private readonly t2: PerFeature[] = [];
  private readonly spe: PerFeature[] = [];
  private readonly top: Array<string | number | null> = [];
  private readonly features: readonly string[] | null;

  /** @param labels what a non-finite value was, for the error (see {@link explainLabels}). */
  constructor(
    private readonly model: StreamingPCA,
    private readonly labels: ExplainLabels = explainLabels(),
  ) {
    this.features = model.schema.features;
  }

  /** Adds the row `x`, whose scores `anomaly` holds. */
  add(x: ArrayLike<number>, anomaly: PcaAnomaly): void {
    const c = contributions(this.model, x, emptyContributions(this.model.schema.dimension));
    this.t2.push(shaped(c.t2, this.features, this.labels.t2));
    this.spe.push(shaped(c.spe, this.features, this.labels.spe));
    const j = topFeature(this.model, x, anomaly);
    this.top.push(j < 0 ? null : this.features ? this.features[j] : j);
  }

  /** The explanation of the rows added: per-row arrays when `batch`. */
  result(batch: boolean): PcaExplanation {
    const limits = contributionLimits(this.model);
    return {
      contributions: batch ? { t2: this.t2, spe: this.spe } : { t2: this.t2[0], spe: this.spe[0] },
      top: batch ? this.top : this.top[0],
      contributionLimits: {
        t2: shaped(limits.t2, this.features, this.labels.t2Limit),
        spe: shaped(limits.spe, this.features, this.labels.speLimit),
      },
    };
  }
}
