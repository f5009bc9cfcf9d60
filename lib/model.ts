/**
 * What every learner's model JSON starts with (docs/model-json.md), and how its common fields are
 * checked when a model is loaded.
 */
import { describeNames, describeValue, ModelError } from './errors';
import { checkFeatureNames, MAX_DIMENSION, MAX_DIMENSION_SETTING, type Schema } from './samples';
import { MAX_MAGNITUDE } from './rows';

/**
 * The largest magnitude of a location in a loaded model (a mean, a centre): twice
 * {@link MAX_MAGNITUDE}, so that rounding in a model's own arithmetic never makes the model it
 * exports unloadable, while every bound of docs/limits.md still holds.
 */
export const MAX_MODEL_LOCATION = 2 * MAX_MAGNITUDE;

/** The largest variance a loaded model may hold: the square of {@link MAX_MODEL_LOCATION}. */
export const MAX_MODEL_VARIANCE = MAX_MODEL_LOCATION * MAX_MODEL_LOCATION;

/** The largest sample count (and sum of weights) a model may hold: 2^53 − 1, exact in binary64. */
export const MAX_SAMPLES_SEEN = Number.MAX_SAFE_INTEGER;

/** Fields shared by every model JSON, named as scikit-learn names its attributes. */
export interface ModelHeader {
  type: string;
  version: 1;
  /** Feature names in model order, or `null` for positional features. */
  features: string[] | null;
  n_features_in: number;
  n_samples_seen: number;
}

/** A plain JSON object as read from `msg.model` or a context store. */
export type JsonObject = Record<string, unknown>;

/**
 * Checks the header of a model JSON and returns it with the model's schema.
 * @param json the candidate model.
 * @param type the expected type tag, e.g. `ml-standardize`.
 * @throws ModelError naming the first wrong field.
 */
export function readHeader(
  json: unknown,
  type: string,
): { model: JsonObject; schema: Schema; samples: number } {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ModelError(`a model must be a JSON object with type "${type}", got ${describeValue(json)}`);
  }
  const model = json as JsonObject;
  if (model.type !== type) {
    throw new ModelError(`model type is ${describeValue(model.type)}, expected "${type}"`);
  }
  if (model.version !== 1) {
    throw new ModelError(
      `model version ${describeValue(model.version)} is not supported (this node reads version 1)`,
    );
  }
  const dimension = model.n_features_in;
  const widest = (MAX_DIMENSION_SETTING as Record<string, number | undefined>)[type] ?? MAX_DIMENSION;
  if (!Number.isInteger(dimension) || (dimension as number) < 1 || (dimension as number) > widest) {
    throw new ModelError(
      `model n_features_in must be a whole number from 1 to ${widest}, got ${describeValue(dimension)}`,
    );
  }
  let features: string[] | null = null;
  if (model.features !== null && model.features !== undefined) {
    if (!Array.isArray(model.features) || !model.features.every((name) => typeof name === 'string')) {
      throw new ModelError('model features must be an array of feature names, or null');
    }
    features = model.features as string[];
    if (features.length !== dimension) {
      throw new ModelError(
        `model lists ${features.length} features but n_features_in is ${String(dimension)}`,
      );
    }
    try {
      checkFeatureNames(features, 'model features');
    } catch (err) {
      throw new ModelError((err as Error).message);
    }
  }
  const samples = model.n_samples_seen;
  if (!Number.isInteger(samples) || (samples as number) < 0 || (samples as number) > MAX_SAMPLES_SEEN) {
    throw new ModelError(
      `model n_samples_seen must be a whole number from 0 to ${MAX_SAMPLES_SEEN} (2^53 − 1), got ${describeValue(samples)}`,
    );
  }
  return { model, schema: { dimension: dimension as number, features }, samples: samples as number };
}

/**
 * Reads a numeric vector field of a model JSON.
 * @param bound the largest magnitude allowed (docs/limits.md); any finite number by default.
 * @throws ModelError when it is not an array of `length` finite numbers within `bound`.
 */
export function readVector(
  model: JsonObject,
  field: string,
  length: number,
  bound = Number.MAX_VALUE,
): Float64Array {
  const value = model[field];
  if (!Array.isArray(value) || value.length !== length) {
    throw new ModelError(`model ${field} must be an array of ${length} numbers, got ${describeValue(value)}`);
  }
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const v: unknown = value[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ModelError(`model ${field}[${i}] must be a finite number, got ${describeValue(v)}`);
    }
    if (v > bound || v < -bound) {
      throw new ModelError(
        `model ${field}[${i}] is ${describeValue(v)}, beyond ±${bound}, the largest a model can hold ` +
          '(see the limits in the documentation): the model was not learned from accepted samples',
      );
    }
    out[i] = v;
  }
  return out;
}

/**
 * Reads a numeric matrix field of a model JSON.
 * @throws ModelError when it is not `rows` arrays of `columns` finite numbers.
 */
export function readMatrix(
  model: JsonObject,
  field: string,
  rows: number,
  columns: number,
  bound = Number.MAX_VALUE,
): Float64Array[] {
  const value = model[field];
  if (!Array.isArray(value) || value.length !== rows) {
    throw new ModelError(
      `model ${field} must be an array of ${rows} rows of ${columns} numbers, got ${describeValue(value)}`,
    );
  }
  const out: Float64Array[] = new Array<Float64Array>(rows);
  for (let i = 0; i < rows; i++) {
    const name = `${field}[${i}]`;
    out[i] = readVector({ [name]: value[i] as unknown }, name, columns, bound);
  }
  return out;
}

/**
 * Reads a finite number field of a model JSON.
 * @throws ModelError when missing, not finite, below `min` or above `max`.
 */
export function readNumber(model: JsonObject, field: string, min = -Infinity, max = Infinity): number {
  const v = model[field];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    const range =
      min > -Infinity && max < Infinity
        ? ` from ${min} to ${max}`
        : min > -Infinity
          ? ` ≥ ${min}`
          : max < Infinity
            ? ` ≤ ${max}`
            : '';
    throw new ModelError(`model ${field} must be a finite number${range}, got ${describeValue(v)}`);
  }
  return v;
}

/**
 * Checks that a model can count `adding` more samples (its count stays exact in binary64).
 * @throws ModelError saying to reset the model.
 */
export function checkCapacity(count: number, adding: number): void {
  if (count + adding > MAX_SAMPLES_SEEN) {
    throw new ModelError(
      `the model has seen ${count} samples and cannot count ${adding} more (at most ${MAX_SAMPLES_SEEN}): ` +
        'send msg.reset to start a new model',
    );
  }
}

/** True when two schemas describe the same features in the same order. */
export function sameSchema(a: Schema, b: Schema): boolean {
  if (a.dimension !== b.dimension) return false;
  if (a.features === null || b.features === null) return a.features === b.features;
  return a.features.every((name, j) => name === b.features![j]);
}

/** A schema as errors name it: its feature names, or how many unnamed features it has. */
export function describeSchema(schema: Schema): string {
  return schema.features ? describeNames(schema.features) : `${schema.dimension} unnamed`;
}
