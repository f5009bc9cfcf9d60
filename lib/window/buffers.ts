/**
 * Owned storage for the samples a window holds: rows of numbers with their times (and, for
 * aligned topics, which feature each reading is). Values are copied in, so no caller array is
 * ever kept, and kept in flat typed arrays that grow by doubling (amortised O(1) per sample).
 */

/** A growable list of timed rows, in insertion order unless {@link sortByTime} is called. */
export class Rows {
  times: Float64Array;
  values: Float64Array;
  /** Feature index of each reading (aligned topics), else `null`. */
  tags: Int32Array | null;
  length = 0;
  /** Whether rows are in non-decreasing time order (false after an out-of-order sample). */
  sorted = true;
  minTime = Infinity;
  maxTime = -Infinity;

  /**
   * @param width numbers per row.
   * @param tagged whether each row carries a feature index.
   * @param capacity rows to allocate for at first.
   */
  constructor(
    readonly width: number,
    tagged: boolean,
    capacity = 4,
  ) {
    const rows = Math.max(1, capacity);
    this.times = new Float64Array(rows);
    this.values = new Float64Array(rows * width);
    this.tags = tagged ? new Int32Array(rows) : null;
  }

  /** Empties the rows and makes room for `rows` of them; returns this. */
  clear(rows: number): this {
    this.length = 0;
    this.sorted = true;
    this.minTime = Infinity;
    this.maxTime = -Infinity;
    this.reserve(rows);
    return this;
  }

  private reserve(rows: number): void {
    if (rows <= this.times.length) return;
    const capacity = Math.max(rows, this.times.length * 2);
    const times = new Float64Array(capacity);
    times.set(this.times.subarray(0, this.length));
    this.times = times;
    const values = new Float64Array(capacity * this.width);
    values.set(this.values.subarray(0, this.length * this.width));
    this.values = values;
    if (this.tags) {
      const tags = new Int32Array(capacity);
      tags.set(this.tags.subarray(0, this.length));
      this.tags = tags;
    }
  }

  private noteTime(time: number): void {
    if (time < this.maxTime) this.sorted = false;
    else this.maxTime = time;
    if (time < this.minTime) this.minTime = time;
  }

  /** Appends a copy of `row` (its first `width` numbers). */
  push(time: number, row: ArrayLike<number>, tag = -1): void {
    this.reserve(this.length + 1);
    const offset = this.length * this.width;
    for (let j = 0; j < this.width; j++) this.values[offset + j] = row[j];
    this.times[this.length] = time;
    if (this.tags) this.tags[this.length] = tag;
    this.length++;
    this.noteTime(time);
  }

  /** Appends rows `from` (inclusive) to `to` (exclusive) of `other`, which has the same width. */
  append(other: Rows, from = 0, to = other.length): void {
    const count = to - from;
    if (count <= 0) return;
    this.reserve(this.length + count);
    this.times.set(other.times.subarray(from, to), this.length);
    this.values.set(other.values.subarray(from * this.width, to * this.width), this.length * this.width);
    if (this.tags && other.tags) this.tags.set(other.tags.subarray(from, to), this.length);
    this.length += count;
    if (other.sorted && from === 0 && to === other.length) {
      if (other.minTime < this.maxTime) this.sorted = false;
      this.maxTime = Math.max(this.maxTime, other.maxTime);
      this.minTime = Math.min(this.minTime, other.minTime);
    } else {
      for (let i = from; i < to; i++) this.noteTime(other.times[i]);
    }
  }

