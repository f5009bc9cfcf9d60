/**
 * The window engine's vocabulary: what callers pass in and get back, and the per-key state the
 * window modes share.
 */
import type { Ring, Rows } from './buffers';
import type { SampleShape, Schema } from '../samples';

/** How a stream is cut: every `size` samples, by clock intervals, or by gaps of inactivity. */
export type WindowMode = 'count' | 'time' | 'session';
/** Whose time places a sample: the engine's caller clock on arrival, or the sample's own time. */
export type TimeBasis = 'arrival' | 'event';
/** One stream; independent windows per key; or readings of named features aligned into rows. */
export type GroupBy = 'none' | 'key' | 'align';
/** What a window becomes: its samples as a batch, one flat vector, or per-feature aggregates. */
export type EmitKind = 'samples' | 'vector' | 'aggregate';
/** The value that selects a key's windows (`null` when not grouping by key). */
export type WindowKey = string | number | boolean | null;

/** Where and when a sample belongs. */
export interface SampleAt {
  /** Arrival time (the caller's clock) or event time, in ms since the epoch. */
  time: number;
  /** The key's value, for `groupBy: key` (and optionally `align`: one row per key). */
  key?: WindowKey;
  /** `align` only: the feature this reading is, e.g. the topic's last segment. */
  name?: string;
  /** How to name the value in errors. Default `msg.payload`. */
  where?: string;
  /** How to name the event time in errors. Default `the event time`. */
  timeWhere?: string;
  /**
   * Event time: the caller's clock (ms) when the sample arrived. A sample more than `horizon`
   * ahead of both it and the stream time is rejected, so one far-future time cannot make every
   * later sample late.
   */
  now?: number;
}

/** A closed window, ready to send. */
export interface EmittedWindow {
  /** time: the window's start; count/session: the smallest sample time. */
  start: number;
  /** time: the window's end (exclusive); count/session: the largest sample time. */
  end: number;
  /** Samples in the window (readings, for `align`). */
  count: number;
  key: WindowKey;
  /** The payload: a batch, a vector or aggregates (see {@link EmitKind}). */
  value: unknown;
  /** `align` only: features with no reading in this window, filled with their last known value. */
  filled?: string[];
}

/** A sample that arrived after its windows had closed (event time beyond `lateness`). */
export interface LateSample {
  time: number;
  key: WindowKey;
  name?: string;
  /** Rows the message carried. */
  count: number;
  /** Windows ending at or before this time had already closed. */
  closedUpTo: number;
  /**
   * `false`: it is in no window. `true` (hopping windows only): it was added to its windows that
   * were still open, but missed earlier ones that had already been emitted.
   */
  added: boolean;
}

/** An `align` window that could not become a row: some feature has never had a reading. */
export interface IncompleteWindow {
  start: number;
  end: number;
  count: number;
  key: WindowKey;
  /** Features with no reading in this window and none before. */
  missing: string[];
  /** The last reading of each feature that had one. */
  value: Record<string, number>;
}

/** Runs of empty windows (`emitEmpty`) longer than {@link WINDOW_LIMITS}.emptyWindows, not sent. */
export interface SkippedWindows {
  /** Empty windows skipped, over all gaps. */
  windows: number;
  /** Gaps skipped (one per key and gap). */
  gaps: number;
  /** Start of the first skipped window. */
  from: number;
  /** Start of the first window after the last gap. */
  to: number;
  /** The key of one of them. */
  key: WindowKey;
}

/** Keys forgotten in one call: their open windows were dropped, not sent. */
export interface DroppedKeys {
  /** `idle`: no sample for `idleTimeout`; `maxKeys`: the least recently used made room for a new key. */
  reason: 'idle' | 'maxKeys';
  keys: number;
  /** Samples their open (count) windows held. */
  samples: number;
  /** One of the keys. */
  key: WindowKey;
}

/** What one call produced, in order. */
export interface WindowOutput {
  windows: EmittedWindow[];
  late: LateSample[];
  incomplete: IncompleteWindow[];
  /** Present when empty windows were skipped. */
  skipped?: SkippedWindows;
  /** Present when keys were forgotten (at most one entry per reason). */
  dropped?: DroppedKeys[];
}

