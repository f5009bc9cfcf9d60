/**
 * Reading samples out of message values and writing results back in the same shape (the forms
 * a sample may take are listed in docs/nodes.md).
 *
 * A value is one sample (a number, an array or typed array of numbers, an object of numbers) or a
 * batch (an array of arrays, or of objects). Every value is validated completely before anything
 * uses it, so a bad row rejects the whole batch and the caller's model is never half-updated.
 */
import { describeName, describeNames, describeValue, SampleError } from './errors';
import { magnitudeError, MAX_MAGNITUDE } from './rows';

/** What a sample looked like on the way in; results go out in the same shape. */
export type SampleShape = 'number' | 'array' | 'object';

/** The features a model was learned on: their number and, for named features, their names. */
export interface Schema {
  readonly dimension: number;
  /** Names in model order, or `null` for positional (array / number) features. */
  readonly features: readonly string[] | null;
}

/**
 * A validated sample or batch. The object {@link SampleReader.read} returns for a single sample is
 * the reader's own and is filled anew by its next read: use it before reading again.
 */
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

/** The node kinds that read samples, as named by their Node-RED type. */
export type SampleNodeType = 'ml-standardize' | 'ml-pca' | 'ml-kmeans' | 'ml-window';

/**
 * Default of each node's `maxDimension` setting: the most features a sample may have.
 * - `ml-pca`: 128, the largest d whose full eigen refit took ≤ 50 ms on the reference machine
 *   (docs/limits.md gives the measured times); a refit is O(d³) and its model O(d²).
 * - `ml-standardize`, `ml-kmeans`, `ml-window`: 10,000; their cost per sample is O(d) (O(k·d) for
 *   k-means) and a model of that width is about 1 MB of JSON.
 */
export const DEFAULT_MAX_DIMENSION: Readonly<Record<SampleNodeType, number>> = Object.freeze({
  'ml-standardize': 10_000,
  'ml-pca': 128,
  'ml-kmeans': 10_000,
  'ml-window': 10_000,
});

/**
 * The largest value the `maxDimension` setting itself may take, per node type: beyond it a model
 * could not be kept (PCA: an export, a save and a merge each run a full eigen refit, O(d³) in one
 * event-loop turn, ~40–60 ms at d = 160 and over 100 ms from about 180 on the reference machine
 * (docs/limits.md), so 160 keeps every such turn under the 100 ms stall budget; the others:
 * 100,000 features, ~12 MB of JSON per model).
 */
export const MAX_DIMENSION_SETTING: Readonly<Record<SampleNodeType, number>> = Object.freeze({
  'ml-standardize': 100_000,
  'ml-pca': 160,
  'ml-kmeans': 100_000,
  'ml-window': 100_000,
});

/** The largest dimension any reader accepts: the largest {@link MAX_DIMENSION_SETTING}. */
export const MAX_DIMENSION = 100_000;

/** Options of a {@link SampleReader}. */
export interface SampleReaderOptions {
  /**
   * The most features a sample may have (the node's `maxDimension` setting), an integer from 1 to
   * {@link MAX_DIMENSION}; default {@link MAX_DIMENSION}. A wider sample is rejected before
   * anything of its size is allocated.
   */
  maxDimension?: number;
  /** What the samples feed, as messages name it: `model` (the default) or `window`. */
  noun?: SampleHolder;
}

/** What a {@link SampleReader}'s samples feed. */
export type SampleHolder = 'model' | 'window';

/** How messages name what a reader's samples feed: it, what it learned from, and how to restart. */
const HOLDER_WORDS = Object.freeze({
  model: ['this model', 'this model was learned from', 'send msg.reset to start a new model'],
  window: ['this window', 'this window holds', 'send msg.flush or msg.reset to start new windows'],
} as const);

/**
 * Checks a `maxDimension` value.
 * @param value the setting.
 * @param limit its largest allowed value (e.g. `MAX_DIMENSION_SETTING['ml-pca']`).
 * @throws RangeError saying what is allowed.
 */
