/**
 * A sample that cannot be used: wrong type, non-finite value, missing feature, wrong length,
 * empty or ragged batch, a value beyond the largest accepted magnitude, too many features.
 * The message says what was wrong and how to fix it.
 */
export class SampleError extends Error {
  override name = 'SampleError';
}

/**
 * A model (from `msg.model`, a context store or a merge) that is malformed or does not fit the
 * node's settings. The message says which field is wrong and what was expected.
 */
export class ModelError extends Error {
  override name = 'ModelError';
}

/**
 * A window buffer would exceed its `maxSamples`: nothing was added. Raise the setting, use shorter
 * windows, or flush.
 */
export class WindowOverflowError extends Error {
  override name = 'WindowOverflowError';
}

/** Longest text {@link describeValue} shows of a string or a number. */
export const DESCRIBE_MAX_CHARS = 60;

function shorten(text: string): string {
  return text.length > DESCRIBE_MAX_CHARS ? `${text.slice(0, DESCRIBE_MAX_CHARS)}…` : text;
}

/**
 * Names a value from a message, a model or a setting for an error message, in at most about
 * 80 characters, whatever the value is: `NaN`, `Infinity`, `-0`, `"abc"` (quoted, cut after
 * {@link DESCRIBE_MAX_CHARS} characters), `a boolean (true)`, `an array of 3 items`, `an object`,
 * `a Date`, `a BigInt (12n)`, `null`, `missing`.
 *
 * Untrusted input is never serialised (`JSON.stringify` turns NaN into `null`, throws on a BigInt
 * or a cycle, and recurses without bound into nested objects), never echoed whole (a 1 MB string
 * is cut), and no getter, trap or `toString` of the value runs; this function never throws.
 */
export function describeValue(value: unknown): string {
  try {
    switch (typeof value) {
      case 'undefined':
        return 'missing';
      case 'number':
        return Object.is(value, -0) ? '-0' : String(value);
      case 'bigint':
        return `a BigInt (${shorten(value.toString())}n)`;
      case 'boolean':
        return `a boolean (${String(value)})`;
      case 'string':
        return JSON.stringify(shorten(value));
      case 'symbol':
        return 'a symbol';
      case 'function':
        return 'a function';
      default:
        break;
    }
    if (value === null) return 'null';
    if (Array.isArray(value)) {
      const n = value.length;
      return n === 0 ? 'an empty array' : `an array of ${n} item${n === 1 ? '' : 's'}`;
    }
    if (ArrayBuffer.isView(value)) return 'a typed array';
    const proto = Object.getPrototypeOf(value) as object | null;
    if (proto === null || Object.getPrototypeOf(proto) === null) return 'an object';
    // A class instance: its constructor's name, read without running any getter.
    const descriptor = Object.getOwnPropertyDescriptor(proto, 'constructor');
    const ctor: unknown = descriptor && 'value' in descriptor ? descriptor.value : undefined;
    const nameDescriptor =
      typeof ctor === 'function' ? Object.getOwnPropertyDescriptor(ctor, 'name') : undefined;
    const name: unknown = nameDescriptor && 'value' in nameDescriptor ? nameDescriptor.value : undefined;
    if (typeof name === 'string' && /^[A-Za-z_$][\w$]{0,40}$/.test(name)) {
      return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
    }
    return 'an object';
  } catch {
    // A Proxy whose traps throw, or the like.
    return 'an unreadable value';
  }
}

/**
 * A feature name (or key) as errors show it: cut after {@link DESCRIBE_MAX_CHARS} characters, so
 * a hostile 1 MB name is never echoed.
 */
export function describeName(name: string): string {
  return shorten(String(name));
}

/**
 * A list of feature names as errors show it: the first `max` names, each cut, then how many more.
 */
export function describeNames(names: readonly string[], max = 10): string {
  const shown = names.slice(0, max).map(describeName).join(', ');
  return names.length > max ? `${shown}, … (${names.length} in all)` : shown;
}
