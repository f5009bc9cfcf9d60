/**
 * `ml-window`: cuts a stream into count, time or session windows, per key or aligning separate
 * topics into rows, and sends each closed window as one message (docs/nodes.md, "window").
 *
 * All windowing lives in the clock-free {@link WindowEngine}; this file adds what only a node
 * has: reading the message, the arrival clock, one timer for arrival-time windows, control
 * messages, status and errors. Its settings are read in ./settings, its warnings worded in
 * ./warnings.
 *
 * Output: every window is a new message `{payload, window: {start, end, count, key}, topic?}`.
 * Nothing else is carried over from the inputs: a window mixes many messages, so copying any one
 * of them would be arbitrary (and would drag along e.g. an HTTP request's `req`/`res`).
 */
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import { SampleError } from '../../lib/errors';
import {
  parseEventTime,
  preview,
  topicFeatureName,
  WindowEngine,
  type EmittedWindow,
  type SampleAt,
  type WindowKey,
  type WindowOutput,
} from '../../lib/window';
import { translator, type Translate } from '../shared/i18n';
import { MessageProperty, readKey, readSwitch, type Done, type Send } from '../shared/message';
import { reportSettingError } from '../shared/settings';
import { handleInput, StatusLine } from '../shared/status';
import { readWindowSettings, type WindowConfig, type WindowSettings } from './settings';
import { WindowWarnings } from './warnings';

/** setTimeout's longest delay; a later deadline is simply re-armed when the timer fires. */
const MAX_DELAY_MS = 2 ** 31 - 1;

class WindowNode {
  private readonly engine: WindowEngine;
  private readonly input: MessageProperty;
  private readonly time: MessageProperty | undefined;
  private readonly key: MessageProperty | undefined;
  private readonly name: MessageProperty | undefined;
  /** align with the topic as key: the key is the topic without its last segment (the machine). */
  private readonly keyIsTopicParent: boolean;
  private readonly status: StatusLine;
  /** Only time and session windows on arrival time close by the clock. */
  private readonly clocked: boolean;
  private timer: NodeJS.Timeout | undefined;
  /** The next share of windows still to send after many closed at once (one turn each). */
  private catchUp: NodeJS.Immediate | undefined;
  /** The arrival time the timer is armed for. */
  private armedFor = Infinity;
  private closed = false;
  private readonly warnings: WindowWarnings;
  /** Where the current message's sample belongs (see {@link where}). */
  private readonly at: SampleAt = {
    time: 0,
    key: undefined,
    name: undefined,
    where: undefined,
    timeWhere: undefined,
    now: undefined,
  };

