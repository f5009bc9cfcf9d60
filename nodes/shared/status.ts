/**
 * A node's status line, redrawn at most a few times a second: status updates travel to every open
 * editor, so writing one per message would cost more than the learning itself.
 */
import type { Node } from 'node-red';
import { ModelError, SampleError, WindowOverflowError } from '../../lib/errors';
import { englishOf, type Translate } from './i18n';
import type { Done } from './message';

const REDRAW_MS = 250;

export class StatusLine {
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param render the current text, under 20 characters (`n=1234`, `warming up 3/20`), and colour:
   *   yellow until ready, then green, red while an alarm is on.
   * @param t the node's messages (English when not given).
   */
  constructor(
    private readonly node: Node,
    private readonly render: () => { text: string; ready: boolean; alarm?: boolean },
    private readonly t: Translate = englishOf(node.type),
  ) {}

  /** A message went through: redraw soon (this also replaces an error ring). */
  changed(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, REDRAW_MS);
  }

  /** Redraws now. Never throws: it runs from a timer, where an exception would end Node-RED. */
  draw(): void {
    try {
      const { text, ready, alarm } = this.render();
      this.node.status({ fill: alarm ? 'red' : ready ? 'green' : 'yellow', shape: 'dot', text });
    } catch (err) {
      try {
        this.node.error(
          this.t('runtime.errors.drawStatus', { message: (err as Error)?.message ?? String(err) }),
        );
        this.node.status({ fill: 'red', shape: 'ring', text: this.t('runtime.status.error') });
      } catch {
        // Nothing left to report with.
      }
    }
  }

  /**
   * A message failed: a red ring naming the kind of error, and `done(err)` so that a Catch node
   * receives it.
   */
  fail(err: unknown, done: (err: Error) => void): void {
    this.error(this.t(`runtime.status.${errorLabel(err)}`));
    done(err instanceof Error ? err : new Error(String(err)));
  }

  /** A red ring that stays until the next message goes through. */
  error(text: string): void {
    this.close();
    this.node.status({ fill: 'red', shape: 'ring', text: text.length > 19 ? `${text.slice(0, 18)}…` : text });
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Runs the work of one input message the way every node of the package does: `done()` and a
 * status redraw when it went through; `done(err)` and a red ring when it threw, so that a Catch
 * node receives the error and the flow goes on. The work and its two arguments are passed apart,
 * so that a node hands in one function made once rather than a closure per message.
 */
export function handleInput<A, B>(
  status: StatusLine,
  done: Done,
  work: (a: A, b: B) => void,
  a: A,
  b: B,
): void {
  try {
    work(a, b);
    status.changed();
    done();
  } catch (err) {
    status.fail(err, done);
  }
}

/** The message key of the short status text for an error. */
function errorLabel(err: unknown): string {
  if (err instanceof SampleError) return 'badSample';
  if (err instanceof ModelError) return 'badModel';
  if (err instanceof WindowOverflowError) return 'bufferFull';
  return 'error';
}
