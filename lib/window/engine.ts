/**
 * The windowing engine behind `ml-window`: keys, the clock, the bound on samples held, and the
 * output of each call. What differs between count, time and session windows is in the mode it
 * dispatches to ({@link Windowing}: ./count, ./time, ./session); aligning topics into rows is in
 * ./align.
 *
 * The engine has no clock and no timers. Every call is given the time (ms): the node passes
 * `Date.now()` (arrival time) or the sample's parsed event time, and arms one timer at
 * {@link WindowEngine.nextDeadline} that calls {@link WindowEngine.advance}. Tests drive it with
 * explicit times.
 *
 * Arrival time closes a window when the clock reaches its end (`end`, or last sample + `gap`).
 * Event time closes it when the stream time (largest event time seen) reaches that point plus
 * `lateness`; a sample whose windows are all closed is reported as late, never dropped silently.
 */
import { WindowOverflowError } from '../errors';
import { Alignment, checkReading, readingName } from './align';
import type { Rows } from './buffers';
import { CountWindows } from './count';
import { checkSampleTime, MAX_TIME_MS } from './event-time';
import {
  isResolvedWindowOptions,
  WINDOW_LIMITS,
  resolveWindowOptions,
  type ResolvedWindowOptions,
  type WindowOptions,
} from './options';
import { KeyRecency } from './keys';
import { checkKey, WindowReader } from './reader';
import { SessionWindows } from './session';
import { shapeWindow } from './shape';
import { TimeWindows } from './time';
import type {
  DroppedKeys,
  EmittedWindow,
  Group,
  IncompleteWindow,
  LateSample,
  Layout,
  SampleAt,
  WindowKey,
  WindowOutput,
  WindowSink,
  Windowing,
} from './types';

/** Returned when a call produced nothing, so the common path allocates no result. */
const NOTHING: WindowOutput = Object.freeze({
  windows: Object.freeze([]) as unknown as EmittedWindow[],
  late: Object.freeze([]) as unknown as LateSample[],
  incomplete: Object.freeze([]) as unknown as IncompleteWindow[],
});

/** The mode object that cuts windows as the settings say. */
function windowingFor(o: ResolvedWindowOptions): Windowing {
  if (o.mode === 'count') return new CountWindows(o.size, o.step);
  if (o.mode === 'time') return new TimeWindows(o.size, o.step, o.lateness, o.emitEmpty);
  return new SessionWindows(o.gap, o.lateness);
}

/**
 * A pure, clock-free windowing engine; see the module comment for the semantics.
 *
 * Every mutating call either completes or throws before changing anything, so a bad sample or
 * an overflow leaves the windows exactly as they were.
 */
export class WindowEngine {
  readonly options: ResolvedWindowOptions;
  private readonly mode: Windowing;
  private readonly reader: WindowReader;
  private readonly groups = new Map<WindowKey, Group>();
  /** align only: each key's features and their last readings. */
  private readonly alignment: Alignment;
  /** Keys (groupBy key or align) with the stream time of their last sample; `null` without keys. */
  private readonly recency: KeyRecency | null;
  private readonly sink: WindowSink;
  private held = 0;
  /** Arrival: the latest time seen (a clock never runs back). Event: the stream time. */
  private clock = -Infinity;
  /** Windows that close at or before this time have been closed. */
  private closed = -Infinity;
  /** No window closes before this time (it may be early: a pass then just finds nothing). */
  private hint = Infinity;
  /**
   * Groups still to close up to `closed` when more windows closed at once than one call may
   * send ({@link WINDOW_LIMITS}.windowsPerCall): the rest go out in later calls ({@link resume}).
   * While it is not empty, `hint` covers only the groups already closed.
   */
  private queue: Group[] = [];
  private queued = 0;
  /**
   * Every group has closed at least up to this time (`closed` itself unless catching up): a
   * group's own `closedTo` may lag behind it, since a call that closes nothing touches no group.
   */
  private closedAll = -Infinity;
  /** Windows emitted and gaps skipped in the current call, against the per-call bound. */
  private work = 0;
  /** What the current call produced; windows owed by a call that then threw go out with the next. */
  private output: WindowOutput | null = null;

