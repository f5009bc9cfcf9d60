/**
 * Everything the three learner nodes (standardize, pca, k-means) share, written once: reading the
 * configured property, keyed models bounded by `maxKeys`, the control messages `reset`, `learn`,
 * `model`, `export` (and `peer`), warm-up, persistence, status and errors (DESIGN §2, §3, §5).
 *
 * A node file only describes its model through a {@link LearnerKind}.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import { ModelError } from '../../lib/errors';
import { describeSchema, sameSchema, type ModelHeader } from '../../lib/model';
import { parseFeatureList, SampleReader, type Sample, type Schema } from '../../lib/samples';
import { MessageProperty, readKey } from './message';
import { ModelStore, type ModelEntry, type StoredModel } from './model-store';
import { ModelPersistence, type SavedEntry, type SavedModels } from './persistence';
import {
  choiceSetting,
  numberSetting,
  optionalNumberSetting,
  propertySetting,
  reportSettingError,
  SettingError,
} from './settings';
import { StatusLine } from './status';

/** What the shared plumbing needs of a model. */
export interface Learner extends StoredModel {
  readonly schema: Schema;
  learnOne(x: ArrayLike<number>): void;
  learnBatch(rows: ReadonlyArray<ArrayLike<number>>, start?: number, end?: number): void;
  toJSON(): ModelHeader;
}

/** How one node type creates, loads, merges and applies its model. */
export interface LearnerKind<M extends Learner> {
  /** The node type and model type tag, e.g. `ml-standardize`. */
  readonly type: string;
  /** Samples a model must have seen before it transforms, when `warmupSamples` is blank. */
  defaultWarmup(dimension: number): number;
  /**
   * True when a new model can transform before learning anything (k-means from given centres):
   * then a sample creates one even while not learning (`msg.learn = false`, learning off).
   */
  readonly readyWithoutData?: boolean;
  /** Whether a model can transform; by default when it has seen `warmup` samples. */
  ready?(model: M, warmup: number): boolean;
  create(schema: Schema, warmup: number): M;
  /** @throws ModelError when `json` is not a valid model of this kind. */
  load(json: unknown): M;
  /** Why a model does not fit this node's settings (another k, components…), or `undefined`. */
  misfit(model: M): string | undefined;
  /** Combines two models of one key (learned on different instances) into a new one. */
  merge(a: M, b: M): M;
  /** Writes the result for `sample` onto `msg` (the output property is `output`). */
  transform(model: M, sample: Sample, msg: NodeMessage, output: MessageProperty): void;
  /** Status text of a ready model, under 20 characters: `n=1234`, `2 PCs 95.8%`. */
  status(model: M): string;
}

/** Settings every learner has (DESIGN §3); the editor may omit any of them. */
export interface LearnerConfig extends NodeDef {
  property?: string;
  keyProperty?: string;
  features?: string;
  maxKeys?: number | string;
  learning?: string;
  warmupSamples?: number | string;
  whileWarmingUp?: string;
  halfLife?: number | string;
  store?: string;
}

/** The learner settings, parsed. */
export interface LearnerSettings {
  property: string;
  keyProperty: string;
  features: string[] | null;
  maxKeys: number;
  learning: 'continuous' | 'warmup' | 'off';
  warmupSamples: number | undefined;
  whileWarmingUp: 'drop' | 'pass';
  halfLife: number;
  store: string | undefined;
}

/** Parses the settings shared by every learner. @throws SettingError */
export function readLearnerSettings(config: LearnerConfig): LearnerSettings {
  let features: string[] | null;
  try {
    features = parseFeatureList(config.features);
  } catch (err) {
    throw new SettingError((err as Error).message);
  }
  return {
    property: propertySetting(config.property, 'property', 'payload'),
    keyProperty: propertySetting(config.keyProperty, 'keyProperty', ''),
    features,
    maxKeys: numberSetting(config.maxKeys, 'maxKeys', 1000, { min: 1, integer: true }),
    learning: choiceSetting(config.learning, 'learning', ['continuous', 'warmup', 'off'] as const),
    warmupSamples: optionalNumberSetting(config.warmupSamples, 'warmupSamples', { min: 1, integer: true }),
    whileWarmingUp: choiceSetting(config.whileWarmingUp, 'whileWarmingUp', ['drop', 'pass'] as const),
    halfLife: numberSetting(config.halfLife, 'halfLife', 0, { min: 0 }),
    store: typeof config.store === 'string' && config.store.trim() !== '' ? config.store.trim() : undefined,
  };
}

