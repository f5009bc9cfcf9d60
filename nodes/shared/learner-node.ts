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
import {
  DEFAULT_MAX_DIMENSION,
  MAX_DIMENSION_SETTING,
  parseFeatureList,
  SampleReader,
  type Sample,
  type SampleNodeType,
  type Schema,
} from '../../lib/samples';
import { MessageProperty, readKey, readSwitch } from './message';
import { ModelStore, type ModelEntry, type StoredModel } from './model-store';
import { ModelPersistence, type RestoredEntry, type SavedEntry } from './persistence';
import {
  choiceSetting,
  numberSetting,
  optionalNumberSetting,
  propertySetting,
  reportSettingError,
  SettingError,
  storeSetting,
} from './settings';
import { readSharingSettings, Sharing, type SharingConfig, type SharingSettings } from './sharing';
import { StatusLine } from './status';
import { BurstReport } from './throttle';

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
  /**
   * Rows a batch needs to be fitted and transformed at once, whatever the warm-up (DESIGN §4.1:
   * standardize 1, PCA 2, k-means k).
   */
  readonly batchRows: number;
  /** Whether a model that just learned a batch of at least {@link batchRows} rows can transform it. */
  batchReady?(model: M): boolean;
  /**
   * The model to learn a batch of `rows` rows with: a model still warming up may be replaced by
   * one that fits the batch at once (k-means++ on its buffer and the batch). By default `model`.
   */
  forBatch?(model: M, rows: number): M;
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
export interface LearnerConfig extends NodeDef, SharingConfig {
  property?: string;
  keyProperty?: string;
  features?: string;
  maxKeys?: number | string;
  learning?: string;
  warmupSamples?: number | string;
  whileWarmingUp?: string;
  halfLife?: number | string;
  store?: string;
  maxDimension?: number | string;
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
  /** The most features a sample may have. */
  maxDimension: number;
  /** Model sharing between instances (docs/scale-out.md). */
  sharing: SharingSettings;
}

/** Bounds of the learner settings, checked at deploy (the limits contract in docs/limits.md). */
export const LEARNER_LIMITS = {
  /** Models kept per node. */
  maxKeys: 1_000_000,
  /** Samples before a model transforms (k-means keeps them all in its warm-up buffer). */
  warmupSamples: 1_000_000,
  /** Half-life in samples: beyond this the decay factor is 1 to within 1e-12. */
  halfLife: 1e12,
} as const;

/** Node-RED's `contextStorage` setting (`undefined` when none is configured). */
function contextStorage(RED: NodeAPI): unknown {
  try {
    return RED.settings.get('contextStorage');
  } catch {
    // settings.get throws for a setting the runtime never had, as when none is configured.
    return (RED.settings as unknown as Record<string, unknown>).contextStorage;
  }
}

/** Parses the settings shared by every learner. @throws SettingError */
export function readLearnerSettings(
  config: LearnerConfig,
  type: SampleNodeType,
  RED?: NodeAPI,
): LearnerSettings {
  let features: string[] | null;
  try {
    features = parseFeatureList(config.features);
  } catch (err) {
    throw new SettingError((err as Error).message);
  }
  const parse = RED ? (path: string) => RED.util.normalisePropertyExpression(path) : undefined;
  const maxDimension = numberSetting(config.maxDimension, 'maxDimension', DEFAULT_MAX_DIMENSION[type], {
    min: 1,
    max: MAX_DIMENSION_SETTING[type],
    integer: true,
  });
  if (features && features.length > maxDimension) {
    throw new SettingError(
      `Features lists ${features.length} names, more than maxDimension (${maxDimension}): list fewer ` +
        `features, or raise "maxDimension" (at most ${MAX_DIMENSION_SETTING[type]} for ${type})`,
    );
  }
  return {
    property: propertySetting(config.property, 'property', 'payload', parse),
    keyProperty: propertySetting(config.keyProperty, 'keyProperty', '', parse),
    features,
    maxKeys: numberSetting(config.maxKeys, 'maxKeys', 1000, {
      min: 1,
      max: LEARNER_LIMITS.maxKeys,
      integer: true,
    }),
    learning: choiceSetting(config.learning, 'learning', ['continuous', 'warmup', 'off'] as const),
    warmupSamples: optionalNumberSetting(config.warmupSamples, 'warmupSamples', {
      min: 1,
      max: LEARNER_LIMITS.warmupSamples,
      integer: true,
    }),
    whileWarmingUp: choiceSetting(config.whileWarmingUp, 'whileWarmingUp', ['drop', 'pass'] as const),
    halfLife: numberSetting(config.halfLife, 'halfLife', 0, { min: 0, max: LEARNER_LIMITS.halfLife }),
    store: storeSetting(config.store, RED ? contextStorage(RED) : undefined),
    maxDimension,
    sharing: readSharingSettings(config),
  };
}

/**
 * The last guard before a result leaves the node: every number a transform writes must be finite.
 * @throws Error naming the value, so that a model that went wrong is an error and not a NaN downstream.
 */
export function checkFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new Error(
        `${what} came out as ${String(values[i])}: the model cannot transform this sample. Nothing was sent; ` +
          'send msg.reset to start the model again if this repeats',
      );
    }
  }
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

