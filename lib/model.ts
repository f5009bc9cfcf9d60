/**
 * What every learner's model JSON starts with (DESIGN §3.1), and how its common fields are
 * checked when a model is loaded.
 */
import { ModelError } from './errors';
import { checkFeatureNames, type Schema } from './samples';

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
    throw new ModelError(
      `a model must be a JSON object with type "${type}", got ${json === null ? 'null' : typeof json}`,
    );
  }
  const model = json as JsonObject;
  if (model.type !== type) {
    throw new ModelError(`model type is ${JSON.stringify(model.type)}, expected "${type}"`);
  }
  if (model.version !== 1) {
    throw new ModelError(
      `model version ${JSON.stringify(model.version)} is not supported (this node reads version 1)`,
    );
  }
  const dimension = model.n_features_in;
  if (!Number.isInteger(dimension) || (dimension as number) < 1) {
    throw new ModelError(`model n_features_in must be an integer ≥ 1, got ${JSON.stringify(dimension)}`);
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
  if (!Number.isInteger(samples) || (samples as number) < 0) {
    throw new ModelError(`model n_samples_seen must be an integer ≥ 0, got ${JSON.stringify(samples)}`);
  }
  return { model, schema: { dimension: dimension as number, features }, samples: samples as number };
}

/**
 * Reads a numeric vector field of a model JSON.
 * @throws ModelError when it is not an array of `length` finite numbers.
 */
export function readVector(model: JsonObject, field: string, length: number): Float64Array {
  const value = model[field];
  if (!Array.isArray(value) || value.length !== length) {
    throw new ModelError(`model ${field} must be an array of ${length} numbers`);
  }
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const v: unknown = value[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ModelError(`model ${field}[${i}] must be a finite number, got ${JSON.stringify(v)}`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Reads a numeric matrix field of a model JSON.
 * @throws ModelError when it is not `rows` arrays of `columns` finite numbers.
 */
export function readMatrix(model: JsonObject, field: string, rows: number, columns: number): Float64Array[] {
  const value = model[field];
  if (!Array.isArray(value) || value.length !== rows) {
    throw new ModelError(`model ${field} must be an array of ${rows} rows of ${columns} numbers`);
  }
  return value.map((row: unknown, i) => readVector({ [`${field}[${i}]`]: row }, `${field}[${i}]`, columns));
}

/**
 * Reads a finite number field of a model JSON.
 * @throws ModelError when missing, not finite, or below `min`.
 */
export function readNumber(model: JsonObject, field: string, min = -Infinity): number {
  const v = model[field];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new ModelError(
      `model ${field} must be a finite number${min > -Infinity ? ` ≥ ${min}` : ''}, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/** True when two schemas describe the same features in the same order. */
export function sameSchema(a: Schema, b: Schema): boolean {
  if (a.dimension !== b.dimension) return false;
  if (a.features === null || b.features === null) return a.features === b.features;
  return a.features.every((name, j) => name === b.features![j]);
}

/** A schema as errors name it: its feature names, or how many unnamed features it has. */
export function describeSchema(schema: Schema): string {
  return schema.features ? schema.features.join(', ') : `${schema.dimension} unnamed`;
}