  constructor(
    RED: NodeAPI,
    private readonly node: Node,
    settings: WindowSettings,
    private readonly t: Translate,
  ) {
    this.engine = new WindowEngine(settings.engine);
    const o = this.engine.options;
    this.input = new MessageProperty(RED, settings.property);
    this.time = settings.timeProperty ? new MessageProperty(RED, settings.timeProperty) : undefined;
    const keyed = o.groupBy !== 'none' && settings.keyProperty !== '';
    this.key = keyed ? new MessageProperty(RED, settings.keyProperty) : undefined;
    this.name =
      o.groupBy === 'align' && settings.nameProperty
        ? new MessageProperty(RED, settings.nameProperty)
        : undefined;
    this.keyIsTopicParent = o.groupBy === 'align' && keyed && settings.keyProperty === 'topic' && !this.name;
    this.clocked = o.mode !== 'count' && o.time === 'arrival';
    this.warnings = new WindowWarnings(node, o, t);
    this.status = new StatusLine(
      node,
      () => ({
        text: t('runtime.status.windows', {
          open: this.engine.openWindows,
          buffered: this.engine.bufferedSamples,
        }),
        ready: true,
      }),
      t,
    );

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => this.handle(msg, send, done));
    node.on('close', (_removed: boolean, done: () => void) => {
      // Open windows are dropped, as the core batch node does: a redeploy starts afresh, and no
      // timer may fire on a closed node.
      this.closed = true;
      this.disarm();
      if (this.catchUp !== undefined) clearImmediate(this.catchUp);
      this.catchUp = undefined;
      this.warnings.close();
      this.engine.reset();
      this.status.close();
      done();
    });
    this.status.draw();
  }

  private handle(msg: NodeMessageInFlow, send: Send, done: Done): void {
    try {
      handleInput(this.status, done, this.process, msg as unknown as Record<string, unknown>, send);
    } finally {
      if (this.clocked) this.arm();
      this.continueLater();
    }
  }

  /**
   * `msg.reset` applies before the message's sample (so the sample starts the new windows) and
   * `msg.flush` after it (so the sample is in what is flushed, as the core join node's
   * `msg.complete`). A message with only control properties is consumed.
   */
  private readonly process = (msg: Record<string, unknown>, send: Send): void => {
    const value = this.input.get(msg as NodeMessage);
    const reset = readSwitch(msg, 'reset') === true;
    const flush = readSwitch(msg, 'flush') === true;
    // A plain message without a value is a bad sample: the engine says that it is missing.
    const hasSample = value !== undefined || (!reset && !flush);
    // Read the time, key and name first, so a bad one fails before a reset changes anything.
    const at = hasSample ? this.where(msg) : undefined;
    // With a reset, the sample starts fresh windows: check it stands on its own before the reset
    // drops anything (the engine checks it against the open windows when there is no reset).
    if (reset && at) this.engine.checkSample(value, at, this.resetsOneKey(msg));
    if (reset) this.reset(msg);
    if (at) this.deliver(this.engine.add(value, at), value, send);
    if (flush) this.deliver(this.engine.flush(Date.now()), undefined, send);
  };

  /**
   * Where a message's sample belongs: its time, key and (align) feature name. The object is the
   * node's own, filled anew for each message: the engine reads it and keeps nothing of it.
   */
  private where(msg: Record<string, unknown>): SampleAt {
    const m = msg as NodeMessage;
    const now = Date.now();
    const at = this.at;
    at.time = this.time ? parseEventTime(this.time.get(m), this.time.label) : now;
    at.where = this.input.label;
    at.timeWhere = this.time ? this.time.label : undefined;
    at.now = this.time ? now : undefined;
    at.key = this.key ? this.readKey(msg) : undefined;
    at.name =
      this.engine.options.groupBy !== 'align'
        ? undefined
        : this.name
          ? this.readName(this.name.get(m), this.name.label)
          : topicFeatureName(msg.topic);
    return at;
  }

  /**
   * The window key: a string or number (as a string, so `1` and `"1"` share windows), or none.
   * @param verbatim take the value as the key even where a reading's topic gives its parent
   *   (a reset names the key as the windows' `msg.topic` shows it, e.g. `factory/m1`).
   */
  private readKey(msg: Record<string, unknown>, verbatim = false): WindowKey {
    const text = readKey(this.key as MessageProperty, msg as NodeMessage, 'a window');
    if (text === undefined) return null;
    if (this.keyIsTopicParent && !verbatim) {
      const slash = text.lastIndexOf('/');
      return slash < 0 ? null : text.slice(0, slash);
    }
    return text;
  }

  private readName(value: unknown, label: string): string {
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    throw new SampleError(
      value === undefined
        ? this.t('runtime.errors.nameMissing', { label })
        : this.t('runtime.errors.nameBad', { label, value: preview(value) }),
    );
  }

  /** Whether a `msg.reset` names a key (then only its windows go, and the stream time stays). */
  private resetsOneKey(msg: Record<string, unknown>): boolean {
    if (!this.key) return false;
    const raw = this.key.get(msg as NodeMessage);
    return raw !== undefined && raw !== null;
  }

  /** `msg.reset`: with a key on the message, that key's windows only; otherwise everything. */
  private reset(msg: Record<string, unknown>): void {
    if (this.resetsOneKey(msg)) this.engine.reset(this.readKey(msg, true));
    else this.engine.reset();
  }

  /** Sends what an engine call produced and reports late samples and incomplete rows. */
  private deliver(output: WindowOutput, value: unknown, send: Send): void {
    for (const late of output.late) this.warnings.late(late, value);
    for (const incomplete of output.incomplete) this.warnings.incomplete(incomplete);
    if (output.skipped) this.warnings.skipped(output.skipped);
    if (output.dropped) this.warnings.dropped(output.dropped);
    // One send per window: Node-RED deep-clones every message but the first of one send, and
    // these are new objects that nothing else holds, so cloning them would only cost time
    // (about half of it when thousands of windows close at once).
    for (const w of output.windows) send(this.message(w));
  }

  private message(w: EmittedWindow): NodeMessage {
    const window: Record<string, unknown> = { start: w.start, end: w.end, count: w.count, key: w.key };
    if (w.filled !== undefined) window.filled = w.filled;
    const msg: NodeMessage & { window: Record<string, unknown> } = { payload: w.value, window };
    if (w.key !== null) msg.topic = String(w.key);
    return msg;
  }

  // ---- catching up: windows closed at once beyond one call's share go out a turn at a time ------

  private continueLater(): void {
    if (this.closed || this.catchUp !== undefined || !this.engine.catchingUp) return;
    this.catchUp = setImmediate(() => {
      this.catchUp = undefined;
      if (this.closed) return;
      try {
        this.deliver(this.engine.resume(), undefined, (m) => this.node.send(m));
        this.status.changed();
      } catch (err) {
        this.node.error(this.t('runtime.errors.timer', { message: (err as Error).message }));
      }
      if (this.clocked) this.arm();
      this.continueLater();
    });
  }

  // ---- the timer: one, armed at the engine's next deadline (arrival time only) ----------------

  private arm(): void {
    if (this.closed) return;
    const deadline = this.engine.nextDeadline();
    if (deadline === null) {
      this.disarm();
      return;
    }
    // An armed timer that fires no later than needed is kept: re-arming on every message would
    // cost a clearTimeout/setTimeout pair per sample, and an early wake-up just re-arms.
    if (this.timer !== undefined && this.armedFor <= deadline) return;
    this.disarm();
    this.armedFor = deadline;
    const delay = Math.min(MAX_DELAY_MS, Math.max(0, deadline - Date.now()));
    this.timer = setTimeout(() => this.tick(), delay);
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private tick(): void {
    const due = this.armedFor;
    this.timer = undefined;
    this.armedFor = Infinity;
    if (this.closed) return;
    try {
      // The timer was set for `due`; the wall clock may read a millisecond short of it when it
      // fires, which would close nothing and spin. A clamped (far) deadline is not yet due.
      const now = due - Date.now() <= MAX_DELAY_MS ? Math.max(Date.now(), due) : Date.now();
      this.deliver(this.engine.advance(now), undefined, (m) => this.node.send(m));
      this.status.changed();
    } catch (err) {
      // advance does not throw on a valid state; should it, say so rather than stop the clock.
      this.node.error(this.t('runtime.errors.timer', { message: (err as Error).message }));
    }
    this.arm();
    this.continueLater();
  }
}

export = function register(RED: NodeAPI): void {
  function MlWindowNode(this: Node, config: WindowConfig): void {
    RED.nodes.createNode(this, config);
    const t = translator(RED, 'ml-window');
    let settings: WindowSettings;
    try {
      settings = readWindowSettings(config, RED, t);
    } catch (err) {
      reportSettingError(this, err, t);
      return;
    }
    new WindowNode(RED, this, settings, t);
  }
  RED.nodes.registerType('ml-window', MlWindowNode);
};