  /**
   * @param options settings, or what {@link resolveWindowOptions} returned for them (used as
   *   they are, so a node that checked its settings does not check them again).
   * @throws RangeError on invalid settings.
   */
  constructor(options: WindowOptions | ResolvedWindowOptions) {
    const o = isResolvedWindowOptions(options) ? options : resolveWindowOptions(options);
    this.options = o;
    this.mode = windowingFor(o);
    this.reader = new WindowReader(o);
    this.alignment = new Alignment(o.features, o.maxFeatures);
    // A key is never forgotten before its windows close.
    const idleAfter = o.idleTimeout === 0 ? Infinity : Math.max(o.idleTimeout, this.mode.lifetime);
    this.recency = o.groupBy === 'none' ? null : new KeyRecency(idleAfter);
    this.sink = {
      emit: (group, rows, start, end) => this.emit(group, rows, start, end),
      skipped: (key, from, to, windows) => this.noteSkipped(key, from, to, windows),
    };
  }

  /** Keys with state (groupBy key or align): open windows, or aligned features' last readings. */
  get keys(): number {
    return this.recency?.size ?? 0;
  }

  /** Samples held across all windows and keys (for a status such as `3 open, 120 buf`). */
  get bufferedSamples(): number {
    return this.held;
  }

  /** Windows currently open across all keys (count: one per key with samples). */
  get openWindows(): number {
    let open = 0;
    for (const group of this.groups.values()) open += this.mode.open(group, this.closed);
    return open;
  }

  /**
   * Whether windows that have closed are still to be sent: more closed at once (a clock jump, a
   * long silence with many keys) than one call sends. {@link resume} sends the next share; the
   * other calls also move it on, and a key's own windows always go out before its new samples.
   */
  get catchingUp(): boolean {
    return this.queued < this.queue.length;
  }

  /**
   * Sends the next share (at most about {@link WINDOW_LIMITS}.windowsPerCall windows) of the
   * windows that have closed but were not sent yet; nothing when not {@link catchingUp}.
   */
  resume(): WindowOutput {
    this.work = 0;
    if (this.catchingUp) this.closeSome(WINDOW_LIMITS.windowsPerCall);
    return this.finish();
  }

  /** The largest event time seen (event time) or the latest clock reading (arrival); −∞ at first. */
  get streamTime(): number {
    return this.clock;
  }

  /**
   * Checks a sample as it would be read with no window open (before a reset drops them): its
   * value, its time's range and horizon against the caller's clock.
   * @param keepsStreamTime the reset is of one key, so the stream time stays (and bounds the time).
   * @throws SampleError as {@link add} would.
   */
  checkSample(value: unknown, at: SampleAt, keepsStreamTime = false): void {
    const where = at.where ?? 'msg.payload';
    checkSampleTime(at, where, keepsStreamTime ? this.clock : -Infinity, this.options);
    if (this.options.groupBy === 'align') checkReading(value, where, '');
    else this.reader.check(value, where);
  }

  /**
   * When the node's timer should call {@link advance}: the earliest time a window may close, or
   * `null` when none will close by the clock (count windows, event time, nothing open).
   * It is never late, but may be early; an early `advance` simply returns nothing.
   */
  nextDeadline(): number | null {
    if (!this.mode.closesByTime || this.options.time === 'event') return null;
    if (this.catchingUp) return this.closed;
    if (this.hint <= this.closed) this.hint = this.computeHint();
    return this.hint === Infinity ? null : this.hint;
  }

  /**
   * Adds one message's sample (or batch) and returns the windows it closed or completed.
   * @param value the message value: a number, array, object or batch (a finite number in align).
   * @param at its time, and key or feature name.
   * @throws SampleError on a bad sample or one whose schema differs from its window's.
   * @throws WindowOverflowError when it would hold more than `maxSamples`.
   * Either way nothing changed.
   */
  add(value: unknown, at: SampleAt): WindowOutput {
    this.work = 0;
    try {
      return this.addSample(value, at);
    } finally {
      // Never keep a reference to the caller's array beyond the call.
      this.reader.release();
    }
  }

