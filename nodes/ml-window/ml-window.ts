/**
 * `ml-window`: cuts a stream into count, time or session windows, per key or aligning separate
 * topics into rows, and sends each closed window as one message (docs/nodes.md, "window").
 *
 * All windowing lives in the clock-free {@link WindowEngine}; this file adds what only a node
 * has: reading the message, the arrival clock, one timer for arrival-time windows, control
 * messages, warnings, status and errors.
 *
 * Output: every window is a new message `{payload, window: {start, end, count, key}, topic?}`.
 * Nothing else is carried over from the inputs: a window mixes many messages, so copying any one
 * of them would be arbitrary (and would drag along e.g. an HTTP request's `req`/`res`).
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { describeNames, SampleError } from '../../lib/errors';
import { parseFeatureList } from '../../lib/samples';
import {
  formatTime,
  parseEventTime,
  preview,
  quoteText,
  resolveWindowOptions,
  topicFeatureName,
  WINDOW_DEFAULTS,
  WINDOW_LIMITS,
  WindowEngine,
  type DroppedKeys,
  type EmittedWindow,
  type GroupBy,
  type IncompleteWindow,
  type LateSample,
  type ResolvedWindowOptions,
  type SampleAt,
  type SkippedWindows,
  type WindowKey,
  type WindowMode,
  type WindowOptions,
  type WindowOutput,
} from '../../lib/window';
import { MessageProperty, readKey, readSwitch, type Done, type Send } from '../shared/message';
import {
  booleanSetting,
  choiceSetting,
  numberSetting,
  propertySetting,
  reportSettingError,
  SettingError,
} from '../shared/settings';
import { StatusLine } from '../shared/status';

/** The editor's settings; any may be missing (hand-written flows, the test helper). */
interface WindowConfig extends NodeDef {
  mode?: string;
  size?: number | string;
  step?: number | string;
  gap?: number | string;
  timeProperty?: string;
  lateness?: number | string;
  groupBy?: string;
  keyProperty?: string;
  nameProperty?: string;
  emit?: string;
  aggregates?: string;
  features?: string;
  property?: string;
  maxSamples?: number | string;
  emitEmpty?: boolean | string;
  horizon?: number | string;
  maxKeys?: number | string;
  idleTimeout?: number | string;
  maxFeatures?: number | string;
  maxDimension?: number | string;
}

/** The node's settings, parsed once in the constructor. */
interface WindowSettings {
  /** What the engine is built from, checked. */
  engine: ResolvedWindowOptions;
  /** Where the sample is read (the output always goes to `payload`). */
  property: string;
  /** Event time is read here; empty means arrival time. */
  timeProperty: string;
  /** Picks a key's windows (`key`, and optionally `align`); empty: no key. */
  keyProperty: string;
  /** `align`: names the reading; empty: the last segment of `msg.topic`. */
  nameProperty: string;
}

/** Defaults when a field is blank: a count window of 10, one-second time windows, 5 s sessions. */
const DEFAULT_COUNT_SIZE = 10;
const DEFAULT_TIME_SIZE_MS = 1000;
const DEFAULT_GAP_MS = 5000;
/** setTimeout's longest delay; a later deadline is simply re-armed when the timer fires. */
const MAX_DELAY_MS = 2 ** 31 - 1;
/** Warnings about forgotten keys go out at most this often, each summing up what happened since. */
const DROP_WARNING_MS = 10_000;

/**
 * Parses the editor's settings and checks them (alone and together) without building an engine.
 * @throws SettingError naming the setting that is wrong.
 */
