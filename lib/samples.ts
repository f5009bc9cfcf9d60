/**
 * Reading samples out of message values (DESIGN §2) and writing results back in the same shape.
 *
 * A value is one sample (a number, an array or typed array of numbers, an object of numbers) or a
 * batch (an array of arrays, or of objects). Every value is validated completely before anything
 * uses it, so a bad row rejects the whole batch and the caller's model is never half-updated.
 */
import { SampleError } from './errors';

/** What a sample looked like on the way in; results go out in the same shape. */
export type SampleShape = 'number' | 'array' | 'object';

/** The features a model was learned on: their number and, for named features, their names. */
export interface Schema {
  readonly dimension: number;
  /** Names in model order, or `null` for positional (array / number) features. */
  readonly features: readonly string[] | null;
}

/** A validated sample or batch. */
export interface Sample {
  readonly shape: SampleShape;
  readonly batch: boolean;
  /**
   * One row per sample, each `dimension` finite numbers in schema order. Rows may be the caller's
   * own arrays or a scratch buffer reused by the next read: use them before reading again and
   * copy anything kept.
   */
  readonly rows: ReadonlyArray<ArrayLike<number>>;
  readonly dimension: number;
  /** Names of the features (for object samples, or when configured), else `null`. */
  readonly features: readonly string[] | null;
}

/** Names that must never become property names of an object we build. */
const FORBIDDEN_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

const HOW_TO_SEND =
  'Send a number, an array of numbers or an object of numbers (or an array of those for a batch).';

/**
 * Parses a comma-separated feature list as typed in a node's settings.
 * @returns the names in order, or `null` for an empty list.
 * @throws RangeError on a duplicate or forbidden name.
 */
export function parseFeatureList(text: string | undefined | null): string[] | null {
  const names = (text ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  if (names.length === 0) return null;
  checkFeatureNames(names, 'Features');
  return names;
}

/** @throws RangeError when a name is duplicated or is one that must never be written onto an object. */
export function checkFeatureNames(names: readonly string[], where: string): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (FORBIDDEN_NAMES.has(name)) throw new RangeError(`${where}: "${name}" cannot be a feature name`);
    if (seen.has(name)) throw new RangeError(`${where}: feature "${name}" is listed twice`);
    seen.add(name);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `a string (${JSON.stringify(shown)})`;
  }
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value}`;
}

function badValue(where: string, value: unknown): SampleError {
  if (typeof value === 'string') {
    return new SampleError(
      `${where} is ${describe(value)}, not a number. ${HOW_TO_SEND} For MQTT, set the mqtt in node's ` +
        `output to "a parsed JSON object", or put a json node before this one.`,
    );
  }
  if (typeof value === 'number') {
    return new SampleError(
      `${where} is ${describe(value)}: every feature must be a finite number. ` +
        'Filter out or fill in missing and invalid readings before this node.',
    );
  }
  return new SampleError(`${where} is ${describe(value)}, not a finite number. ${HOW_TO_SEND}`);
}