type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
type Done = (err?: Error) => void;

/** The key of a node without `keyProperty`: one model for the node. */
const SINGLE_KEY = '';

interface Control {
  reset: boolean;
  learn: boolean;
  model: unknown;
  peer: string | undefined;
  exportWhat: 'all' | 'own' | undefined;
}

/** What a plain sample message carries, shared so that the common case allocates nothing. */
const NO_CONTROL: Readonly<Control> = Object.freeze({
  reset: false,
  learn: true,
  model: undefined,
  peer: undefined,
  exportWhat: undefined,
});

function readControl(msg: Record<string, unknown>): Readonly<Control> {
  if (
    msg.reset === undefined &&
    msg.learn === undefined &&
    msg.model === undefined &&
    msg.export === undefined &&
    msg.peer === undefined
  ) {
    return NO_CONTROL;
  }
  const peer = msg.peer;
  if (peer !== undefined && (typeof peer !== 'string' || peer === '')) {
    throw new Error('msg.peer must be the non-empty id of the instance the model comes from');
  }
  if (peer !== undefined && msg.model === undefined) {
    throw new Error('msg.peer names the instance of a model, but the message has no msg.model');
  }
  const exported = msg.export;
  return {
    reset: msg.reset === true,
    learn: msg.learn !== false,
    model: msg.model,
    peer: peer as string | undefined,
    exportWhat: exported === 'own' ? 'own' : exported === true ? 'all' : undefined,
  };
}

/**
 * Makes `node` a learner: parses the shared settings, restores saved models and handles messages.
 * @param makeKind builds the node's {@link LearnerKind} from the parsed settings; it may throw a
 *   SettingError, which is reported at start and on every message.
 */
export function setupLearnerNode<M extends Learner>(
  RED: NodeAPI,
  node: Node,
  config: LearnerConfig,
  makeKind: (settings: LearnerSettings) => LearnerKind<M>,
): void {
  let settings: LearnerSettings;
  let kind: LearnerKind<M>;
  try {
    settings = readLearnerSettings(config);
    kind = makeKind(settings);
  } catch (err) {
    reportSettingError(node, err);
    return;
  }
  new LearnerNode(RED, node, settings, kind);
}

class LearnerNode<M extends Learner> {
  private readonly input: MessageProperty;
  private readonly key: MessageProperty | undefined;
  private readonly reader: SampleReader;
  private readonly models: ModelStore<M>;
  private readonly persistence: ModelPersistence;
  private readonly status: StatusLine;
  /** Messages that arrived before the saved models were restored. */
  private pending: Array<[NodeMessageInFlow, Send, Done]> | undefined = [];
  private lastKey = SINGLE_KEY;