function readWindowSettings(config: WindowConfig, RED: NodeAPI): WindowSettings {
  // Property expressions are checked once, here, rather than failing on every message.
  const parse = (path: string): unknown => RED.util.normalisePropertyExpression(path);
  const mode: WindowMode = choiceSetting(config.mode, 'mode', ['count', 'time', 'session'] as const);
  const groupBy: GroupBy = choiceSetting(config.groupBy, 'groupBy', ['none', 'key', 'align'] as const);
  const timeProperty = propertySetting(config.timeProperty, 'timeProperty', '', parse);
  // Grouping by key without a key property would put everything under one key: topic is what
  // MQTT and most inputs carry. In align the key is optional (one row stream when empty).
  const keyProperty = propertySetting(
    config.keyProperty,
    'keyProperty',
    groupBy === 'key' ? 'topic' : '',
    parse,
  );
  let features: string[] | null;
  try {
    features = parseFeatureList(config.features);
  } catch (err) {
    throw new SettingError((err as Error).message);
  }
  const span = WINDOW_LIMITS.span;
  // A whole number of samples, keys or features, from 1 to its limit.
  const count = (value: unknown, name: string, fallback: number, max: number): number =>
    numberSetting(value, name, fallback, { min: 1, max, integer: true });
  const engine: WindowOptions = {
    mode,
    time: timeProperty ? 'event' : 'arrival',
    lateness: numberSetting(config.lateness, 'lateness', 0, { min: 0, max: span }),
    groupBy,
    emit: choiceSetting(config.emit, 'emit', ['samples', 'vector', 'aggregate'] as const),
    aggregates:
      typeof config.aggregates === 'string' && config.aggregates.trim() ? config.aggregates : 'mean',
    features,
    maxSamples: count(config.maxSamples, 'maxSamples', WINDOW_DEFAULTS.maxSamples, WINDOW_LIMITS.maxSamples),
    emitEmpty: booleanSetting(config.emitEmpty, 'emitEmpty', false),
    horizon: numberSetting(config.horizon, 'horizon', WINDOW_DEFAULTS.horizon, { min: 1, max: span }),
    maxKeys: count(config.maxKeys, 'maxKeys', WINDOW_DEFAULTS.maxKeys, WINDOW_LIMITS.maxKeys),
    idleTimeout: numberSetting(config.idleTimeout, 'idleTimeout', WINDOW_DEFAULTS.idleTimeout, {
      min: 0,
      max: span,
    }),
    maxFeatures: count(
      config.maxFeatures,
      'maxFeatures',
      WINDOW_DEFAULTS.maxFeatures,
      WINDOW_LIMITS.maxFeatures,
    ),
    maxDimension: count(
      config.maxDimension,
      'maxDimension',
      WINDOW_DEFAULTS.maxDimension,
      WINDOW_LIMITS.maxDimension,
    ),
  };
  if (mode === 'session') {
    engine.gap = numberSetting(config.gap, 'gap', DEFAULT_GAP_MS, { min: 0, max: span });
  } else {
    engine.size = numberSetting(
      config.size,
      'size',
      mode === 'count' ? DEFAULT_COUNT_SIZE : DEFAULT_TIME_SIZE_MS,
      {
        min: 1,
        max: mode === 'count' ? WINDOW_LIMITS.maxSamples : span,
        integer: true,
      },
    );
    engine.step = numberSetting(config.step, 'step', engine.size, { min: 1, max: span, integer: true });
  }
  let resolved: ResolvedWindowOptions;
  try {
    // The combinations too: step ≤ size, size / step, gap > 0, aggregate names, maxSamples ≥
    // size, horizon ≥ lateness, maxFeatures ≥ the features listed. The engine takes the result
    // as it is.
    resolved = resolveWindowOptions(engine);
  } catch (err) {
    throw new SettingError((err as Error).message);
  }
  return {
    engine: resolved,
    property: propertySetting(config.property, 'property', 'payload', parse),
    timeProperty,
    keyProperty,
    nameProperty: propertySetting(config.nameProperty, 'nameProperty', '', parse),
  };
}

