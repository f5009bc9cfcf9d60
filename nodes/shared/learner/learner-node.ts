/**
 * Everything the three learner nodes (standardize, pca, k-means) share, written once: reading the
 * configured property, keyed models bounded by `maxKeys`, the control messages `reset`, `learn`,
 * `model`, `export` (and `peer`), warm-up, persistence, status and errors. How a message flows
 * through it (read, validate, plan, apply, send) is described in docs/architecture.md.
 *
 * A node file only describes its model through a {@link LearnerKind}.
 */
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import { ModelError } from '../../../lib/errors';
import { describeSchema, sameSchema } from '../../../lib/model';
import { SampleReader, type Sample, type SampleNodeType } from '../../../lib/samples';
import { NO_CONTROL, readControl, type Control } from '../control';
import { translator, type Translate } from '../i18n';
import { NonFiniteError, type Learner, type LearnerKind } from './learner-kind';
import {
  featuresMisfit,
  readLearnerSettings,
  type LearnerConfig,
  type LearnerSettings,
} from './learner-settings';
import { MessageProperty, readKey, type Done, type Send } from '../message';
import { evictionReport, MAX_PEERS, ModelStore, type EvictionReport, type ModelEntry } from './model-store';
import { StoreFile } from './store-files';
import { ModelPersistence, type RestoredEntry } from './persistence';
import { listProblems, restoreEntries, saveEntry } from './saved-models';
import { reportSettingError } from '../settings';
import { Sharing } from './sharing';
import { handleInput, StatusLine } from '../status';

export { checkFinite, NonFiniteError, type Learner, type LearnerKind } from './learner-kind';
export { SHARING_CREDENTIALS } from './sharing';
export { readLearnerSettings, type LearnerConfig, type LearnerSettings } from './learner-settings';

/** The key of a node without `keyProperty`: one model for the node. */
const SINGLE_KEY = '';

/**
 * What a message asks, checked in full and then decided (nothing has changed yet, and nothing after
 * validation may fail on input). One such object per node is filled anew for every message, so
 * that the plumbing allocates nothing per message; `apply` reads it into locals before anything
 * it calls could handle another message.
 */
interface Plan<M extends Learner> {
  control: Readonly<Control>;
  /** The model's key; `undefined` when the message has none (only allowed without sample or model). */
  key: string | undefined;
  /** `msg.model`, loaded and checked against the settings and the key's other models. */
  incoming: M | undefined;
  sample: Sample | undefined;
  /** The key's models as they are (`undefined` when the message resets them first). */
  entry: ModelEntry<M> | undefined;
  /** Peers' shares that made this key and that the key's first own sample does not fit: dropped. */
  dropPeers: boolean;
  /** A new model for a key that has none and will learn (or can transform without data). */
  fresh: M | undefined;
  /** Whether the sample is learned. */
  learn: boolean;
}

/**
 * Makes `node` a learner: parses the shared settings, restores saved models and handles messages.
 * @param makeKind builds the node's {@link LearnerKind} from the parsed settings (and the node's
 *   messages, for its own setting errors); it may throw a
 *   SettingError, which is reported at start and on every message.
 */
export function setupLearnerNode<M extends Learner>(
  RED: NodeAPI,
  node: Node,
  config: LearnerConfig,
  makeKind: (settings: LearnerSettings, t: Translate) => LearnerKind<M>,
): void {
  const t = translator(RED, node.type);
  let settings: LearnerSettings;
  let kind: LearnerKind<M>;
  try {
    settings = readLearnerSettings(config, node.type as SampleNodeType, RED, t);
    kind = makeKind(settings, t);
  } catch (err) {
    reportSettingError(node, err, t);
    return;
  }
  new LearnerNode(RED, node, settings, kind, t);
}

/**
 * Node-RED sends a single message straight down the one wire of a node that has exactly one
 * (`_wire`, set by `Node.updateWires`, the same in Node-RED 4 and 5), and through its general
 * path, which builds lists of outputs and send events, otherwise. A learner has two outputs and its
 * second (models) is mostly unwired: when only output 1 has a wire, and it has one, this lets the
 * results take the straight path too. Models, sent as a list of outputs, still take the general one.
 */
