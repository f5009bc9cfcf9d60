/**
 * One log line per burst instead of one per event: a node that evicts a million keys, or fails to
 * save a thousand models, would otherwise push a million warnings to every open editor.
 */

/** How long events after a reported one are gathered into one summary. */
const BURST_MS = 10_000;

export class BurstReport {
  private timer: NodeJS.Timeout | undefined;
  private count = 0;
  private latest = '';

  /**
   * @param log writes one line (`node.warn` or `node.error`).
   * @param summary the line for `count` events gathered after the first, `latest` the last one's detail.
   */
  constructor(
    private readonly log: (text: string) => void,
    private readonly summary: (count: number, latest: string) => string,
  ) {}

  /**
   * Reports `text` now if nothing was reported in the last burst window, else counts it into the
   * summary written when the window ends.
   * @param detail what the summary names as the latest event.
   */
  add(text: string, detail: string): void {
    if (this.timer === undefined) {
      this.write(text);
      this.timer = setTimeout(() => this.endWindow(), BURST_MS);
      return;
    }
    this.count += 1;
    this.latest = detail;
  }

  private endWindow(): void {
    this.timer = undefined;
    if (this.count === 0) return;
    const text = this.summary(this.count, this.latest);
    this.count = 0;
    this.write(text);
    // A burst still going on keeps being summarised once per window.
    this.timer = setTimeout(() => this.endWindow(), BURST_MS);
  }

  private write(text: string): void {
    try {
      this.log(text);
    } catch {
      // Logging must never take the runtime down from inside a timer.
    }
  }

  /** Writes what is pending and stops the timer (the node closes). */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.count > 0) this.write(this.summary(this.count, this.latest));
    this.count = 0;
  }
}
