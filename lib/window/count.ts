/**
 * Count windows: a window emits when it holds `size` samples, then every `step` samples the
 * latest `size` (the core batch node with overlap `size − step`). Its `start`/`end` are the
 * smallest and largest time of its samples (first and last arrival with arrival time). They
 * close when full, never by the clock.
 */
import { Ring, Rows } from './buffers';
import type { EmittedWindow, Group, SampleRows, Timeliness, WindowSink, Windowing } from './types';

export class CountWindows implements Windowing {
  readonly closesByTime = false;
  readonly lifetime = 0;
  /**
   * The copy a full window is emitted from: the sink shapes it before `insert` goes on, and keeps
   * nothing of it, so one buffer serves every window (of the last width seen).
   */
  private scratch: Rows | undefined;

  constructor(
    private readonly size: number,
    private readonly step: number,
  ) {}

  init(group: Group): void {
    const layout = group.layout;
    group.ring = new Ring(layout ? layout.schema.dimension : 1, layout === null, this.size);
  }

  timeliness(): Timeliness {
    return 'on time';
  }

  heldAfter(group: Group | undefined, count: number): number {
    const { size, step } = this;
    let total = (group?.held ?? 0) + count;
    // Every full window keeps only its overlap with the next.
    if (total >= size) total -= (Math.floor((total - size) / step) + 1) * step;
    return total;
  }

  insert(
    group: Group,
    time: number,
    rows: SampleRows,
    tag: number,
    _closed: number,
    sink: WindowSink,
  ): number {
    const ring = group.ring as Ring;
    const { size, step } = this;
    for (let i = 0; i < rows.length; i++) {
      ring.push(time, rows[i], tag);
      group.held++;
      if (ring.length === size) {
        const window = (this.scratch = ring.snapshot(this.scratch));
        // Keep only the overlap: the rows the next window shares.
        ring.drop(step);
        group.held -= step;
        sink.emit(group, window, window.minTime, window.maxTime);
      }
    }
    return Infinity;
  }

  close(_group: Group, _previous: number, watermark: number): number {
    // Count windows close when full.
    return watermark;
  }

  releasedBy(): number {
    return 0;
  }

  deadline(): number {
    return Infinity;
  }

  closeTimeOf(window: EmittedWindow): number {
    return window.end;
  }

  open(group: Group): number {
    return group.held > 0 ? 1 : 0;
  }

  /** Emits what the window holds, unless all of it was already sent (a sliding window's overlap). */
  flush(group: Group, _closed: number, sink: WindowSink): void {
    const ring = group.ring as Ring;
    if (ring.fresh === 0 || ring.length === 0) return;
    const window = ring.snapshot();
    sink.emit(group, window, window.minTime, window.maxTime);
  }
}