function shortcutSingleWire(node: Node): void {
  const wired = node as unknown as {
    wires: string[][];
    _wire?: string;
    updateWires(wires: string[][]): void;
  };
  const shortcut = (): void => {
    const wires = wired.wires;
    if (wired._wire !== undefined || !Array.isArray(wires) || wires[0]?.length !== 1) return;
    for (let output = 1; output < wires.length; output++) if (wires[output].length > 0) return;
    wired._wire = wires[0][0];
  };
  const update = wired.updateWires;
  if (typeof update !== 'function') return;
  wired.updateWires = function (this: typeof wired, wires: string[][]): void {
    update.call(this, wires);
    shortcut();
  };
  shortcut();
}

class LearnerNode<M extends Learner> {
  private readonly input: MessageProperty;
  private readonly key: MessageProperty | undefined;
  private readonly reader: SampleReader;
  private readonly models: ModelStore<M>;
  private readonly persistence: ModelPersistence;
  private readonly status: StatusLine;
  /** Whether the last sample went out transformed (a batch fits at once, even while warming up). */
  private lastTransformed = false;
  private readonly evictions: EvictionReport;
  private readonly sharing: Sharing<M>;
  /** Messages that arrived before the saved models were restored. */
  private pending: Array<[NodeMessageInFlow, Send, Done]> | undefined = [];
  private lastKey = SINGLE_KEY;
  /** Keys whose learning `msg.hold` stopped, oldest first; at most `maxKeys`. */
  private readonly held = new Set<string>();
  /**
   * Who holds every key (`msg.hold = true` without a key: a node with one model, or a keyed
   * message without its key), by the hold's `msg.topic`, so that one machine's alarm ending does
   * not release a model another machine's alarm still holds; at most `maxKeys`.
   */
  private readonly holders = new Set<string>();
  /** The plan of the message being handled (see {@link Plan}). */
  private readonly planned: Plan<M> = {
    control: NO_CONTROL,
    key: undefined,
    incoming: undefined,
    sample: undefined,
    entry: undefined,
    fresh: undefined,
    learn: false,
    dropPeers: false,
  };