/** True when the message carries any control property (then it is consumed without a sample). */
function readControl(msg: Record<string, unknown>): Readonly<Control> | undefined {
  if (
    msg.reset === undefined &&
    msg.learn === undefined &&
    msg.model === undefined &&
    msg.export === undefined &&
    msg.peer === undefined
  ) {
    return undefined;
  }
  const peer = msg.peer;
  if (peer !== undefined && (typeof peer !== 'string' || peer === '')) {
    throw new Error('msg.peer must be the non-empty id of the instance the model comes from');
  }
  if (peer !== undefined && msg.model === undefined) {
    throw new Error('msg.peer names the instance of a model, but the message has no msg.model');
  }
  const reset = readSwitch(msg, 'reset');
  const learn = readSwitch(msg, 'learn');
  const exported = readSwitch(msg, 'export', ['own'] as const);
  return {
    reset: reset === true,
    learn: learn !== false,
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
    settings = readLearnerSettings(config, node.type as SampleNodeType, RED);
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
  private readonly evictions: BurstReport;
  private readonly sharing: Sharing<M>;
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
    this.reader = new SampleReader(settings.features, { maxDimension: settings.maxDimension });
    this.evictions = new BurstReport(
      (text) => node.warn(text),
      (count, latest) =>
        `dropped ${count} more least recently used model${count === 1 ? '' : 's'} (the latest: key ` +
        `${latest}): maxKeys (${settings.maxKeys}) reached`,
    );
    this.models = new ModelStore<M>(
      settings.maxKeys,
      (a, b) => kind.merge(a, b),
      (key) => {
        const shown = JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
        this.evictions.add(
          `dropped the model of key ${shown}, the least recently used: maxKeys (${settings.maxKeys}) reached`,
          shown,
        );
        this.persistence.changed(key);
      },
    );
    this.persistence = new ModelPersistence(node, settings.store, kind.type, (key) => this.serialise(key));
    this.status = new StatusLine(node, () => this.statusText());
    this.sharing = new Sharing<M>(
      node,
      settings.sharing,
      kind.type,
      {
        models: this.models,
        load: (json) => this.loadChecked(json),
        check: (entry, incoming, peer) => this.checkCompatible(entry, incoming, peer),
        changed: (key) => this.persistence.changed(key),
      },
      (messages) => node.send([null, messages]),
    );
    this.persistence.onChanged = (key) => this.sharing.touched(key);

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
      if (err) node.warn(`could not read the saved models, starting fresh: ${err.message}`);
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

  private restore(entries: RestoredEntry[], problems: string[]): void {
    const unreadable = [...problems];
    const misfits: string[] = [];
    for (const entry of entries) {
      const label = entry.key === SINGLE_KEY ? 'the model' : `key ${JSON.stringify(entry.key)}`;
      try {
        const models = [entry.own, ...(entry.peers ?? []).map(([, json]) => json)].map((json) => {
          if (json === undefined) return undefined;
          let model: M;
          try {
            model = this.kind.load(json);
          } catch (err) {
            unreadable.push(`${label}: ${(err as Error).message}`);
            throw err;
          }
          const reason = this.misfit(model);
          if (reason) {
            misfits.push(`${label}: ${reason}`);
            throw new ModelError(reason);
          }
          return model;
        });
        const restored = this.models.obtain(entry.key);
        restored.own = models[0];
        (entry.peers ?? []).forEach(([peer], i) => restored.peers.set(peer, models[i + 1]!));
        restored.changed();
      } catch {
        // Saved again without the model, so that the store holds what is in memory.
        this.persistence.changed(entry.key);
      }
    }
    const list = (items: string[]): string =>
      items.slice(0, 3).join('; ') + (items.length > 3 ? `; and ${items.length - 3} more` : '');
    if (unreadable.length > 0) {
      this.node.warn(
        `saved models that could not be read were not used, starting fresh: ${list(unreadable)}`,
      );
    }
    if (misfits.length > 0) {
      this.node.warn(
        `saved models that do not fit this node's settings were not used, starting fresh: ${list(misfits)}`,
      );
    }
  }

  private serialise(key: string): SavedEntry | undefined {
    const entry = this.models.peek(key);
    if (entry === undefined || (entry.own === undefined && entry.peers.size === 0)) return undefined;
    const saved: SavedEntry = {};
    if (entry.own !== undefined) saved.own = entry.own.toJSON();
    if (entry.peers.size > 0) saved.peers = [...entry.peers].map(([peer, model]) => [peer, model.toJSON()]);
    return saved;
  }

  private handle(msg: NodeMessageInFlow, send: Send, done: Done): void {
    try {
      // Peers' shares and msg.forget are consumed here; every other message is a sample or control.
      if (!this.sharing.receive(msg as unknown as Record<string, unknown>)) this.process(msg, send);
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
    const controls = readControl(fields);
    const control = controls ?? NO_CONTROL;
    const key = this.key ? readKey(this.key, msg) : SINGLE_KEY;
    const value = this.input.get(msg);
    // A message of control properties only is consumed; without any, a missing sample is an error.
    const hasSample = value !== undefined || controls === undefined;

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
    let fitted = false;
    if (learning && entry?.own) {
      let model = entry.own;
      let end = sample.rows.length;
      if (this.settings.learning === 'warmup') end = Math.min(end, this.warmupOf(model) - model.samplesSeen);
      if (end > 0) {
        if (sample.batch) {
          // A batch is fit_transform (DESIGN §4.1): with enough rows it fits at once, warm-up or not.
          fitted = end >= this.kind.batchRows;
          if (fitted && this.kind.forBatch) model = entry.own = this.kind.forBatch(model, end);
          model.learnBatch(sample.rows, 0, end);
        } else {
          model.learnOne(sample.rows[0]);
        }
        entry.changed();
        this.persistence.changed(key);
      }
    }
    const model = entry?.effective();
    const ready =
      model !== undefined &&
      (this.isReady(model) || (fitted && (this.kind.batchReady ? this.kind.batchReady(model) : true)));
    if (ready) {
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