/** How a key's samples look: fixed by its first sample while it has samples buffered. */
export interface Layout {
  readonly shape: SampleShape;
  readonly schema: Schema;
  /** Names for aggregates and object rows: the features, or x0, x1, … */
  readonly names: readonly string[];
}

/** A slice of one key's time windows, gcd(size, step) ms wide, so that a sample is stored once. */
export interface Pane {
  readonly start: number;
  readonly rows: Rows;
}

/** One key's session: the times of its first and last samples, and its samples. */
export interface Session {
  first: number;
  last: number;
  rows: Rows;
}

/** One key's open windows (only the fields of its mode are used). */
export interface Group {
  readonly key: WindowKey;
  /** `null` in align, whose features are the key's aligner's (./align). */
  readonly layout: Layout | null;
  /** Logical samples held (what counts against `maxSamples`). */
  held: number;
  ring: Ring | null;
  panes: Pane[];
  sessions: Session[];
  /** time + emitEmpty: the first window start not yet emitted. */
  emitFrom: number;
  /** time: cached number of open windows, −1 when it must be recounted. */
  open: number;
  /** Time up to which this group's windows have closed (behind the engine's while it catches up). */
  closedTo: number;
}
/** A message's rows, each `dimension` numbers (one, a reading, in align). */
export type SampleRows = ArrayLike<ArrayLike<number>>;

/** Where a mode sends what it closes. */
export interface WindowSink {
  /**
   * A closed window of `group`. `rows` may be a buffer the mode reuses for its next window: read
   * them here, keep nothing of them.
   */
  emit(group: Group, rows: Rows, start: number, end: number): void;
  /** A run of `windows` empty windows of `key`, from `from` to `to`, was skipped, not sent. */
  skipped(key: WindowKey, from: number, to: number, windows: number): void;
}

/** Whether a sample still reaches its windows: all, only some (hopping windows), or none. */
export type Timeliness = 'on time' | 'partly late' | 'late';

/**
 * What differs between count, time and session windows. The engine keeps the keys, the clock,
 * the totals and the output; a mode keeps the windows of one key's {@link Group}. `closed` is
 * always the time up to which windows have closed.
 */
export interface Windowing {
  /** Whether windows close by time (time, session) rather than when full (count). */
  readonly closesByTime: boolean;
  /** ms after a sample during which its window may still be open: what idle expiry waits for. */
  readonly lifetime: number;
  /** Sets up a new group for its first sample, at `time`. */
  init(group: Group, time: number, closed: number): void;
  /** Whether a sample at `time` comes after all or some of its windows closed. */
  timeliness(group: Group | undefined, time: number, closed: number): Timeliness;
  /** Samples the group would hold after adding `count` (count windows emit as they fill). */
  heldAfter(group: Group | undefined, count: number): number;
  /**
   * Adds rows, all at `time`, and emits the windows they complete.
   * @returns the earliest time a window they joined may close (`Infinity`: not by time).
   */
  insert(group: Group, time: number, rows: SampleRows, tag: number, closed: number, sink: WindowSink): number;
  /**
   * Emits the windows closing in (previous, watermark], then frees what no open window needs.
   * @param limit most windows (and skipped runs) to emit: the rest close in a later call.
   * @returns the time up to which the group has closed: `watermark`, or less when `limit` stopped it.
   */
  close(group: Group, previous: number, watermark: number, sink: WindowSink, limit?: number): number;
  /** Samples that closing the group's windows up to `watermark` would free. */
  releasedBy(group: Group, watermark: number): number;
  /** The earliest time one of the group's windows may close (`Infinity`: none by time). */
  deadline(group: Group, closed: number): number;
  /** When an emitted window closed, to send the windows of several keys in closing order. */
  closeTimeOf(window: EmittedWindow): number;
  /** Windows the group has open. */
  open(group: Group, closed: number): number;
  /** Emits every open window of the group, ended or not. */
  flush(group: Group, closed: number, sink: WindowSink): void;
}
