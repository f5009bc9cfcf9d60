/**
 * Aligning topics into rows: each message is one reading of one feature (the last segment of its
 * topic), and a window becomes one row holding each feature's last reading (or its aggregates),
 * filled from the previous window for a feature without a reading, or reported as incomplete
 * while some feature never had one.
 */
import { aggregateNames, MAX_WINDOW_VALUE, summarize } from '../aggregate';
import { describeNames, SampleError } from '../errors';
import { magnitudeError } from '../rows';
import { isForbiddenName } from '../samples';
import type { Rows } from './buffers';
import type { ResolvedWindowOptions } from './options';
import { carried, namedRow } from './shape';
import { describeReading, quoteText } from './text';
import type { WindowKey, WindowOutput } from './types';

/**
 * The feature name a topic gives in `align`: its last `/`-separated segment
 * (`factory/m1/temp` → `temp`).
 * @throws SampleError when the topic is not a string or its last segment is empty or unusable.
 */
export function topicFeatureName(topic: unknown, where = 'msg.topic'): string {
  if (typeof topic !== 'string' && typeof topic !== 'number') {
    throw new SampleError(
      `${where} is ${topic === undefined ? 'missing' : `a ${topic === null ? 'null' : typeof topic}`}: ` +
        'aligning topics needs a topic (or key) naming the reading, such as "factory/m1/temp".',
    );
  }
  const text = String(topic);
  const name = text.slice(text.lastIndexOf('/') + 1).trim();
  if (name.length === 0 || isForbiddenName(name)) {
    throw new SampleError(
      `${where} ${quoteText(text)} does not end in a usable feature name: its last segment names the feature.`,
    );
  }
  return name;
}

/**
 * The feature name a reading gives (`SampleAt.name`).
 * @throws SampleError when it is missing, empty or one that cannot be a property name.
 */
export function readingName(name: unknown, where: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new SampleError(
      `${where} has no feature name: aligning needs the topic (or key) of each reading, e.g. "factory/m1/temp".`,
    );
  }
  if (isForbiddenName(name)) throw new SampleError(`${quoteText(name)} cannot be a feature name (${where}).`);
  return name;
}

/** @throws SampleError unless `value` is one finite reading within the accepted magnitude. */
export function checkReading(value: unknown, where: string, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new SampleError(
      `${where} is ${describeReading(value)}: aligning topics needs one finite number per message` +
        `${name ? ` (the reading of ${quoteText(name)})` : ''}.`,
    );
  }
  if (Math.abs(value) > MAX_WINDOW_VALUE) throw magnitudeError(where, value);
}

/** The features a key's aligned rows have, and their last readings (kept across windows). */
interface Aligner {
  readonly names: string[];
  readonly index: Map<string, number>;
  readonly fixed: boolean;
  last: number[];
  lastTime: number[];
}

/** The features of every key's aligned rows and their last readings. */
export class Alignment {
  private readonly aligners = new Map<WindowKey, Aligner>();

  /**
   * @param features the configured feature names (no other is accepted), or `null`: names join
   *   as they come, up to `maxFeatures` per key.
   */
  constructor(
    private readonly features: readonly string[] | null,
    private readonly maxFeatures: number,
  ) {}

  /** Forgets the features and last readings of `key`, or of every key. */
  reset(key?: WindowKey): void {
    if (key === undefined) this.aligners.clear();
    else this.aligners.delete(key);
  }

  /**
   * Checks that a reading of `name` may join the key's rows, changing nothing.
   * @throws SampleError when it is not one of the configured features, or would be one too many.
   */
  check(key: WindowKey, name: string, where: string): void {
    const aligner = this.aligners.get(key);
    const known = aligner ? aligner.index.has(name) : this.features !== null && this.features.includes(name);
    if (known) return;
    if (this.features || aligner?.fixed) {
      throw new SampleError(
        `${where} is a reading of ${quoteText(name)}, which is not one of the features ` +
          `${describeNames(this.features ?? [])}. Add it to the node's "Features", or filter it out before this node.`,
      );
    }
    const count = aligner ? aligner.names.length : 0;
    if (count >= this.maxFeatures) {
      throw new SampleError(
        `${where} is a reading of ${quoteText(name)}, which would be feature ${count + 1} of ` +
          `${key === null ? 'the aligned rows' : `key ${quoteText(String(key))}`}, more than maxFeatures ` +
          `(${this.maxFeatures}). List the expected names in "Features" (other topics are then rejected), ` +
          'filter the topics before this node, or raise "Max features".',
      );
    }
  }

  /** Adds `name` to the key's features if it is new, and returns its index. */
  commit(key: WindowKey, name: string): number {
    let aligner = this.aligners.get(key);
    if (!aligner) {
      const names = this.features ? [...this.features] : [];
      aligner = {
        names,
        index: new Map(names.map((n, i) => [n, i])),
        fixed: this.features !== null,
        last: names.map(() => NaN),
        lastTime: names.map(() => -Infinity),
      };
      this.aligners.set(key, aligner);
    }
    let tag = aligner.index.get(name);
    if (tag === undefined) {
      tag = aligner.names.length;
      aligner.names.push(name);
      aligner.index.set(name, tag);
      aligner.last.push(NaN);
      aligner.lastTime.push(-Infinity);
    }
    return tag;
  }

  /** An aligned window becomes one row: each feature's last reading (or its aggregates). */
  emit(
    key: WindowKey,
    rows: Rows,
    start: number,
    end: number,
    output: WindowOutput,
    o: Pick<ResolvedWindowOptions, 'emit' | 'aggregates'>,
  ): void {
    const aligner = this.aligners.get(key) as Aligner;
    const m = aligner.names.length;
    const columns: number[][] = Array.from({ length: m }, () => []);
    const times: number[] = new Array<number>(m).fill(-Infinity);
    const tags = rows.tags as Int32Array;
    for (let i = 0; i < rows.length; i++) {
      columns[tags[i]].push(rows.values[i]);
      times[tags[i]] = rows.times[i];
    }
    const filled: string[] = [];
    const missing: string[] = [];
    const lastValues: Record<string, number> = {};
    for (let f = 0; f < m; f++) {
      const name = aligner.names[f];
      if (columns[f].length > 0) lastValues[name] = columns[f][columns[f].length - 1];
      else if (!Number.isNaN(aligner.last[f])) {
        filled.push(name);
        lastValues[name] = aligner.last[f];
      } else missing.push(name);
    }
    // Remember the latest reading of each feature, to fill later windows that lack it.
    for (let f = 0; f < m; f++) {
      if (columns[f].length > 0 && times[f] >= aligner.lastTime[f]) {
        aligner.last[f] = columns[f][columns[f].length - 1];
        aligner.lastTime[f] = times[f];
      }
    }
    if (missing.length > 0) {
      output.incomplete.push({ start, end, count: rows.length, key, missing, value: lastValues });
      return;
    }
    let value: unknown;
    if (o.emit === 'samples')
      value = namedRow(
        aligner.names,
        aligner.names.map((name) => lastValues[name]),
      );
    else if (o.emit === 'vector') value = aligner.names.map((name) => lastValues[name]);
    else {
      const stats = aligner.names.map((name, f) =>
        columns[f].length > 0 ? summarize(columns[f], o.aggregates) : carried(lastValues[name], o.aggregates),
      );
      value =
        o.aggregates.length === 1
          ? namedRow(
              aligner.names,
              stats.map((s) => s[0]),
            )
          : namedRow(aggregateNames(aligner.names, o.aggregates), stats.flat());
    }
    output.windows.push({ start, end, count: rows.length, key, value, filled });
  }
}