  constructor(
    RED: NodeAPI,
    private readonly node: Node,
    private readonly settings: LearnerSettings,
    private readonly kind: LearnerKind<M>,
    private readonly t: Translate,
  ) {
    this.input = new MessageProperty(RED, settings.property);
    this.key = settings.keyProperty ? new MessageProperty(RED, settings.keyProperty) : undefined;
    this.reader = new SampleReader(settings.features, { maxDimension: settings.maxDimension });
    this.evictions = evictionReport(node, settings.maxKeys, t);
    this.models = new ModelStore<M>(
      settings.maxKeys,
      (a, b) => kind.merge(a, b),
      (key) => {
        this.evictions.add(key);
        this.persistence.changed(key);
      },
      settings.sharing.shareEvery * 1000,
    );
    this.persistence = new ModelPersistence(
      node,
      settings.store,
      kind.type,
      (key) => saveEntry(this.models.peek(key)),
      t,
      StoreFile.of(RED, node, settings.store),
    );
    this.status = new StatusLine(node, () => this.statusText(), t);
    this.sharing = new Sharing<M>(
      node,
      settings.sharing,
      kind.type,
      {
        models: this.models,
        keyed: this.key !== undefined,
        load: (json) => this.loadChecked(json),
        check: (entry, incoming, peer) => this.checkCompatible(entry, incoming, peer),
        align: kind.align ? (own, reference) => kind.align!(own, reference) : undefined,
        changed: (key) => this.persistence.changed(key),
      },
      (messages) => node.send([null, messages]),
      t,
    );

    shortcutSingleWire(node);
    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      if (this.pending) this.pending.push([msg, send, done]);
      else this.handle(msg, send, done);
    });
    node.on('close', (removed: boolean, done: () => void) => {
      this.status.close();
      this.evictions.close();
      this.sharing.close();
      if (removed) this.persistence.remove(done);
      else this.persistence.write(done);
    });
    this.persistence.restore((err, entries, problems) => {
      if (err) node.warn(t('runtime.warnings.restoreFailed', { message: err.message }));
      else this.restore(entries, problems);
      const queued = this.pending ?? [];
      this.pending = undefined;
      for (const [msg, send, done] of queued) this.handle(msg, send, done);
      this.status.draw();
    });
  }

  private warmupOf(model: M): number {
    return this.settings.warmupSamples ?? this.kind.defaultWarmup(model.schema.dimension);
  }

  private isReady(model: M | undefined): boolean {
    if (model === undefined) return false;
    if (this.settings.learning === 'off') return true;
    const warmup = this.warmupOf(model);
    return this.kind.ready ? this.kind.ready(model, warmup) : model.samplesSeen >= warmup;
  }

  /** Loads a model and checks it against the settings. @throws ModelError */
  private loadChecked(json: unknown): M {
    const model = this.kind.load(json);
    const reason = this.misfit(model);
    if (reason) throw new ModelError(reason);
    return model;
  }

  private misfit(model: M): string | undefined {
    return featuresMisfit(this.settings.features, model.schema, this.t) ?? this.kind.misfit(model);
  }

  private restore(entries: RestoredEntry[], problems: string[]): void {
    const { unreadable, misfits } = restoreEntries(
      entries,
      problems,
      this.models,
      { load: (json) => this.kind.load(json), misfit: (model) => this.misfit(model) },
      // Saved again without the model, so that the store holds what is in memory.
      (key) => this.persistence.changed(key),
    );
    if (unreadable.length > 0) {
      this.node.warn(this.t('runtime.warnings.unreadable', { list: listProblems(unreadable) }));
    }
    if (misfits.length > 0) {
      this.node.warn(this.t('runtime.warnings.misfits', { list: listProblems(misfits) }));
    }
  }

  private handle(msg: NodeMessageInFlow, send: Send, done: Done): void {
    handleInput(this.status, done, this.work, msg, send);
  }

  /** One message's work (made once: no closure per message). */
  private readonly work = (msg: NodeMessageInFlow, send: Send): void => {
    // Peers' shares and msg.forget are consumed here; every other message is a sample or control.
    if (!this.sharing.receive(msg as unknown as Record<string, unknown>)) {
      const plan = this.planned;
      this.validate(msg, plan);
      this.plan(plan);
      this.apply(plan, msg, send);
    }
  };

  /**
   * Reads and checks everything a message carries (control properties, key, `msg.model`, the
   * sample) without changing anything, so that a bad sample or model leaves every model as it was.
   * @throws SampleError, ModelError or Error naming what to fix.
   */
  private validate(msg: NodeMessageInFlow, into: Plan<M>): void {
    into.sample = undefined;
    into.dropPeers = false;
    into.fresh = undefined;
    into.learn = false;
    into.key = undefined;
    into.incoming = undefined;
    into.entry = undefined;
    into.control = NO_CONTROL;
    const controls = readControl(msg as unknown as Record<string, unknown>, this.t);
    const control = controls ?? NO_CONTROL;
    const key = this.key ? readKey(this.key, msg) : SINGLE_KEY;
    const value = this.input.get(msg);
    // A message of control properties only is consumed; without any, a missing sample is an error.
    const hasSample = value !== undefined || controls === undefined;

    const incoming = control.model === undefined ? undefined : this.loadChecked(control.model);
    if ((hasSample || incoming) && key === undefined) {
      throw new Error(this.t('runtime.errors.keyMissing', { key: this.key!.label }));
    }
    const entry = key === undefined || control.reset ? undefined : this.models.peek(key);
    if (incoming && entry) this.checkCompatible(entry, incoming, control.peer);
    if (!hasSample) {
      into.control = control;
      into.key = key;
      into.incoming = incoming;
      into.entry = entry;
      return;
    }

    const target = this.target(control, incoming, entry);
    let sample: Sample;
    try {
      sample = this.reader.read(value, target?.schema ?? null, this.input.label);
    } catch (err) {
      // A key that only shares made yields to the data: a share cannot block a key of other features.
      const learned = entry === undefined || entry.own !== undefined;
      if (learned || incoming || !control.learn || this.settings.learning === 'off') throw err;
      into.control = control;
      into.key = key;
      into.incoming = incoming;
      into.sample = this.reader.read(value, null, this.input.label);
      into.entry = undefined;
      into.dropPeers = true;
      return;
    }
    if (target === undefined && this.settings.learning === 'off' && !this.kind.readyWithoutData) {
      throw new Error(
        this.t(key ? 'runtime.errors.learningOffKey' : 'runtime.errors.learningOff', { key: key ?? '' }),
      );
    }
    into.control = control;
    into.key = key;
    into.incoming = incoming;
    into.sample = sample;
    into.entry = entry;
  }

  /** The model a sample is read against and transformed with, before this message learns. */
  private target(
    control: Readonly<Control>,
    incoming: M | undefined,
    entry: ModelEntry<M> | undefined,
  ): M | undefined {
    return incoming && !control.peer ? incoming : (entry?.effective() ?? incoming);
  }

  /**
   * Decides what the message will change. A new model is made here, before anything changes, so
   * that a sample it rejects (say, of another dimension than configured centres) leaves no empty
   * key behind.
   */
  private plan(plan: Plan<M>): void {
    const { control, incoming, entry, sample, key } = plan;
    const hold = control.hold ?? (this.holders.size > 0 || (key !== undefined && this.held.has(key)));
    const learn = control.learn && this.settings.learning !== 'off' && !hold;
    let fresh: M | undefined;
    if (sample) {
      const ownAfter = incoming && !control.peer ? incoming : entry?.own;
      const target = this.target(control, incoming, entry);
      if (ownAfter === undefined && (learn || (target === undefined && this.kind.readyWithoutData))) {
        fresh = this.kind.create(
          { dimension: sample.dimension, features: sample.features },
          this.settings.warmupSamples ?? this.kind.defaultWarmup(sample.dimension),
        );
      }
    }
    plan.fresh = fresh;
    plan.learn = learn;
  }

  /** Applies a plan: reset, then `msg.model`, then the sample, then export. */
  private apply(plan: Plan<M>, msg: NodeMessageInFlow, send: Send): void {
    const { control, key, incoming, sample, fresh, learn, dropPeers } = plan;
    if (control.reset) this.reset(key);
    if (control.hold !== undefined) this.hold(key, control.hold, (msg as { topic?: unknown }).topic);
    if (incoming) this.load(key!, incoming, control.peer);
    if (dropPeers) this.dropShareMadeKey(key!);
    if (sample) {
      const entry = this.adopt(key!, learn, fresh);
      const judged = entry?.own ?? entry?.effective();
      if (judged !== undefined && this.kind.judge) this.kind.judge(judged, sample);
      const fitted = learn && entry?.own !== undefined && this.learn(key!, entry, sample);
      this.emit(entry?.effective(), sample, fitted, msg, send);
    }
    if (control.exportWhat) this.export(key, control.exportWhat, send);
  }

  /**
   * A key's own model and its peers' are merged to transform, so they must describe the same
   * features. @throws ModelError
   */
  private checkCompatible(entry: ModelEntry<M>, incoming: M, peer: string | undefined): void {
    // Every peer is a whole model, merged into each transform: a flood of made-up instance ids
    // must not grow a key without bound.
    if (peer !== undefined && !entry.peers.has(peer) && entry.peers.size >= MAX_PEERS) {
      throw new ModelError(
        this.t('runtime.errors.tooManyPeers', { max: MAX_PEERS, peer: JSON.stringify(peer) }),
      );
    }
    const other = entry.partners(peer).find((model) => !sameSchema(model.schema, incoming.schema));
    if (other === undefined) return;
    const vars = { model: describeSchema(incoming.schema), other: describeSchema(other.schema) };
    throw new ModelError(this.t('runtime.errors.featuresDiffer', vars));
  }

  /**
   * Stops (`on`) or resumes learning for `key`; without a key (or on a node with one model) for
   * every key, held by `topic` until that topic's `msg.hold = false` (a release without a topic
   * releases them all).
   */
  private hold(key: string | undefined, on: boolean, topic: unknown): void {
    const bounded = (set: Set<string>, id: string): void => {
      set.delete(id);
      if (!on) return;
      set.add(id);
      if (set.size > this.settings.maxKeys) set.delete(set.values().next().value!);
    };
    if (key !== undefined && this.key) {
      bounded(this.held, key);
    } else if (topic === undefined || topic === null) {
      if (on) bounded(this.holders, '');
      else this.holders.clear();
    } else {
      bounded(this.holders, String(topic));
    }
  }

  private reset(key: string | undefined): void {
    this.lastTransformed = false;
    if (key === undefined || !this.key) {
      const keys = [...this.models].map(([k]) => k);
      this.models.clear();
      this.persistence.changedAll(keys);
    } else {
      this.models.delete(key);
      this.persistence.changed(key);
    }
  }

  private dropShareMadeKey(key: string): void {
    const peers = [...(this.models.peek(key)?.peers.keys() ?? [])].map((p) => JSON.stringify(p));
    this.models.delete(key);
    this.node.warn(
      this.t('runtime.sharing.peersDropped', { key: JSON.stringify(key), peers: peers.join(', ') }),
    );
  }

  /** Keeps `model` as the key's own model, or as the model of instance `peer`. */
  private load(key: string, model: M, peer: string | undefined): void {
    const entry = this.models.obtain(key);
    if (peer) entry.peers.set(peer, model);
    else entry.own = model;
    entry.changed();
    this.persistence.changed(key);
  }

  /** The key's models for a sample, with the planned new model in place. */
  private adopt(key: string, learn: boolean, fresh: M | undefined): ModelEntry<M> | undefined {
    const entry = learn || fresh ? this.models.obtain(key) : this.models.get(key);
    this.lastKey = key;
    if (entry && fresh) {
      entry.own ??= fresh;
      entry.changed();
      this.persistence.changed(key);
    }
    return entry;
  }

  /**
   * Learns a sample into the key's own model (in warm-up mode only up to the warm-up).
   * @returns whether a batch was fitted at once, so that it can be transformed even while warming up.
   */
  private learn(key: string, entry: ModelEntry<M>, sample: Sample): boolean {
    let model = entry.own!;
    let end = sample.rows.length;
    if (this.settings.learning === 'warmup') end = Math.min(end, this.warmupOf(model) - model.samplesSeen);
    if (end <= 0) return false;
    let fitted = false;
    if (sample.batch) {
      // A batch is scikit-learn's fit_transform: with enough rows it fits at once, warm-up or not.
      fitted = end >= this.kind.batchRows;
      if (fitted && this.kind.forBatch) model = entry.own = this.kind.forBatch(model, end);
      model.learnBatch(sample.rows, 0, end);
    } else {
      model.learnOne(sample.rows[0]);
    }
    entry.learned();
    this.persistence.changed(key);
    return fitted;
  }

  /** Sends the transformed sample when the model is ready, else drops it or passes it marked not ready. */
  private emit(
    model: M | undefined,
    sample: Sample,
    fitted: boolean,
    msg: NodeMessageInFlow,
    send: Send,
  ): void {
    const ready =
      model !== undefined &&
      (this.isReady(model) || (fitted && (this.kind.batchReady ? this.kind.batchReady(model) : true)));
    // The status tells what the last sample got: a batch fitted at once came out transformed.
    this.lastTransformed = ready;
    if (ready) {
      let alarms: NodeMessage[] | void;
      try {
        alarms = this.kind.transform(model, sample, msg, this.input);
      } catch (err) {
        if (!(err instanceof NonFiniteError)) throw err;
        throw new Error(this.t('runtime.errors.nonFinite', { what: err.what, value: String(err.value) }));
      }
      // A single message goes to output 1, without a list of outputs built for it.
      send(alarms ? [msg, null, alarms] : msg);
    } else if (this.settings.whileWarmingUp === 'pass') {
      (msg as unknown as Record<string, unknown>).ready = false;
      send(msg);
    }
  }

  private export(key: string | undefined, what: 'all' | 'own', send: Send): void {
    const keys = key === undefined || !this.key ? [...this.models].map(([k]) => k) : [key];
    const out: NodeMessage[] = [];
    for (const k of keys) {
      const entry = this.models.peek(k);
      const model = what === 'own' ? entry?.own : entry?.current();
      if (model === undefined) continue;
      const exported: NodeMessage = { payload: model.toJSON() };
      if (this.key) exported.topic = k;
      out.push(exported);
    }
    if (out.length === 0) {
      this.node.warn(
        this.t(key ? 'runtime.warnings.nothingToExportKey' : 'runtime.warnings.nothingToExport', {
          key: key ?? '',
        }),
      );
      return;
    }
    send([null, out]);
  }

  private statusText(): { text: string; ready: boolean; alarm: boolean } {
    if (this.key && this.models.size !== 1) {
      let total = 0;
      let alarm = false;
      for (const [, entry] of this.models) {
        const model = entry.effective();
        if (model === undefined) continue;
        total += model.samplesSeen;
        alarm ||= this.kind.alarming?.(model) ?? false;
      }
      return {
        text: this.t('runtime.status.keys', { keys: this.models.size, samples: total }),
        ready: this.models.size > 0,
        alarm,
      };
    }
    const model = this.models.peek(this.lastKey)?.effective() ?? [...this.models][0]?.[1].effective();
    if (model !== undefined && (this.isReady(model) || this.lastTransformed)) {
      return { text: this.kind.status(model), ready: true, alarm: this.kind.alarming?.(model) ?? false };
    }
    if (model === undefined) {
      if (this.settings.learning === 'off') {
        return { text: this.t('runtime.status.noModel'), ready: false, alarm: false };
      }
      const warmup = this.settings.warmupSamples;
      const text = warmup
        ? this.t('runtime.status.warmingUp', { seen: 0, warmup })
        : this.t('runtime.status.waiting');
      return { text, ready: false, alarm: false };
    }
    return {
      text: this.t('runtime.status.warmingUp', { seen: model.samplesSeen, warmup: this.warmupOf(model) }),
      ready: false,
      alarm: false,
    };
  }
}
