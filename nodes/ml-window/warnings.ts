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
import { englishOf, type Translate } from '../shared/i18n';

/** Warnings about forgotten keys go out at most this often, each summing up what happened since. */
const DROP_WARNING_MS = 10_000;

export class WindowWarnings {
  /** Keys forgotten since the last warning about them, per reason. */
  private readonly pendingDrops = new Map<DroppedKeys['reason'], DroppedKeys>();
  private dropWarnedAt = -Infinity;
  private dropTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly node: Node,
    private readonly options: ResolvedWindowOptions,
    private readonly t: Translate = englishOf('ml-window'),
  ) {}

  /** ` of key "m1"`, to follow what a warning is about; nothing without a key. */
  private keyText(key: WindowKey): string {
    return key === null ? '' : this.t('runtime.warnings.ofKey', { key: quoteText(String(key)) });
  }

  /** The node closes: no warning timer may fire after it. */
  close(): void {
    this.stopped = true;
    if (this.dropTimer !== undefined) clearTimeout(this.dropTimer);
    this.dropTimer = undefined;
  }

  /** A sample that came after its windows closed: `value` is what it carried. */
  late(late: LateSample, value: unknown): void {
    const t = this.t;
    const what =
      (late.name !== undefined
        ? t('runtime.warnings.lateReading', { name: late.name })
        : late.count === 1
          ? t('runtime.warnings.lateSample')
          : t('runtime.warnings.lateBatch', { count: late.count })) + this.keyText(late.key);
    const closed = t('runtime.warnings.lateClosed', {
      time: formatTime(late.closedUpTo),
      lateness: this.options.lateness,
    });
    const vars = { what, time: formatTime(late.time), value: preview(value), closed };
    this.node.warn(t(late.added ? 'runtime.warnings.lateAdded' : 'runtime.warnings.lateDropped', vars));
  }

  /** A run of empty windows too long to send one by one. */
  skipped(s: SkippedWindows): void {
    const t = this.t;
    const ofKey = this.keyText(s.key);
    const where = s.gaps === 1 ? ofKey : t('runtime.warnings.skippedGaps', { gaps: s.gaps, ofKey });
    const span =
      t('runtime.warnings.skippedSpan', { from: formatTime(s.from), to: formatTime(s.to) }) + where;
    this.node.warn(
      t('runtime.warnings.skipped', { windows: s.windows, span, limit: WINDOW_LIMITS.emptyWindows }),
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
      const { t, options: o } = this;
      for (const d of this.pendingDrops.values()) {
        const key = quoteText(String(d.key));
        const keys =
          d.keys === 1
            ? t('runtime.warnings.forgotKey', { key })
            : t('runtime.warnings.forgotKeys', { count: d.keys, key });
        const lost =
          d.samples > 0
            ? t(
                `runtime.warnings.${d.keys === 1 ? 'lostOneKey' : 'lostKeys'}${d.samples === 1 ? 'OneSample' : ''}`,
                { samples: d.samples },
              )
            : '';
        this.node.warn(
          d.reason === 'maxKeys'
            ? t('runtime.warnings.forgotMaxKeys', { keys, maxKeys: o.maxKeys, lost })
            : t('runtime.warnings.forgotIdle', { keys, idleTimeout: o.idleTimeout, lost }),
        );
      }
    } catch (err) {
      this.node.error(this.t('runtime.errors.warning', { message: (err as Error).message }));
    }
    this.pendingDrops.clear();
    this.dropWarnedAt = Date.now();
  }

  /** An aligned window not sent: some feature has had no reading yet. */
  incomplete(w: IncompleteWindow): void {
    const t = this.t;
    const window =
      t('runtime.warnings.incompleteSpan', { start: formatTime(w.start), end: formatTime(w.end) }) +
      this.keyText(w.key);
    this.node.warn(
      t('runtime.warnings.incomplete', {
        window,
        missing: describeNames(w.missing),
        value: preview(w.value),
      }),
    );
  }
}
