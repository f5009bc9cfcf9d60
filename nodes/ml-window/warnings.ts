/**
 * What `ml-window` warns about: late samples, skipped empty windows, incomplete aligned rows and
 * forgotten keys, each saying what happened and which setting to change.
 */
import type { Node } from 'node-red';
import { describeNames } from '../../lib/errors';
import {
  formatTime,
  preview,
  quoteText,
  WINDOW_LIMITS,
  type DroppedKeys,
  type IncompleteWindow,
  type LateSample,
  type ResolvedWindowOptions,
  type SkippedWindows,
  type WindowKey,
} from '../../lib/window';

/** Warnings about forgotten keys go out at most this often, each summing up what happened since. */
const DROP_WARNING_MS = 10_000;

function keyText(key: WindowKey): string {
  return key === null ? '' : ` of key ${quoteText(String(key))}`;
}

export class WindowWarnings {
  /** Keys forgotten since the last warning about them, per reason. */
  private readonly pendingDrops = new Map<DroppedKeys['reason'], DroppedKeys>();
  private dropWarnedAt = -Infinity;
  private dropTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly node: Node,
    private readonly options: ResolvedWindowOptions,
  ) {}

  /** The node closes: no warning timer may fire after it. */
  close(): void {
    this.stopped = true;
    if (this.dropTimer !== undefined) clearTimeout(this.dropTimer);
    this.dropTimer = undefined;
  }

  /** A sample that came after its windows closed: `value` is what it carried. */
  late(late: LateSample, value: unknown): void {
    const o = this.options;
    const what =
      (late.name !== undefined
        ? `reading of "${late.name}"`
        : late.count === 1
          ? 'sample'
          : `batch of ${late.count}`) + keyText(late.key);
    const closed = `windows up to ${formatTime(late.closedUpTo)} had closed (lateness ${o.lateness} ms)`;
    this.node.warn(
      late.added
        ? `late ${what} at ${formatTime(late.time)} ${preview(value)}: added to its open windows, but missed ` +
            `earlier ones that had already been sent; ${closed}`
        : `late ${what} at ${formatTime(late.time)} ${preview(value)} dropped: ${closed}. Raise "Lateness" to keep it.`,
    );
  }

  /** A run of empty windows too long to send one by one. */
  skipped(s: SkippedWindows): void {
    const where = s.gaps === 1 ? keyText(s.key) : ` in ${s.gaps} gaps (e.g.${keyText(s.key)})`;
    this.node.warn(
      `skipped ${s.windows} empty windows from ${formatTime(s.from)} to ${formatTime(s.to)}${where}: a gap of ` +
        `more than ${WINDOW_LIMITS.emptyWindows} empty windows (a long silence or a clock jump) is not sent window by window`,
    );
  }

  /**
   * Forgotten keys are told in one warning per burst: the first at once, later ones summed up at
   * most every few seconds (one warning per key would flood every open editor).
   */
  dropped(dropped: DroppedKeys[]): void {
    for (const d of dropped) {
      const pending = this.pendingDrops.get(d.reason);
      if (pending) {
        pending.keys += d.keys;
        pending.samples += d.samples;
      } else this.pendingDrops.set(d.reason, { ...d });
    }
    const wait = this.dropWarnedAt + DROP_WARNING_MS - Date.now();
    if (wait <= 0) this.warnDropped();
    else this.dropTimer ??= setTimeout(() => this.warnDropped(), wait);
  }

  private warnDropped(): void {
    this.dropTimer = undefined;
    if (this.stopped) return;
    try {
      const o = this.options;
      for (const d of this.pendingDrops.values()) {
        const keys =
          d.keys === 1
            ? `key ${quoteText(String(d.key))}`
            : `${d.keys} keys (e.g. ${quoteText(String(d.key))})`;
        const lost =
          d.samples > 0
            ? `, dropping ${d.samples} sample${d.samples === 1 ? '' : 's'} of ${d.keys === 1 ? 'its' : 'their'} open window${d.keys === 1 ? '' : 's'}`
            : '';
        this.node.warn(
          d.reason === 'maxKeys'
            ? `forgot ${keys}, the least recently used, to make room for new keys: maxKeys (${o.maxKeys}) reached${lost}. Raise "Max keys" if more keys are expected.`
            : `forgot ${keys}, idle for ${o.idleTimeout} ms${lost}.`,
        );
      }
    } catch (err) {
      this.node.error(`window warning: ${(err as Error).message}`);
    }
    this.pendingDrops.clear();
    this.dropWarnedAt = Date.now();
  }

  /** An aligned window not sent: some feature has had no reading yet. */
  incomplete(w: IncompleteWindow): void {
    this.node.warn(
      `window ${formatTime(w.start)} – ${formatTime(w.end)}${keyText(w.key)} not sent: no reading yet of ` +
        `${describeNames(w.missing)} (had ${preview(w.value)}). Rows start once every feature has had a reading.`,
    );
  }
}
