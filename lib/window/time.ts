/**
 * Time windows: `[k·step, k·step + size)` aligned to the epoch, as Kafka Streams' TimeWindows; a
 * sample belongs to every window covering it. `start`/`end` are the window's bounds. Samples are
 * stored once, in panes gcd(size, step) ms wide, and a window is built from its panes when it
 * closes.
 */
import { Rows } from './buffers';
import { WINDOW_LIMITS } from './options';
import type { EmittedWindow, Group, SampleRows, Pane, Timeliness, WindowSink, Windowing } from './types';

export class TimeWindows implements Windowing {
  readonly closesByTime = true;
  readonly lifetime: number;
  /** Width of the panes: gcd(size, step). */
  private readonly pane: number;

  /**
   * @param size window length in ms.
   * @param step ms between window starts.
   * @param lateness event time: ms a window stays open after its end.
   * @param emitEmpty also emit windows without a sample (once the key had one).
   */
  constructor(
    private readonly size: number,
    private readonly step: number,
    lateness: number,
    private readonly emitEmpty: boolean,
  ) {
    this.pane = gcd(size, step);
    this.lifetime = size + lateness;
  }

  init(group: Group, time: number, closed: number): void {
    group.emitFrom = Math.max(this.firstStart(time), this.firstStartAfter(closed));
  }

  timeliness(_group: Group | undefined, time: number, closed: number): Timeliness {
    if (this.lastStart(time) + this.size <= closed) return 'late';
    return this.firstStart(time) + this.size <= closed ? 'partly late' : 'on time';
  }

  heldAfter(group: Group | undefined, count: number): number {
    return (group?.held ?? 0) + count;
  }

  releasedBy(group: Group, watermark: number): number {
    let freed = 0;
    for (const pane of group.panes) {
      if (this.lastStart(pane.start) + this.size > watermark) break;
      freed += pane.rows.length;
    }
    return freed;
  }

  deadline(group: Group, closed: number): number {
    const lowest = this.firstStartAfter(closed);
    if (this.emitEmpty) return Math.max(group.emitFrom, lowest) + this.size;
    if (group.panes.length > 0) return Math.max(this.firstStart(group.panes[0].start), lowest) + this.size;
    return Infinity;
  }

  closeTimeOf(window: EmittedWindow): number {
    return window.end;
  }

  /** Start of the last (latest) window containing `t`. */
  private lastStart(t: number): number {
    return Math.floor(t / this.step) * this.step;
  }

  /** Start of the first (earliest) window containing `t`. */
  private firstStart(t: number): number {
    const { size, step } = this;
    return Math.floor((t - size) / step) * step + step;
  }

  /** Start of the first window ending after `t`. */
  private firstStartAfter(t: number): number {
    return t === -Infinity ? -Infinity : this.firstStart(t);
  }

  insert(group: Group, time: number, rows: SampleRows, tag: number, closed: number): number {
    const start = Math.floor(time / this.pane) * this.pane;
    const panes = group.panes;
    const lastPane = panes.length > 0 ? panes[panes.length - 1] : undefined;
    let pane: Pane;
    if (lastPane && lastPane.start === start) {
      pane = lastPane;
    } else if (!lastPane || start > lastPane.start) {
      pane = { start, rows: new Rows(group.layout ? group.layout.schema.dimension : 1, !group.layout) };
      panes.push(pane);
      this.countNewPane(group, start, closed);
    } else {
      const i = lowerBound(panes, start);
      if (panes[i].start === start) {
        pane = panes[i];
      } else {
        pane = { start, rows: new Rows(group.layout ? group.layout.schema.dimension : 1, !group.layout) };
        panes.splice(i, 0, pane);
        group.open = -1;
      }
    }
    for (let i = 0; i < rows.length; i++) pane.rows.push(time, rows[i], tag);
    group.held += rows.length;
    return Math.max(this.firstStart(time), this.firstStartAfter(closed)) + this.size;
  }

  /** Keeps the open-window count current when a pane is appended after all others. */
  private countNewPane(group: Group, start: number, closed: number): void {
    if (group.open < 0 || this.emitEmpty) {
      group.open = -1;
      return;
    }
    const step = this.step;
    const panes = group.panes;
    const previous = panes.length > 1 ? this.lastStart(panes[panes.length - 2].start) : -Infinity;
    const from = Math.max(this.firstStart(start), previous + step, this.firstStartAfter(closed));
    const to = this.lastStart(start);
    if (to >= from) group.open += Math.round((to - from) / step) + 1;
  }