  /** Puts the rows in time order; rows with equal times keep their arrival order. */
  sortByTime(): void {
    if (this.sorted) return;
    const n = this.length;
    const order = Array.from({ length: n }, (_, i) => i);
    const times = this.times;
    order.sort((a, b) => times[a] - times[b] || a - b);
    const width = this.width;
    const sortedTimes = new Float64Array(this.times.length);
    const sortedValues = new Float64Array(this.values.length);
    const sortedTags = this.tags ? new Int32Array(this.tags.length) : null;
    for (let i = 0; i < n; i++) {
      const k = order[i];
      sortedTimes[i] = times[k];
      for (let j = 0; j < width; j++) sortedValues[i * width + j] = this.values[k * width + j];
      if (sortedTags && this.tags) sortedTags[i] = this.tags[k];
    }
    this.times = sortedTimes;
    this.values = sortedValues;
    this.tags = sortedTags;
    this.sorted = true;
  }
}

/**
 * The last `size` rows of a count window, as a ring: adding overwrites nothing and moves nothing,
 * and dropping the oldest rows is a pointer move. It grows by doubling up to `size`, so an idle
 * key with a large window does not hold a full-size buffer.
 */
export class Ring {
  private times: Float64Array;
  private values: Float64Array;
  private tags: Int32Array | null;
  private head = 0;
  length = 0;
  /** Rows added since the last window was emitted: a flush re-emits nothing already sent. */
  fresh = 0;

  /**
   * @param width numbers per row.
   * @param tagged whether each row carries a feature index.
   * @param size the most rows it will ever hold.
   */
  constructor(
    readonly width: number,
    tagged: boolean,
    readonly size: number,
  ) {
    const capacity = Math.min(size, 16);
    this.times = new Float64Array(capacity);
    this.values = new Float64Array(capacity * width);
    this.tags = tagged ? new Int32Array(capacity) : null;
  }

  private grow(): void {
    const capacity = Math.min(this.size, this.times.length * 2);
    const times = new Float64Array(capacity);
    const values = new Float64Array(capacity * this.width);
    const tags = this.tags ? new Int32Array(capacity) : null;
    this.copyOut(0, this.length, times, values, tags);
    this.times = times;
    this.values = values;
    this.tags = tags;
    this.head = 0;
  }

  private copyOut(
    from: number,
    count: number,
    times: Float64Array,
    values: Float64Array,
    tags: Int32Array | null,
  ): void {
    const capacity = this.times.length;
    const width = this.width;
    for (let i = 0; i < count; i++) {
      const k = (this.head + from + i) % capacity;
      times[i] = this.times[k];
      for (let j = 0; j < width; j++) values[i * width + j] = this.values[k * width + j];
      if (tags && this.tags) tags[i] = this.tags[k];
    }
  }

  /** Appends a copy of `row`. The caller emits and drops before the ring would exceed `size`. */
  push(time: number, row: ArrayLike<number>, tag = -1): void {
    if (this.length === this.times.length) this.grow();
    const k = (this.head + this.length) % this.times.length;
    const offset = k * this.width;
    for (let j = 0; j < this.width; j++) this.values[offset + j] = row[j];
    this.times[k] = time;
    if (this.tags) this.tags[k] = tag;
    this.length++;
    this.fresh++;
  }

  /**
   * A copy of every row held, oldest first: the only place a count window copies its buffer.
   * @param into rows of the same width and tagging to copy into (their rows replaced), so that a
   *   window shaped at once needs no new buffer; new rows when not given or not alike.
   */
  snapshot(into?: Rows): Rows {
    const tagged = this.tags !== null;
    const rows =
      into !== undefined && into.width === this.width && (into.tags !== null) === tagged
        ? into.clear(this.length)
        : new Rows(this.width, tagged, this.length);
    this.copyOut(0, this.length, rows.times, rows.values, rows.tags);
    rows.length = this.length;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < this.length; i++) {
      const t = rows.times[i];
      if (t < min) min = t;
      if (t > max) max = t;
    }
    rows.minTime = min;
    rows.maxTime = max;
    this.fresh = 0;
    return rows;
  }

  /** Forgets the `count` oldest rows. */
  drop(count: number): void {
    const n = Math.min(count, this.length);
    this.length -= n;
    this.head = this.length === 0 ? 0 : (this.head + n) % this.times.length;
  }
}