  private addSample(value: unknown, at: SampleAt): WindowOutput {
    const o = this.options;
    const where = at.where ?? 'msg.payload';
    checkSampleTime(at, where, this.clock, o);
    const key = o.groupBy === 'none' ? null : checkKey(at.key, where);
    const time = o.time === 'arrival' ? Math.max(at.time, this.clock) : at.time;
    const group = this.groups.get(key);

    // Validate everything before changing anything.
    let rows: ArrayLike<ArrayLike<number>>;
    let layout: Layout | null = null;
    let name = '';
    if (o.groupBy === 'align') {
      name = readingName(at.name, where);
      this.alignment.check(key, name, where);
      checkReading(value, where, name);
      rows = this.reader.reading(value as number);
    } else {
      ({ rows, layout } = this.reader.read(value, group?.layout ?? null, key, where));
    }
    const count = rows.length;
    const timeliness = this.mode.timeliness(group, time, this.closed);
    if (timeliness === 'late') {
      this.collect().late.push(this.lateReport(time, key, at.name, count, false));
      return this.finish();
    }
    const clock = Math.max(this.clock, time);
    const watermark = o.time === 'event' ? clock - o.lateness : clock;
    // Samples of windows still to be sent are not freed by this call: send them all first when
    // the bound depends on it (what they emit goes out with this call's output, or the next).
    if (
      this.catchingUp &&
      this.held - (group?.held ?? 0) + this.mode.heldAfter(group, count) > o.maxSamples
    ) {
      this.closeSome(Infinity);
    }
    const current = this.groups.get(key);
    this.checkCapacity(current, count, watermark, key, clock);

    // Commit.
    this.clock = clock;
    if (this.mode.closesByTime) {
      this.closeTo(watermark);
      // The sample's own key closes first, so its windows are cut as if all had closed at once.
      const own = this.catchingUp ? this.groups.get(key) : undefined;
      if (own) this.closeGroup(own);
    }
    this.expire(clock);
    if (this.recency && !this.recency.has(key)) {
      this.recency.makeRoom(o.maxKeys, (oldest) => this.forget(oldest, 'maxKeys'));
    }
    // Aligned readings are tagged with their feature; the key's features may have been
    // forgotten just now, and start afresh.
    const tag = o.groupBy === 'align' ? this.alignment.commit(key, name) : -1;
    const target = this.groups.get(key) ?? this.createGroup(key, layout, time);
    const before = target.held;
    const closesAt = this.mode.insert(target, time, rows, tag, this.closed, this.sink);
    this.held += target.held - before;
    if (closesAt < this.hint) this.hint = closesAt;
    if (target.held === 0) this.groups.delete(key);
    if (timeliness === 'partly late')
      this.collect().late.push(this.lateReport(time, key, at.name, count, true));
    this.recency?.touch(key, clock);
    return this.finish();
  }

  /**
   * Moves the clock to `now` and closes every window that ends by then (arrival time). With
   * event time only samples move time, so this returns nothing.
   */
  advance(now: number): WindowOutput {
    if (!this.mode.closesByTime || this.options.time === 'event' || !Number.isFinite(now)) return NOTHING;
    if (Math.abs(now) > MAX_TIME_MS) return NOTHING;
    this.work = 0;
    this.clock = Math.max(this.clock, now);
    this.closeTo(this.clock);
    this.expire(this.clock);
    return this.finish();
  }

  /**
   * Emits every open window now, whether or not it has ended, and starts afresh (windows only:
   * the stream time and aligned features' last values are kept). A count window emits what it
   * holds, unless everything in it was already emitted (a sliding window's overlap).
   * @param now with arrival time, first closes what has ended by `now`.
   */
  flush(now?: number): WindowOutput {
    this.work = 0;
    if (now !== undefined && this.options.time === 'arrival' && Math.abs(now) <= MAX_TIME_MS) {
      this.clock = Math.max(this.clock, now);
      if (this.mode.closesByTime) this.closeTo(this.clock);
    }
    // A flush sends everything, so what has closed goes first, in full.
    this.closeSome(Infinity);
    const closing: Group[] = [...this.groups.values()];
    this.groups.clear();
    for (const group of closing) this.mode.flush(group, this.closed, this.sink);
    this.held = 0;
    this.hint = Infinity;
    return this.finish();
  }

