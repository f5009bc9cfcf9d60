/**
 * The model JSON of a streaming PCA (docs/model-json.md): writing it from the statistics and the
 * last fit, and reading one back with every field checked, so that a bad model is refused with a
 * message naming the field before anything is built from it.
 */
import { RunningCovariance } from '../covariance';
import { ModelError } from '../errors';
import {
  MAX_MODEL_LOCATION,
  MAX_MODEL_VARIANCE,
  readHeader,
  readMatrix,
  readNumber,
  readVector,
} from '../model';
import { decayFactor } from '../forgetting';
import type { Schema } from '../samples';
import { dot, type Fit } from './fit';
import { checkPcaOptions, PCA_TYPE, type PcaModelJSON, type PcaOptions } from './options';

/**
 * The model JSON of statistics and the fit computed from them.
 * @param schema the model's features.
 * @param covariance its statistics.
 * @param fit the fit of exactly these statistics, or null when there are no samples.
 */
export function pcaToJSON(schema: Schema, covariance: RunningCovariance, fit: Fit | null): PcaModelJSON {
  const d = schema.dimension;
  const { count, weight, mean, comoment } = covariance;
  const k = fit?.k ?? 0;
  return {
    type: 'ml-pca',
    version: 1,
    features: schema.features ? [...schema.features] : null,
    n_features_in: d,
    n_samples_seen: count,
    n_components: k,
    mean: Array.from(mean),
    components: fit ? fit.vectors.slice(0, k).map((v) => Array.from(v)) : [],
    explained_variance: fit ? Array.from(fit.explainedVariance) : [],
    explained_variance_ratio: fit ? Array.from(fit.explainedVarianceRatio) : [],
    sum_weights: weight,
    comoment: Array.from({ length: d }, (_, i) => Array.from(comoment.subarray(i * d, (i + 1) * d))),
  };
}

/** A model JSON read and checked field by field, before it is refitted. */
export interface ReadPcaModel {
  schema: Schema;
  options: PcaOptions;
  covariance: RunningCovariance;
  samples: number;
  k: number;
  components: Float64Array[];
  explained: Float64Array;
}

/**
 * Reads a model JSON and checks each field and how the fields agree (see StreamingPCA.load).
 * @throws ModelError naming the first wrong field.
 */
export function readPcaModel(json: unknown, options: Partial<PcaOptions>): ReadPcaModel {
  const { model, schema, samples } = readHeader(json, PCA_TYPE);
  const d = schema.dimension;
  let checked: PcaOptions;
  try {
    checked = checkPcaOptions(options, d);
  } catch (err) {
    throw new ModelError(`model of ${d} features does not fit these settings: ${(err as Error).message}`);
  }
  const k = readNumber(model, 'n_components', 0);
  if (!Number.isInteger(k) || k > d || (samples > 0 && k < 1) || (samples === 0 && k !== 0)) {
    throw new ModelError(
      `model n_components must be a whole number from 1 to n_features_in (${d}) (0 for a model with no samples), got ${k}`,
    );
  }
  const mean = readVector(model, 'mean', d, MAX_MODEL_LOCATION);
  const components = readMatrix(model, 'components', k, d);
  components.forEach((row, a) => {
    const norm = Math.sqrt(row.reduce((sum, v) => sum + v * v, 0));
    if (Math.abs(norm - 1) > 1e-6) {
      throw new ModelError(`model components[${a}] must have unit length, but its length is ${norm}`);
    }
  });
  const explained = readVector(model, 'explained_variance', k);
  const ratio = readVector(model, 'explained_variance_ratio', k);
  explained.forEach((v, a) => {
    if (v < 0) throw new ModelError(`model explained_variance[${a}] is negative (${v}); a variance is ≥ 0`);
  });
  ratio.forEach((v, a) => {
    if (v < 0 || v > 1)
      throw new ModelError(`model explained_variance_ratio[${a}] must be between 0 and 1, got ${v}`);
  });
  // A model written from scikit-learn's attributes may leave sum_weights out: without
  // forgetting the weight is the sample count.
  const weight = model.sum_weights === undefined ? samples : readNumber(model, 'sum_weights', 0);
  if (weight > samples || (samples > 0 && weight === 0) || (samples === 0 && weight !== 0)) {
    throw new ModelError(
      `model sum_weights (${weight}) must be > 0 and at most n_samples_seen (${samples}), or 0 with no samples`,
    );
  }
  // Each diagonal entry is at most W·(largest variance); the rest follow by Cauchy–Schwarz.
  const comoment = readMatrix(model, 'comoment', d, d, MAX_MODEL_VARIANCE * Math.max(weight, 1));
  const flat = new Float64Array(d * d);
  let largest = 0;
  for (let i = 0; i < d; i++) largest = Math.max(largest, Math.abs(comoment[i][i]));
  for (let i = 0; i < d; i++) {
    if (comoment[i][i] < 0) {
      throw new ModelError(`model comoment[${i}][${i}] is negative; a co-moment's diagonal is ≥ 0`);
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      if (Math.abs(comoment[i][j] - comoment[j][i]) > 1e-12 * largest) {
        throw new ModelError(`model comoment is not symmetric: [${i}][${j}] differs from [${j}][${i}]`);
      }
      if (comoment[i][j] * comoment[i][j] > comoment[i][i] * comoment[j][j] * (1 + 1e-9) + 1e-300) {
        throw new ModelError(
          `model comoment[${i}][${j}] is larger than a co-moment can be (|c_ij|² ≤ c_ii·c_jj)`,
        );
      }
      // Exactly symmetric, whatever rounding the writer had.
      flat[i * d + j] = i <= j ? comoment[i][j] : comoment[j][i];
    }
  }
  const covariance = RunningCovariance.fromState(
    { count: samples, weight, mean, comoment: flat },
    decayFactor(checked.halfLife),
  );
  return { schema, options: checked, covariance, samples, k, components, explained };
}

/**
 * Checks that the fit refitted from a model's co-moment gives back its stored components and
 * explained variances: a model whose fields disagree is refused rather than silently changed.
 * @throws ModelError saying how the model disagrees with itself or with the settings.
 */
export function checkLoadedFit(fit: Fit, read: ReadPcaModel): void {
  const { k, components, explained, options: checked } = read;
  if (fit.k !== k) {
    throw new ModelError(
      `model has ${k} component${k === 1 ? '' : 's'} but the components setting (${checked.components}) ` +
        `gives ${fit.k} for it`,
    );
  }
  for (let a = 0; a < k; a++) {
    const cosine = dot(fit.vectors[a], components[a]);
    if (cosine < 1 - 1e-6) {
      throw new ModelError(
        `model components[${a}] is not the eigenvector of its comoment (cosine ${cosine.toFixed(9)}): ` +
          'the model is inconsistent',
      );
    }
    const expected = fit.explainedVariance[a];
    if (Math.abs(explained[a] - expected) > 1e-6 * Math.max(expected, fit.values[0], Number.MIN_VALUE)) {
      throw new ModelError(
        `model explained_variance[${a}] (${explained[a]}) does not match its comoment (${expected})`,
      );
    }
  }
}