function keyText(key: WindowKey): string {
  return key === null ? '' : ` of key ${quoteText(String(key))}`;
}

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
  /** The arrival time the timer is armed for. */
  private armedFor = Infinity;
  private closed = false;
  /** Keys forgotten since the last warning about them, per reason. */
  private readonly pendingDrops = new Map<DroppedKeys['reason'], DroppedKeys>();
  private dropWarnedAt = -Infinity;
  private dropTimer: NodeJS.Timeout | undefined;

  constructor(
    RED: NodeAPI,
    private readonly node: Node,
    settings: WindowSettings,
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
    this.status = new StatusLine(node, () => ({
      text: `${this.engine.openWindows} open, ${this.engine.bufferedSamples} buf`,
      ready: true,
    }));

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => this.handle(msg, send, done));
    node.on('close', (_removed: boolean, done: () => void) => {
      // Open windows are dropped, as the core batch node does: a redeploy starts afresh, and no
      // timer may fire on a closed node.
      this.closed = true;
      this.disarm();
      if (this.dropTimer !== undefined) clearTimeout(this.dropTimer);
      this.dropTimer = undefined;
      this.engine.reset();
      this.status.close();
      done();
    });
    this.status.draw();
  }

  private handle(msg: NodeMessageInFlow, send: Send, done: Done): void {
    try {
      this.process(msg as unknown as Record<string, unknown>, send);
      this.status.changed();
      done();
    } catch (err) {
      this.status.fail(err, done);
    } finally {
      if (this.clocked) this.arm();
    }
  }

  /**
   * `msg.reset` applies before the message's sample (so the sample starts the new windows) and
   * `msg.flush` after it (so the sample is in what is flushed, as the core join node's
   * `msg.complete`). A message with only control properties is consumed.
   */
  private process(msg: Record<string, unknown>, send: Send): void {
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
  }

  /** Where a message's sample belongs: its time, key and (align) feature name. */
  private where(msg: Record<string, unknown>): SampleAt {
    const m = msg as NodeMessage;
    const now = Date.now();
    const time = this.time ? parseEventTime(this.time.get(m), this.time.label) : now;
    const at: SampleAt = {
      time,
      where: this.input.label,
    };
    if (this.time) {
      at.timeWhere = this.time.label;
      at.now = now;
    }
    if (this.key) at.key = this.readKey(msg);
    if (this.engine.options.groupBy === 'align') {
      at.name = this.name ? this.readName(this.name.get(m), this.name.label) : topicFeatureName(msg.topic);
    }
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
      `${label} is ${value === undefined ? 'missing' : preview(value)}: aligning needs it to name each reading ` +
        '(e.g. "temp"), or leave "Name from" empty to use the last segment of msg.topic.',
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
    for (const late of output.late) this.warnLate(late, value);
    for (const incomplete of output.incomplete) this.warnIncomplete(incomplete);
    if (output.skipped) this.warnSkipped(output.skipped);
    if (output.dropped) this.noteDropped(output.dropped);
    const windows = output.windows;
    if (windows.length === 1) send(this.message(windows[0]));
    else if (windows.length > 1) send([windows.map((w) => this.message(w))]);
  }

  private message(w: EmittedWindow): NodeMessage {
    const window: Record<string, unknown> = { start: w.start, end: w.end, count: w.count, key: w.key };
    if (w.filled !== undefined) window.filled = w.filled;
    const msg: NodeMessage & { window: Record<string, unknown> } = { payload: w.value, window };
    if (w.key !== null) msg.topic = String(w.key);
    return msg;
  }

  private warnLate(late: LateSample, value: unknown): void {
    const o = this.engine.options;
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

  private warnSkipped(s: SkippedWindows): void {
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
  private noteDropped(dropped: DroppedKeys[]): void {
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
    if (this.closed) return;
    try {
      const o = this.engine.options;
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

  private warnIncomplete(w: IncompleteWindow): void {
    this.node.warn(
      `window ${formatTime(w.start)} – ${formatTime(w.end)}${keyText(w.key)} not sent: no reading yet of ` +
        `${describeNames(w.missing)} (had ${preview(w.value)}). Rows start once every feature has had a reading.`,
    );
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
      this.node.error(`window timer: ${(err as Error).message}`);
    }
    this.arm();
  }
}

export = function register(RED: NodeAPI): void {
  function MlWindowNode(this: Node, config: WindowConfig): void {
    RED.nodes.createNode(this, config);
    let settings: WindowSettings;
    try {
      settings = readWindowSettings(config, RED);
    } catch (err) {
      reportSettingError(this, err);
      return;
    }
    new WindowNode(RED, this, settings);
  }
  RED.nodes.registerType('ml-window', MlWindowNode);
};