function isTypedArray(value: unknown): value is ArrayLike<number> & ArrayBufferView {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

/**
 * A plain object, from this realm or another: a function node builds its objects in its own VM
 * context, whose `Object.prototype` is not ours, so the prototype is recognised by having none of
 * its own rather than by identity. Class instances (Date, Map, Buffer…) are not plain.
 */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * Reads samples for one node. It keeps a scratch row for single object samples so that the
 * common case of one reading per message allocates nothing beyond the result.
 */
export class SampleReader {
  private readonly configured: readonly string[] | null;
  private scratch = new Float64Array(0);

  /** @param features the node's configured feature names (fixing selection and order), or null. */
  constructor(features: readonly string[] | null = null) {
    this.configured = features;
  }

  /**
   * Validates `value` and returns it as rows.
   * @param value the message value.
   * @param schema the model's schema, or `null` when there is no model yet (the sample then
   *   fixes it: the configured features, or the first object's key order, or the array length).
   * @param where how to name the value in errors, e.g. `msg.payload`.
   * @throws SampleError saying what was wrong and how to fix it.
   */
  read(value: unknown, schema: Schema | null, where: string): Sample {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw badValue(where, value);
      this.expectDimension(schema, 1, where);
      this.ensureScratch(1)[0] = value;
      return { shape: 'number', batch: false, rows: [this.scratch], dimension: 1, features: null };
    }
    if (Array.isArray(value)) {
      if (value.length === 0) {
        throw new SampleError(`${where} is an empty array: send at least one value or one sample.`);
      }
      const first: unknown = value[0];
      if (Array.isArray(first) || isTypedArray(first)) return this.readArrayBatch(value, schema, where);
      if (isPlainObject(first)) return this.readObjectBatch(value, schema, where);
      this.checkNumbers(value, where);
      this.expectDimension(schema, value.length, where);
      return {
        shape: 'array',
        batch: false,
        rows: [value as number[]],
        dimension: value.length,
        features: schema?.features ?? this.configured,
      };
    }
    if (isTypedArray(value)) {
      if (Buffer.isBuffer(value)) {
        throw new SampleError(
          `${where} is a Buffer (raw bytes), not numbers. ${HOW_TO_SEND} For MQTT, set the mqtt in ` +
            `node's output to "a parsed JSON object".`,
        );
      }
      if (value.length === 0)
        throw new SampleError(`${where} is an empty typed array: send at least one value.`);
      if (typeof (value as unknown as ArrayLike<unknown>)[0] !== 'number') {
        throw new SampleError(
          `${where} is a ${value.constructor.name}: use a Float64Array or a plain array.`,
        );
      }
      this.checkNumbers(value, where);
      this.expectDimension(schema, value.length, where);
      return {
        shape: 'array',
        batch: false,
        rows: [value],
        dimension: value.length,
        features: schema?.features ?? this.configured,
      };
    }
    if (isPlainObject(value)) {
      const features = this.objectFeatures(value, schema, where);
      const row = this.ensureScratch(features.length);
      this.extract(value, features, row, where);
      return { shape: 'object', batch: false, rows: [row], dimension: features.length, features };
    }
    if (value === undefined) {
      throw new SampleError(`${where} is missing. ${HOW_TO_SEND}`);
    }
    throw badValue(where, value);
  }

  private ensureScratch(length: number): Float64Array {
    if (this.scratch.length !== length) this.scratch = new Float64Array(length);
    return this.scratch;
  }

  private checkNumbers(values: ArrayLike<unknown>, where: string): void {
    for (let j = 0; j < values.length; j++) {
      const v = values[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw badValue(`${where}[${j}]`, v);
    }
  }

  private expectDimension(schema: Schema | null, dimension: number, where: string): void {
    const expected = schema?.dimension ?? this.configured?.length;
    if (expected === undefined || expected === dimension) return;
    const names = schema?.features ?? this.configured;
    const listed = names ? ` (${names.join(', ')})` : '';
    throw new SampleError(
      `${where} has ${dimension} feature${dimension === 1 ? '' : 's'} but this model has ` +
        `${expected}${listed}. Send samples of ${expected} values, or send msg.reset to start a new model.`,
    );
  }

  private objectFeatures(
    row: Record<string, unknown>,
    schema: Schema | null,
    where: string,
  ): readonly string[] {
    if (schema) {
      if (schema.features) return schema.features;
      throw new SampleError(
        `${where} is an object, but this model was learned from unnamed features (arrays of ` +
          `${schema.dimension}). Send arrays, or send msg.reset to start a new model.`,
      );
    }
    if (this.configured) return this.configured;
    const names = Object.keys(row);
    if (names.length === 0) throw new SampleError(`${where} is an empty object: send at least one feature.`);
    for (const name of names) {
      if (FORBIDDEN_NAMES.has(name)) {
        throw new SampleError(
          `${where} has a field named "${name}", which cannot be a feature name. ` +
            'List the features to use in the node\'s "Features" setting.',
        );
      }
    }
    return names;
  }

  private extract(
    row: Record<string, unknown>,
    features: readonly string[],
    into: { [j: number]: number },
    where: string,
  ): void {
    for (let j = 0; j < features.length; j++) {
      const name = features[j];
      const v = Object.prototype.hasOwnProperty.call(row, name) ? row[name] : undefined;
      if (typeof v === 'number' && Number.isFinite(v)) {
        into[j] = v;
      } else if (v === undefined) {
        throw new SampleError(
          `${where} has no field "${name}"; this model's features are ${features.join(', ')}. ` +
            'Send every feature in each sample, or set the node\'s "Features" to the ones you have.',
        );
      } else {
        throw badValue(`${where}.${name}`, v);
      }
    }
  }

  private readArrayBatch(value: unknown[], schema: Schema | null, where: string): Sample {
    const rows: ArrayLike<number>[] = new Array<ArrayLike<number>>(value.length);
    let dimension = -1;
    for (let i = 0; i < value.length; i++) {
      const row = value[i];
      const at = `${where}[${i}]`;
      if (!Array.isArray(row) && !(isTypedArray(row) && !Buffer.isBuffer(row))) {
        throw new SampleError(
          `${at} is ${describe(row)}, but ${where}[0] is an array: every row of a batch must be an ` +
            'array of numbers of the same length.',
        );
      }
      const numbers = row as ArrayLike<unknown>;
      if (i === 0) {
        dimension = numbers.length;
        if (dimension === 0)
          throw new SampleError(`${at} is an empty row: every row needs at least one value.`);
      } else if (numbers.length !== dimension) {
        throw new SampleError(
          `${at} has ${numbers.length} values but ${where}[0] has ${dimension}: every row of a batch ` +
            'must have the same length.',
        );
      }
      this.checkNumbers(numbers, at);
      rows[i] = numbers as ArrayLike<number>;
    }
    this.expectDimension(schema, dimension, `${where}[0]`);
    return { shape: 'array', batch: true, rows, dimension, features: schema?.features ?? this.configured };
  }

  private readObjectBatch(value: unknown[], schema: Schema | null, where: string): Sample {
    const features = this.objectFeatures(value[0] as Record<string, unknown>, schema, `${where}[0]`);
    const rows: Float64Array[] = new Array<Float64Array>(value.length);
    for (let i = 0; i < value.length; i++) {
      const row = value[i];
      const at = `${where}[${i}]`;
      if (!isPlainObject(row)) {
        throw new SampleError(
          `${at} is ${describe(row)}, but ${where}[0] is an object: every row of a batch must be an ` +
            'object with the same features.',
        );
      }
      const values = new Float64Array(features.length);
      this.extract(row, features, values, at);
      rows[i] = values;
    }
    return { shape: 'object', batch: true, rows, dimension: features.length, features };
  }
}

/**
 * Shapes result rows like the sample they came from: a number for a number, an array for an array,
 * an object named by `names` for an object, and a batch of those for a batch.
 * @param sample the sample the rows were computed from.
 * @param rows one result row per sample row.
 * @param names names of the result's features, used for object samples.
 */
export function shapeLike(sample: Sample, rows: number[][], names: readonly string[]): unknown {
  if (sample.shape === 'object') {
    const objects = rows.map((row) => {
      const out: Record<string, number> = {};
      for (let j = 0; j < names.length; j++) out[names[j]] = row[j];
      return out;
    });
    return sample.batch ? objects : objects[0];
  }
  if (sample.batch) return rows;
  return sample.shape === 'number' && rows[0].length === 1 ? rows[0][0] : rows[0];
}