  /** Windows the group has open (cached while no pane lands out of order). */
  open(group: Group, closed: number): number {
    if (group.open >= 0 && !this.emitEmpty) return group.open;
    let open = 0;
    let covered = -Infinity;
    const lowest = this.emitEmpty ? group.emitFrom : this.firstStartAfter(closed);
    for (const pane of group.panes) {
      const from = Math.max(this.firstStart(pane.start), covered + this.step, lowest);
      const to = this.lastStart(pane.start);
      if (to >= from) {
        open += Math.round((to - from) / this.step) + 1;
        covered = to;
      }
    }
    if (this.emitEmpty) {
      // Every window from the first not yet emitted up to the last one with samples is open.
      const last = Math.max(covered, group.emitFrom);
      open = Math.round((last - group.emitFrom) / this.step) + 1;
    } else {
      group.open = open;
    }
    return open;
  }

  /** Emits a group's time windows ending in (previous, watermark], then frees panes no window needs. */
  close(group: Group, previous: number, watermark: number, sink: WindowSink, limit = Infinity): number {
    const { size, step, emitEmpty } = this;
    const panes = group.panes;
    // The last window closing: the largest start with start + size ≤ watermark.
    const last = Math.floor((watermark - size) / step) * step;
    let from = this.firstStartAfter(previous);
    if (emitEmpty) from = Math.max(from, group.emitFrom);
    const next = this.emitRange(group, from, last, sink, limit);
    if (emitEmpty) group.emitFrom = next;
    // Stopped by the limit before the window starting at `next`: closed up to just before its
    // end (starts are multiples of the whole-ms step, so ends are whole ms).
    const reached = next <= last ? next + size - 1 : watermark;
    let dropped = 0;
    let freed = 0;
    while (dropped < panes.length && this.lastStart(panes[dropped].start) + size <= reached) {
      freed += panes[dropped].rows.length;
      dropped++;
    }
    if (dropped > 0) {
      panes.splice(0, dropped);
      group.held -= freed;
    }
    group.open = -1;
    return reached;
  }

  /**
   * Emits a group's time windows starting in [from, to], in order, and returns the start after the
   * last one handled. The loop moves from one window holding samples to the next: at most
   * size / step windows per pane, plus one step per gap. Empty windows go out only with
   * emitEmpty, and a gap of more than {@link WINDOW_LIMITS}.emptyWindows of them (a stream silent
   * for long, a clock jump) is skipped and reported, never enumerated.
   */
  private emitRange(group: Group, from: number, to: number, sink: WindowSink, limit = Infinity): number {
    const { size, step, emitEmpty } = this;
    const panes = group.panes;
    let i = 0;
    let start = from;
    let sent = 0;
    while (start <= to && sent < limit) {
      while (i < panes.length && panes[i].start < start) i++;
      const next = i < panes.length ? panes[i].start : Infinity;
      if (next < start + size) {
        this.emitWindow(group, start, sink);
        sent++;
        // Times are checked to lie within ±8.64e15 ms, where a step always moves (below 2^53);
        // should a time ever escape that check, stop rather than loop forever.
        if (!(start + step > start)) break;
        start += step;
        continue;
      }
      // Windows from `start` up to the first one holding the next pane are empty. That one
      // starts after `start` (next ≥ start + size), so the loop always moves on.
      const resume = Math.min(next === Infinity ? Infinity : this.firstStart(next), to + step);
      if (emitEmpty) {
        const empty = Math.round((resume - start) / step);
        if (empty > WINDOW_LIMITS.emptyWindows) {
          sink.skipped(group.key, start, resume, empty);
          sent++;
        } else if (sent + empty > limit) {
          // The limit falls within the run: send its first windows, resume after them.
          const part = limit - sent;
          for (let k = 0; k < part; k++) this.emitWindow(group, start + k * step, sink);
          return start + part * step;
        } else {
          for (let k = 0; k < empty; k++) this.emitWindow(group, start + k * step, sink);
          sent += empty;
        }
      }
      if (!(resume > start)) break;
      start = resume;
    }
    return start;
  }

  private emitWindow(group: Group, start: number, sink: WindowSink): void {
    const end = start + this.size;
    const panes = group.panes;
    let total = 0;
    const first = lowerBound(panes, start);
    let stop = first;
    for (; stop < panes.length && panes[stop].start < end; stop++) total += panes[stop].rows.length;
    const rows = new Rows(group.layout ? group.layout.schema.dimension : 1, !group.layout, total);
    for (let i = first; i < stop; i++) {
      panes[i].rows.sortByTime();
      rows.append(panes[i].rows);
    }
    if (rows.length > 0 || this.emitEmpty) sink.emit(group, rows, start, end);
  }

  flush(group: Group, closed: number, sink: WindowSink): void {
    const panes = group.panes;
    if (panes.length === 0) return;
    let from = this.firstStartAfter(closed);
    if (this.emitEmpty) from = Math.max(from, group.emitFrom);
    this.emitRange(group, from, this.lastStart(panes[panes.length - 1].start), sink);
  }
}

function lowerBound(panes: readonly Pane[], start: number): number {
  let lo = 0;
  let hi = panes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (panes[mid].start < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
