/**
 * Reading one message's sample for a window: against the layout of its key's open windows, or,
 * when the key has none, as the first sample, which then gives the layout the windows keep.
 */
import { MAX_WINDOW_VALUE, positionalNames } from '../aggregate';
import { SampleError } from '../errors';
import { SampleReader } from '../samples';
import type { ResolvedWindowOptions } from './options';
import { quoteText, shapeName } from './text';
import type { Layout, WindowKey } from './types';

/** A message's rows and the layout they have. */
export interface WindowRows {
  /** Rows to copy in before the next read: they may be the caller's arrays or a scratch row. */
  readonly rows: ArrayLike<ArrayLike<number>>;
  /** The open windows' layout, or the one this first sample gives. */
  readonly layout: Layout;
}

export class WindowReader {
  private readonly reader: SampleReader;
  private readonly oneRow: ArrayLike<number>[] = [new Float64Array(1)];
  private readonly scratch = new Float64Array(1);

  constructor(options: Pick<ResolvedWindowOptions, 'groupBy' | 'features' | 'maxDimension'>) {
    this.reader = new SampleReader(options.groupBy === 'align' ? null : options.features, {
      maxDimension: options.maxDimension,
      noun: 'window',
    });
  }

  /** One finite reading (align) as a row, in a scratch row. */
  reading(value: number): ArrayLike<ArrayLike<number>> {
    this.scratch[0] = value;
    this.oneRow[0] = this.scratch;
    return this.oneRow;
  }

  /** Forgets any reference to a caller's array: none is kept beyond a call. */
  release(): void {
    this.oneRow[0] = this.scratch;
  }

  /**
   * Checks a sample as it stands alone, as if its key had no open window.
   * @throws SampleError as {@link read} would.
   */
  check(value: unknown, where: string): void {
    // The reader checks every value's magnitude too.
    this.reader.read(value, null, where);
  }

  /**
   * Validates a sample against its key's layout; fast paths avoid allocating for plain numbers
   * and arrays.
   * @param layout the layout of the key's open windows, `null` when it has none.
   * @throws SampleError on a bad sample or one whose form differs from the open windows'.
   */
  read(value: unknown, layout: Layout | null, key: WindowKey, where: string): WindowRows {
    if (
      layout &&
      typeof value === 'number' &&
      layout.shape === 'number' &&
      Math.abs(value) <= MAX_WINDOW_VALUE
    ) {
      return { rows: this.reading(value), layout };
    }
    if (
      layout &&
      layout.shape === 'array' &&
      Array.isArray(value) &&
      value.length === layout.schema.dimension
    ) {
      let ok = true;
      for (let j = 0; j < value.length && ok; j++) {
        const v: unknown = value[j];
        ok = typeof v === 'number' && Math.abs(v) <= MAX_WINDOW_VALUE;
      }
      if (ok) {
        this.oneRow[0] = value as number[];
        return { rows: this.oneRow, layout };
      }
    }
    // The reader checks every value's magnitude too.
    const sample = this.reader.read(value, layout?.schema ?? null, where);
    if (layout && sample.shape !== layout.shape) {
      throw new SampleError(
        `${where} is ${shapeName(sample.shape)}, but the open window${key === null ? '' : ` of key ${quoteText(String(key))}`} ` +
          `holds ${shapeName(layout.shape)}: every sample of a window must have the same form. ` +
          'Send msg.flush or msg.reset to start new windows.',
      );
    }
    if (layout) return { rows: sample.rows, layout };
    const features = sample.features;
    return {
      rows: sample.rows,
      layout: {
        shape: sample.shape,
        schema: { dimension: sample.dimension, features },
        names: features ?? positionalNames(sample.dimension),
      },
    };
  }
}

/**
 * A sample's window key: a string, a number or a boolean, or `null` for none.
 * @throws SampleError for anything else.
 */
export function checkKey(key: unknown, where: string): WindowKey {
  if (key === undefined || key === null) return null;
  if (typeof key === 'string' || typeof key === 'boolean') return key;
  if (typeof key === 'number' && Number.isFinite(key)) return key;
  throw new SampleError(
    `The key of ${where} is ${typeof key === 'number' ? String(key) : `a ${typeof key}`}: ` +
      'a window key must be a string or a number.',
  );
}