  /**
   * Drops open windows without emitting them.
   * @param key drop only this key's windows (and aligned features); omit to drop everything and
   *   also forget the stream time.
   */
  reset(key?: WindowKey): void {
    if (key === undefined) {
      this.groups.clear();
      this.queue = [];
      this.queued = 0;
      this.closedAll = -Infinity;
      this.output = null;
      this.alignment.reset();
      this.recency?.clear();
      this.held = 0;
      this.clock = -Infinity;
      this.closed = -Infinity;
      this.hint = Infinity;
      return;
    }
    const k = this.options.groupBy === 'none' ? null : key;
    const group = this.groups.get(k);
    if (group) {
      this.held -= group.held;
      this.groups.delete(k);
    }
    this.alignment.reset(k);
    this.recency?.delete(k);
  }

  // ---- keys: least recently used, idle expiry (./keys) ----------------------------------------

  /** Whether a key has time or session windows still open, which are never dropped. */
  private readonly busy = (key: WindowKey): boolean => {
    const group = this.groups.get(key);
    return group !== undefined && group.held > 0 && this.mode.closesByTime;
  };

  /** Forgets keys without a sample for `idleTimeout` (and whose time/session windows have closed). */
  private expire(clock: number): void {
    this.recency?.expire(clock, this.busy, (key) => this.forget(key, 'idle'));
  }

  private forget(key: WindowKey, reason: DroppedKeys['reason']): void {
    let group = this.groups.get(key);
    // Windows that have closed are sent, not dropped with the key.
    if (group && this.catchingUp) {
      this.closeGroup(group);
      group = this.groups.get(key);
    }
    const samples = group ? group.held : 0;
    if (group) {
      this.held -= samples;
      this.groups.delete(key);
    }
    this.alignment.reset(key);
    this.recency?.delete(key);
    const output = this.collect();
    output.dropped ??= [];
    const entry = output.dropped.find((d) => d.reason === reason);
    if (entry) {
      entry.keys++;
      entry.samples += samples;
    } else output.dropped.push({ reason, keys: 1, samples, key });
  }

  private createGroup(key: WindowKey, layout: Layout | null, time: number): Group {
    const group: Group = {
      key,
      layout,
      held: 0,
      ring: null,
      panes: [],
      sessions: [],
      emitFrom: 0,
      open: 0,
      closedTo: this.closed,
    };
    this.mode.init(group, time, this.closed);
    this.groups.set(key, group);
    return group;
  }

  // ---- bounds and lateness --------------------------------------------------------------------

  private checkCapacity(
    group: Group | undefined,
    count: number,
    watermark: number,
    key: WindowKey,
    clock: number,
  ): void {
    const max = this.options.maxSamples;
    let after = this.held - (group?.held ?? 0) + this.mode.heldAfter(group, count);
    if (after > max && this.mode.closesByTime) after -= this.heldClosingBy(watermark);
    if (after > max && this.recency) {
      after -= this.recency.idleHeld(clock, key, this.busy, (k) => this.groups.get(k)?.held ?? 0);
    }
    if (after <= max) return;
    throw new WindowOverflowError(
      `Window buffer full: adding ${count} sample${count === 1 ? '' : 's'} would hold ${after}, more than ` +
        `maxSamples (${max}) across ${this.openWindows} open window(s) of ${this.groups.size} key(s). ` +
        'Nothing was added. Raise maxSamples, use shorter windows, or send msg.flush.',
    );
  }

  /** Samples that closing windows up to `watermark` would release. */
  private heldClosingBy(watermark: number): number {
    if (!(watermark > this.closed)) return 0;
    let freed = 0;
    for (const group of this.groups.values()) freed += this.mode.releasedBy(group, watermark);
    return freed;
  }

  private lateReport(
    time: number,
    key: WindowKey,
    name: string | undefined,
    count: number,
    added: boolean,
  ): LateSample {
    const report: LateSample = { time, key, count, closedUpTo: this.closed, added };
    if (this.options.groupBy === 'align' && name !== undefined) report.name = name;
    return report;
  }

  // ---- closing --------------------------------------------------------------------------------