  constructor(
    RED: NodeAPI,
    private readonly node: Node,
    private readonly settings: LearnerSettings,
    private readonly kind: LearnerKind<M>,
  ) {
    this.input = new MessageProperty(RED, settings.property);
    this.key = settings.keyProperty ? new MessageProperty(RED, settings.keyProperty) : undefined;
    this.reader = new SampleReader(settings.features);
    this.models = new ModelStore<M>(
      settings.maxKeys,
      (a, b) => kind.merge(a, b),
      (key) => {
        node.warn(
          `dropped the model of key "${key}", the least recently used: maxKeys (${settings.maxKeys}) reached`,
        );
        this.persistence.changed(key);
      },
    );
    this.persistence = new ModelPersistence(node, settings.store, kind.type, (key) => this.serialise(key));
    this.status = new StatusLine(node, () => this.statusText());

    node.on('input', (msg: NodeMessageInFlow, send: Send, done: Done) => {
      if (this.pending) this.pending.push([msg, send, done]);
      else this.handle(msg, send, done);
    });
    node.on('close', (removed: boolean, done: () => void) => {
      this.status.close();
      if (removed) this.persistence.remove(done);
      else this.persistence.write(() => done());
    });
    this.persistence.restore((err, saved) => {
      if (err) node.warn(`could not read the saved models, starting fresh: ${err.message}`);
      else if (saved) this.restore(saved);
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
    const configured = this.settings.features;
    const features = model.schema.features;
    if (configured && (!features || features.join(',') !== configured.join(','))) {
      return (
        `the model's features (${features ? features.join(', ') : `${model.schema.dimension} unnamed`}) ` +
        `are not the node's Features (${configured.join(', ')})`
      );
    }
    return this.kind.misfit(model);
  }

  private restore(saved: SavedModels): void {
    const rejected: string[] = [];
    for (const [key, entry] of Object.entries(saved.models)) {
      try {
        const own = entry.own === undefined ? undefined : this.loadChecked(entry.own);
        const peers = Object.entries(entry.peers ?? {}).map(
          ([peer, json]) => [peer, this.loadChecked(json)] as const,
        );
        const restored = this.models.obtain(key);
        restored.own = own;
        for (const [peer, model] of peers) restored.peers.set(peer, model);
        restored.changed();
      } catch (err) {
        rejected.push(`${key === SINGLE_KEY ? 'the model' : `key "${key}"`}: ${(err as Error).message}`);
        this.persistence.changed(key);
      }
    }
    if (rejected.length > 0) {
      const shown =
        rejected.slice(0, 3).join('; ') + (rejected.length > 3 ? `; and ${rejected.length - 3} more` : '');
      this.node.warn(
        `saved models that do not fit this node's settings were not used, starting fresh: ${shown}`,
      );
    }
  }

  private serialise(key: string): SavedEntry | undefined {
    const entry = this.models.peek(key);
    if (entry === undefined || (entry.own === undefined && entry.peers.size === 0)) return undefined;
    const saved: SavedEntry = {};
    if (entry.own !== undefined) saved.own = entry.own.toJSON();
    if (entry.peers.size > 0) {
      saved.peers = {};
      for (const [peer, model] of entry.peers) saved.peers[peer] = model.toJSON();
    }
    return saved;
  }

  private handle(msg: NodeMessageInFlow, send: Send, done: Done): void {
    try {
      this.process(msg, send);
      this.status.changed();
      done();
    } catch (err) {
      this.status.fail(err, done);
    }
  }

  /**
   * Validates everything a message carries before changing anything, so that a bad sample or
   * model leaves every model as it was; then applies reset, model, the sample and export in turn.
   */
  private process(msg: NodeMessageInFlow, send: Send): void {
    const fields = msg as unknown as Record<string, unknown>;
    const control = readControl(fields);
    const key = this.key ? readKey(this.key, msg) : SINGLE_KEY;
    const value = this.input.get(msg);
    const hasSample =
      value !== undefined || (!control.reset && control.model === undefined && !control.exportWhat);

    const incoming = control.model === undefined ? undefined : this.loadChecked(control.model);
    if ((hasSample || incoming) && key === undefined) {
      throw new Error(
        `${this.key!.label} is missing: this node keeps one model per ${this.key!.label}, so every sample ` +
          'and msg.model needs one',
      );
    }

    const entry = key === undefined || control.reset ? undefined : this.models.peek(key);
    if (incoming && entry) this.checkCompatible(entry, incoming, control.peer);

    let sample: Sample | undefined;
    let fresh: M | undefined;
    if (hasSample) {
      const target = incoming && !control.peer ? incoming : (entry?.effective() ?? incoming);
      sample = this.reader.read(value, target?.schema ?? null, this.input.label);
      if (target === undefined && this.settings.learning === 'off' && !this.kind.readyWithoutData) {
        throw new Error(
          `learning is off and there is no model${key ? ` for key "${key}"` : ''} to transform with: ` +
            'send a msg.model first, or set Learning to continuous or warm-up',
        );
      }
      // A new model is made before anything changes, so that a sample it rejects (say, of
      // another dimension than configured centres) leaves no empty key behind.
      const ownAfter = incoming && !control.peer ? incoming : entry?.own;
      const willLearn = control.learn && this.settings.learning !== 'off';
      if (ownAfter === undefined && (willLearn || (target === undefined && this.kind.readyWithoutData))) {
        fresh = this.kind.create(
          { dimension: sample.dimension, features: sample.features },
          this.settings.warmupSamples ?? this.kind.defaultWarmup(sample.dimension),
        );
      }
    }

    if (control.reset) this.reset(key);
    if (incoming) {
      const loaded = this.models.obtain(key!);
      if (control.peer) loaded.peers.set(control.peer, incoming);
      else loaded.own = incoming;
      loaded.changed();
      this.persistence.changed(key!);
    }
    if (sample) this.learnAndTransform(key!, sample, control.learn, fresh, msg, send);
    if (control.exportWhat) this.export(key, control.exportWhat, send);
  }

  /**
   * A key's own model and its peers' are merged to transform, so they must describe the same
   * features. @throws ModelError
   */
  private checkCompatible(entry: ModelEntry<M>, incoming: M, peer: string | undefined): void {
    const others = [
      ...(peer ? [entry.own] : []),
      ...[...entry.peers].filter(([id]) => id !== peer).map(([, m]) => m),
    ];
    for (const other of others) {
      if (other && !sameSchema(other.schema, incoming.schema)) {
        throw new ModelError(
          `the model's features (${describeSchema(incoming.schema)}) differ from those of the models it ` +
            `would be combined with (${describeSchema(other.schema)}); send msg.reset first to replace them all`,
        );
      }
    }
  }

  private reset(key: string | undefined): void {
    if (key === undefined || !this.key) {
      const keys = [...this.models].map(([k]) => k);
      this.models.clear();
      this.persistence.changedAll(keys);
    } else {
      this.models.delete(key);
      this.persistence.changed(key);
    }
  }

  private learnAndTransform(
    key: string,
    sample: Sample,
    learn: boolean,
    fresh: M | undefined,
    msg: NodeMessageInFlow,
    send: Send,
  ): void {
    const learning = learn && this.settings.learning !== 'off';
    const entry = learning || fresh ? this.models.obtain(key) : this.models.get(key);
    this.lastKey = key;
    if (entry && fresh) {
      entry.own ??= fresh;
      entry.changed();
      this.persistence.changed(key);
    }
    if (learning && entry?.own) {
      const model = entry.own;
      let end = sample.rows.length;
      if (this.settings.learning === 'warmup') end = Math.min(end, this.warmupOf(model) - model.samplesSeen);
      if (end > 0) {
        if (sample.batch) model.learnBatch(sample.rows, 0, end);
        else model.learnOne(sample.rows[0]);
        entry.changed();
        this.persistence.changed(key);
      }
    }
    const model = entry?.effective();
    if (model !== undefined && this.isReady(model)) {
      this.kind.transform(model, sample, msg, this.input);
      send([msg, null]);
    } else if (this.settings.whileWarmingUp === 'pass') {
      (msg as unknown as Record<string, unknown>).ready = false;
      send([msg, null]);
    }
  }

  private export(key: string | undefined, what: 'all' | 'own', send: Send): void {
    const keys = key === undefined || !this.key ? [...this.models].map(([k]) => k) : [key];
    const out: NodeMessage[] = [];
    for (const k of keys) {
      const entry = this.models.peek(k);
      const model = what === 'own' ? entry?.own : entry?.effective();
      if (model === undefined) continue;
      const exported: NodeMessage = { payload: model.toJSON() };
      if (this.key) exported.topic = k;
      out.push(exported);
    }
    if (out.length === 0) {
      this.node.warn(
        `nothing to export: ${key ? `no model for key "${key}"` : 'no model'} has been learned or loaded yet`,
      );
      return;
    }
    send([null, out]);
  }

  private statusText(): { text: string; ready: boolean } {
    if (this.key && this.models.size !== 1) {
      let total = 0;
      for (const [, entry] of this.models) total += entry.effective()?.samplesSeen ?? 0;
      return { text: `${this.models.size} keys, n=${total}`, ready: this.models.size > 0 };
    }
    const model = this.models.peek(this.lastKey)?.effective() ?? [...this.models][0]?.[1].effective();
    if (model !== undefined && this.isReady(model)) return { text: this.kind.status(model), ready: true };
    if (model === undefined) {
      if (this.settings.learning === 'off') return { text: 'no model loaded', ready: false };
      const warmup = this.settings.warmupSamples;
      return { text: warmup ? `warming up 0/${warmup}` : 'waiting for data', ready: false };
    }
    return { text: `warming up ${model.samplesSeen}/${this.warmupOf(model)}`, ready: false };
  }
}