export function checkMaxDimension(value: unknown, limit = MAX_DIMENSION): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > limit) {
    throw new RangeError(
      `maxDimension must be a whole number from 1 to ${limit}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/**
 * Names that must never become property names of an object we build: those that reach or replace
 * an object's prototype, and every other member of `Object.prototype`, which an own field would
 * shadow (an object with a numeric `toString` or `valueOf` throws wherever it is turned into text
 * or a number downstream, `hasOwnProperty` breaks code that calls it).
 */
export const FORBIDDEN_NAMES: ReadonlySet<string> = new Set([
  'prototype',
  // __proto__, constructor, toString, valueOf, hasOwnProperty, isPrototypeOf, … (docs/limits.md)
  ...Object.getOwnPropertyNames(Object.prototype),
]);

/**
 * Whether `name` must never be a feature name or a key written onto an object (see
 * {@link FORBIDDEN_NAMES}).
 */
export function isForbiddenName(name: string): boolean {
  return FORBIDDEN_NAMES.has(name);
}

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
    if (isForbiddenName(name))
      throw new RangeError(`${where}: "${describeName(name)}" cannot be a feature name`);
    if (seen.has(name)) throw new RangeError(`${where}: feature "${describeName(name)}" is listed twice`);
    seen.add(name);
  }
}

function badValue(where: string, value: unknown): SampleError {
  if (typeof value === 'string') {
    return new SampleError(
      `${where} is a string (${describeValue(value)}), not a number. ${HOW_TO_SEND} For MQTT, set the mqtt in node's ` +
        `output to "a parsed JSON object", or put a json node before this one.`,
    );
  }
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return magnitudeError(where, value);
    return new SampleError(
      `${where} is ${describeValue(value)}: every feature must be a finite number. ` +
        'Filter out or fill in missing and invalid readings before this node.',
    );
  }
  return new SampleError(`${where} is ${describeValue(value)}, not a finite number. ${HOW_TO_SEND}`);
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
  /** The most features a sample may have (see {@link SampleReaderOptions}). */
  readonly maxDimension: number;
  /** What this reader's messages call what its samples feed (see HOLDER_WORDS). */
  private readonly noun: SampleHolder;
  private scratch = new Float64Array(0);
  /** The result of every single-sample read (see {@link Sample}): one message, no allocation. */
  private readonly single: {
    shape: SampleShape;
    batch: false;
    rows: [ArrayLike<number>];
    dimension: number;
    features: readonly string[] | null;
  } = { shape: 'array', batch: false, rows: [this.scratch], dimension: 0, features: null };

  /**
   * @param features the node's configured feature names (fixing selection and order), or null.
   * @param options limits; see {@link SampleReaderOptions}.
   * @throws RangeError when `maxDimension` is invalid or `features` lists more names than it.
   */
  constructor(features: readonly string[] | null = null, options: SampleReaderOptions = {}) {
    this.maxDimension =
      options.maxDimension === undefined ? MAX_DIMENSION : checkMaxDimension(options.maxDimension);
    if (features && features.length > this.maxDimension) {
      throw new RangeError(
        `Features lists ${features.length} names, more than maxDimension (${this.maxDimension}) of this ` +
          'node: list fewer features, or raise the node\'s "maxDimension" setting',
      );
    }
    this.configured = features;
    this.noun = options.noun ?? 'model';
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
      if (!(value <= MAX_MAGNITUDE && value >= -MAX_MAGNITUDE)) throw badValue(where, value);
      this.expectDimension(schema, 1, where);
      this.ensureScratch(1)[0] = value;
      return this.one('number', this.scratch, 1, null);
    }
    if (Array.isArray(value)) {
      if (value.length === 0) {
        throw new SampleError(`${where} is an empty array: send at least one value or one sample.`);
      }
      const first: unknown = value[0];
      if (Array.isArray(first) || isTypedArray(first)) return this.readArrayBatch(value, schema, where);
      if (isPlainObject(first)) return this.readObjectBatch(value, schema, where);
      return this.readArray(value, schema, where);
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
          `${where} is ${describeValue(value)} of BigInts: use a Float64Array or a plain array.`,
        );
      }
      return this.readArray(value, schema, where);
    }
    if (isPlainObject(value)) {
      const features = this.objectFeatures(value, schema, where);
      const row = this.ensureScratch(features.length);
      this.extract(value, features, row, where);
      return this.one('object', row, features.length, features);
    }
    if (value === undefined) {
      throw new SampleError(`${where} is missing. ${HOW_TO_SEND}`);
    }
    throw badValue(where, value);
  }

  /** One sample given as an array or a typed array of numbers. */
  private readArray(value: ArrayLike<unknown>, schema: Schema | null, where: string): Sample {
    this.checkWidth(value.length, where);
    this.checkNumbers(value, where);
    this.expectDimension(schema, value.length, where);
    return this.one('array', value as ArrayLike<number>, value.length, schema?.features ?? this.configured);
  }

  private one(
    shape: SampleShape,
    row: ArrayLike<number>,
    dimension: number,
    features: readonly string[] | null,
  ): Sample {
    const single = this.single;
    single.shape = shape;
    single.rows[0] = row;
    single.dimension = dimension;
    single.features = features;
    return single;
  }

  private ensureScratch(length: number): Float64Array {
    if (this.scratch.length !== length) this.scratch = new Float64Array(length);
    return this.scratch;
  }

  private checkNumbers(values: ArrayLike<unknown>, where: string): void {
    for (let j = 0; j < values.length; j++) {
      const v = values[j];
      // One comparison of the magnitude also rejects NaN.
      if (typeof v !== 'number' || !(Math.abs(v) <= MAX_MAGNITUDE)) {
        throw badValue(`${where}[${j}]`, v);
      }
    }
  }

  /** @throws SampleError when a sample has more than {@link maxDimension} features. */
  private checkWidth(dimension: number, where: string, atLeast = false): void {
    if (dimension <= this.maxDimension) return;
    throw new SampleError(
      (atLeast
        ? `${where} has more than ${this.maxDimension} features, the maxDimension of this node: `
        : `${where} has ${dimension} features, more than maxDimension (${this.maxDimension}) of this node: `) +
        'send fewer features (choose them with the node\'s "Features" setting), or raise its ' +
        '"maxDimension" setting.',
    );
  }

  private expectDimension(schema: Schema | null, dimension: number, where: string): void {
    const expected = schema?.dimension ?? this.configured?.length;
    if (expected === undefined || expected === dimension) return;
    const names = schema?.features ?? this.configured;
    const listed = names ? ` (${describeNames(names)})` : '';
    throw new SampleError(
      `${where} has ${dimension} feature${dimension === 1 ? '' : 's'} but ${HOLDER_WORDS[this.noun][0]} has ` +
        `${expected}${listed}. Send samples of ${expected} values, or ${HOLDER_WORDS[this.noun][2]}.`,
    );
  }

  private objectFeatures(
    row: Record<string, unknown>,
    schema: Schema | null,
    where: string,
  ): readonly string[] {
    if (schema) {
      // A model loaded with more features than this node allows reads no object sample either.
      this.checkWidth(schema.dimension, where);
      if (schema.features) return schema.features;
      throw new SampleError(
        `${where} is an object, but ${HOLDER_WORDS[this.noun][1]} unnamed features (arrays of ` +
          `${schema.dimension}). Send arrays, or ${HOLDER_WORDS[this.noun][2]}.`,
      );
    }
    if (this.configured) return this.configured;
    // Counted before Object.keys, which would build an array as wide as the object.
    let width = 0;
    for (const name in row) {
      if (Object.prototype.hasOwnProperty.call(row, name) && ++width > this.maxDimension) {
        this.checkWidth(width, where, true);
      }
    }
    const names = Object.keys(row);
    if (names.length === 0) throw new SampleError(`${where} is an empty object: send at least one feature.`);
    for (const name of names) {
      if (isForbiddenName(name)) {
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
      if (typeof v === 'number' && v <= MAX_MAGNITUDE && v >= -MAX_MAGNITUDE) {
        into[j] = v;
      } else if (v === undefined) {
        throw new SampleError(
          `${where} has no field "${describeName(name)}"; ${HOLDER_WORDS[this.noun][0]}'s features are ${describeNames(features)}. ` +
            'Send every feature in each sample, or set the node\'s "Features" to the ones you have.',
        );
      } else {
        throw badValue(`${where}.${describeName(name)}`, v);
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
          `${at} is ${describeValue(row)}, but ${where}[0] is an array: every row of a batch must be an ` +
            'array of numbers of the same length.',
        );
      }
      const numbers = row as ArrayLike<unknown>;
      if (i === 0) {
        dimension = numbers.length;
        this.checkWidth(dimension, where);
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
          `${at} is ${describeValue(row)}, but ${where}[0] is an object: every row of a batch must be an ` +
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