  /**
   * Moves the closing time to `watermark` and closes the groups' windows up to it, key by key,
   * until this call has sent {@link WINDOW_LIMITS}.windowsPerCall windows; the keys left wait in
   * `queue` for the next calls. Iterative, with no recursion and no spread of the output, so that
   * any number of closing windows is safe.
   */
  private closeTo(watermark: number): void {
    // Nothing closes before the hint (of the groups already closed, while catching up; the
    // others are still queued and close up to the new time when their turn comes).
    if (watermark > this.closed) {
      if (!this.catchingUp) this.closedAll = this.closed;
      this.closed = watermark;
      if (watermark >= this.hint) {
        const rest = this.catchingUp ? this.queue.slice(this.queued) : [];
        for (const group of this.groups.values()) rest.push(group);
        this.queue = rest;
        this.queued = 0;
        this.hint = Infinity;
      } else if (!this.catchingUp) {
        this.closedAll = watermark;
      }
    }
    if (this.catchingUp) this.closeSome(WINDOW_LIMITS.windowsPerCall);
  }

  /** Closes queued groups until `budget` windows went out in this call. */
  private closeSome(budget: number): void {
    const before = this.output?.windows.length ?? 0;
    let keys = 0;
    while (this.queued < this.queue.length && this.work < budget) {
      const work = this.work;
      // A group the budget stops halfway stays first in the queue.
      if (this.closeGroup(this.queue[this.queued], budget - this.work)) this.queued++;
      if (this.work > work) keys++;
    }
    if (this.queued >= this.queue.length) {
      this.queue = [];
      this.queued = 0;
      this.closedAll = this.closed;
    }
    const windows = this.output?.windows;
    if (keys > 1 && windows) {
      // Across keys, windows go out in the order they closed, as one stream would produce them.
      const closedNow = windows
        .splice(before)
        .sort((a, b) => this.mode.closeTimeOf(a) - this.mode.closeTimeOf(b));
      for (const w of closedNow) windows.push(w);
    }
  }

  /**
   * Closes one group's windows up to `closed`, at most `limit` of them.
   * @returns whether it is done (false: the limit stopped it, the rest closes in a later call).
   */
  private closeGroup(group: Group, limit = Infinity): boolean {
    const from = Math.max(group.closedTo, this.closedAll);
    if (from >= this.closed || this.groups.get(group.key) !== group) return true;
    const held = group.held;
    const reached = this.mode.close(group, from, this.closed, this.sink, limit);
    group.closedTo = reached;
    this.held += group.held - held;
    if (reached < this.closed) return false;
    if (group.held === 0 && !this.options.emitEmpty) this.groups.delete(group.key);
    else {
      const at = this.mode.deadline(group, this.closed);
      if (at < this.hint) this.hint = at;
    }
    return true;
  }

  private computeHint(): number {
    let hint = Infinity;
    for (const group of this.groups.values()) {
      const at = this.mode.deadline(group, this.closed);
      if (at < hint) hint = at;
    }
    return hint;
  }

  // ---- emitting -------------------------------------------------------------------------------

  private collect(): WindowOutput {
    if (!this.output) this.output = { windows: [], late: [], incomplete: [] };
    return this.output;
  }

  private finish(): WindowOutput {
    const output = this.output ?? NOTHING;
    this.output = null;
    this.work = 0;
    return output;
  }

  private noteSkipped(key: WindowKey, from: number, to: number, windows: number): void {
    this.work++;
    const output = this.collect();
    const skipped = output.skipped;
    if (!skipped) {
      output.skipped = { windows, gaps: 1, from, to, key };
      return;
    }
    skipped.windows += windows;
    skipped.gaps++;
    skipped.from = Math.min(skipped.from, from);
    skipped.to = Math.max(skipped.to, to);
  }

  private emit(group: Group, rows: Rows, start: number, end: number): void {
    this.work++;
    if (group.layout) {
      this.collect().windows.push({
        start,
        end,
        count: rows.length,
        key: group.key,
        value: shapeWindow(group.layout, rows, this.options),
      });
    } else {
      this.alignment.emit(group.key, rows, start, end, this.collect(), this.options);
    }
  }
}
