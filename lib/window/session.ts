/**
 * Session windows: a session closes once no sample came for `gap`; a sample within `gap` of two
 * sessions (out-of-order event time) merges them. `start`/`end` are the times of its first and
 * last samples (as Kafka Streams' SessionWindows).
 */
import { Rows } from './buffers';
import type { EmittedWindow, Group, SampleRows, Session, Timeliness, WindowSink, Windowing } from './types';

export class SessionWindows implements Windowing {
  readonly closesByTime = true;
  readonly lifetime: number;

  /** @param lateness event time: ms a session stays open after `last + gap`. */
  constructor(
    private readonly gap: number,
    lateness: number,
  ) {
    this.lifetime = gap + lateness;
  }

  init(): void {
    // A group's sessions start empty.
  }

  /** Indices [from, to] of the sessions a sample at `time` joins (to < from when none). */
  private range(group: Group, time: number): [number, number] {
    const gap = this.gap;
    const sessions = group.sessions;
    let to = sessions.length - 1;
    while (to >= 0 && sessions[to].first - gap >= time) to--;
    let from = to;
    while (from >= 0 && sessions[from].last + gap > time) from--;
    from++;
    return from <= to ? [from, to] : [0, -1];
  }

  timeliness(group: Group | undefined, time: number, closed: number): Timeliness {
    if (time + this.gap > closed) return 'on time';
    // A sample that joins an open session is on time, however old. A session that has closed
    // but is not sent yet (the engine catching up) no longer counts as open.
    if (group === undefined) return 'late';
    const to = this.range(group, time)[1];
    return to >= 0 && group.sessions[to].last + this.gap > closed ? 'on time' : 'late';
  }

  heldAfter(group: Group | undefined, count: number): number {
    return (group?.held ?? 0) + count;
  }

  insert(group: Group, time: number, rows: SampleRows, tag: number): number {
    const sessions = group.sessions;
    const [from, to] = this.range(group, time);
    let session: Session;
    if (to < from) {
      session = {
        first: time,
        last: time,
        rows: new Rows(group.layout ? group.layout.schema.dimension : 1, !group.layout),
      };
      const at = sessions.findIndex((s) => s.first > time);
      sessions.splice(at < 0 ? sessions.length : at, 0, session);
    } else {
      session = sessions[from];
      // A sample bridging sessions (out-of-order event time) merges them, oldest first.
      for (let i = from + 1; i <= to; i++) {
        session.rows.append(sessions[i].rows);
        session.last = Math.max(session.last, sessions[i].last);
      }
      if (to > from) sessions.splice(from + 1, to - from);
      session.first = Math.min(session.first, time);
      session.last = Math.max(session.last, time);
    }
    for (let i = 0; i < rows.length; i++) session.rows.push(time, rows[i], tag);
    group.held += rows.length;
    return session.last + this.gap;
  }

  close(group: Group, _previous: number, watermark: number, sink: WindowSink, limit = Infinity): number {
    const sessions = group.sessions;
    const gap = this.gap;
    let closing = 0;
    while (closing < sessions.length && sessions[closing].last + gap <= watermark && closing < limit) {
      const session = sessions[closing++];
      group.held -= session.rows.length;
      this.emit(group, session, sink);
    }
    // Sessions do not overlap, so they close in order: stopped by the limit, the group has
    // closed up to the last one sent.
    const stopped = closing < sessions.length && sessions[closing].last + gap <= watermark;
    const reached = stopped && closing > 0 ? sessions[closing - 1].last + gap : watermark;
    if (closing > 0) sessions.splice(0, closing);
    return reached;
  }

  private emit(group: Group, session: Session, sink: WindowSink): void {
    session.rows.sortByTime();
    sink.emit(group, session.rows, session.first, session.last);
  }

  releasedBy(group: Group, watermark: number): number {
    let freed = 0;
    for (const session of group.sessions) {
      if (session.last + this.gap > watermark) break;
      freed += session.rows.length;
    }
    return freed;
  }

  deadline(group: Group): number {
    return group.sessions.length > 0 ? group.sessions[0].last + this.gap : Infinity;
  }

  closeTimeOf(window: EmittedWindow): number {
    return window.end + this.gap;
  }

  open(group: Group): number {
    return group.sessions.length;
  }

  flush(group: Group, _closed: number, sink: WindowSink): void {
    for (const session of group.sessions) this.emit(group, session, sink);
  }
}
