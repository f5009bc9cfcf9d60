/**
 * Model sharing between several Node-RED instances that each see part of one stream (docs/scale-out.md).
 *
 * Every `shareEvery` seconds the learner sends on its second output the own model of each key
 * that changed since the last share, addressed for a core `mqtt out` as a retained QoS 1 message
 * on `<prefix>/<instance>/<key>`. A core `mqtt in` on `<prefix>/+/#` wired back into the learner
 * delivers the peers' shares: a model JSON of the node's type whose header names an `instance`
 * replaces that instance's previous contribution for its key, so republishing a cumulative model
 * never counts a sample twice. The broker is the distributed engine: it spreads the stream over
 * the instances (shared subscription) and keeps each instance's last share (retained), which is
 * how a restarted or a new instance gets its peers back.
 *
 * Nothing here throws out of a timer: a failing share is reported through `node.error`. A tick
 * sends at most {@link SHARES_PER_TICK} keys; the rest follow in the next ticks, right away.
 */
import * as os from 'node:os';
import type { Node, NodeMessage } from 'node-red';
import { describeValue } from '../../../lib/errors';
import type { ModelHeader } from '../../../lib/model';
import { englishOf, type Translate } from '../i18n';
import { booleanSetting, isBlank, SettingError, tableNumber } from '../settings';
import { BurstReport } from '../throttle';
import { snapshotOf } from './learner-kind';
import { MAX_PEERS, type ModelEntry, type ModelStore, type StoredModel } from './model-store';
import {
  implausible,
  SEQUENCE_FIELD,
  signatureProblem,
  signShare,
  SIGNATURE_FIELD,
  type PeerRecord,
} from './share-trust';

/** The sharing settings of the editor; any may be absent. */
export interface SharingConfig {
  /** This instance's id; blank: env `STREAM_ML_INSTANCE`, else the host name. */
  instance?: string;
  /** Seconds between shares; 0 or blank: no sharing. */
  shareEvery?: number | string;
  /** First topic levels of the shares; blank: {@link DEFAULT_PREFIX}. */
  sharePrefix?: string;
  /** Seconds after which a silent peer's contribution is dropped; 0 or blank: never. */
  peerExpiry?: number | string;
  /** Whether the input carries peers' shares; off: a model JSON on the input is a bad sample. */
  receiveShares?: boolean | string;
}

/** The credentials of a learner: the fleet's optional shared secret that signs shares. */
export interface SharingCredentials {
  shareSecret?: string;
}

/** The credential a learner registers with Node-RED (kept out of the flow file). */
export const SHARING_CREDENTIALS = { shareSecret: { type: 'password' } } as const;

/** The sharing settings, parsed. */
export interface SharingSettings {
  instance: string;
  /** Seconds; 0 = off. */
  shareEvery: number;
  prefix: string;
  /** Seconds; 0 = never. */
  peerExpiry: number;
  /** Whether the input carries peers' shares. */
  receive: boolean;
}

export const DEFAULT_PREFIX = 'stream-ml/models';
/** The topic level of the model of a node without keys. */
export const DEFAULT_KEY_LEVEL = '_';
/** Most keys shared in one timer tick. */
export const SHARES_PER_TICK = 100;
/** The longest instance name (the bounds of the numeric settings are in lib/settings.ts). */
const MAX_INSTANCE_LENGTH = 200;
/** Keys whose first own echo is remembered (as many as a node may keep). */
const MAX_ECHOED = 1_000_000;
/** How often expiry is checked when nothing is shared, at most. */
const EXPIRY_CHECK_MS = 60_000;

/** Any learner's catalog holds the shared learner messages (the build merges them into each). */
const LEARNER_FOR_MESSAGES = 'ml-standardize' as const;

/** The instance id when the setting is blank: env `STREAM_ML_INSTANCE`, else the host name. */
export function defaultInstance(env: NodeJS.ProcessEnv = process.env, hostname = os.hostname): string {
  const fromEnv = env.STREAM_ML_INSTANCE?.trim();
  return fromEnv ? fromEnv : hostname();
}

/** Checks a name that becomes one or more MQTT topic levels. @throws SettingError */
function topicSetting(value: string, name: string, levels: 'one' | 'many', t: Translate): string {
  if (value.length > MAX_INSTANCE_LENGTH) {
    throw new SettingError(t('runtime.sharing.tooLong', { name, max: MAX_INSTANCE_LENGTH }));
  }
  if (/[+#\0]/.test(value) || (levels === 'one' && value.includes('/'))) {
    const key = levels === 'one' ? 'notALevel' : 'notLevels';
    throw new SettingError(t(`runtime.sharing.${key}`, { name, value: JSON.stringify(value) }));
  }
  if (levels === 'many' && (value.startsWith('/') || value.endsWith('/') || value.includes('//'))) {
    throw new SettingError(t('runtime.sharing.slashes', { name, value: JSON.stringify(value) }));
  }
  return value;
}

/**
 * Parses the sharing settings.
 * @throws SettingError naming the setting.
 */
export function readSharingSettings(
  config: SharingConfig,
  {
    t = englishOf(LEARNER_FOR_MESSAGES),
    env = process.env,
    hostname = os.hostname,
  }: { t?: Translate; env?: NodeJS.ProcessEnv; hostname?: () => string } = {},
): SharingSettings {
  for (const name of ['instance', 'sharePrefix'] as const) {
    if (!isBlank(config[name]) && typeof config[name] !== 'string') {
      throw new SettingError(t('runtime.sharing.notText', { name }));
    }
  }
  const instance = isBlank(config.instance) ? defaultInstance(env, hostname) : config.instance!.trim();
  const prefix = isBlank(config.sharePrefix) ? DEFAULT_PREFIX : config.sharePrefix!.trim();
  return {
    instance: topicSetting(instance, 'instance', 'one', t),
    // Every learner has the same sharing bounds.
    shareEvery: tableNumber(config.shareEvery, LEARNER_FOR_MESSAGES, 'shareEvery', t),
    prefix: topicSetting(prefix, 'sharePrefix', 'many', t),
    peerExpiry: tableNumber(config.peerExpiry, LEARNER_FOR_MESSAGES, 'peerExpiry', t),
    receive: booleanSetting(config.receiveShares, 'receiveShares', false, t),
  };
}

/** The topic of a share: `<prefix>/<instance>/<key>`, the key URI-encoded, `_` for no key. */
export function shareTopic(prefix: string, instance: string, key: string): string {
  return `${prefix}/${instance}/${key === '' ? DEFAULT_KEY_LEVEL : encodeURIComponent(key)}`;
}

/** A peer's share as read from a message. */
export interface Share {
  instance: string;
  key: string;
  model: Record<string, unknown>;
  /** The topic it arrived on, when it came as `msg.payload` on a message with a topic. */
  topic: string | undefined;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Reads a share from a message: `msg.model`, or `msg.payload` (an object, or JSON text or a
 * buffer on a topic under `prefix`, as a core `mqtt in` delivers it), that is a model of `type`
 * with an `instance` header. `msg.peer` messages are not shares (they name the peer themselves).
 * @returns `undefined` when the message is not a share.
 * @throws Error when it is one with a bad `instance` or `key` header.
 */
export function readShare(
  msg: Record<string, unknown>,
  type: string,
  prefix: string,
  t: Translate = englishOf(type),
): Share | undefined {
  if (msg.peer !== undefined) return undefined;
  let model = asObject(msg.model);
  let topic: string | undefined;
  if (model?.instance === undefined) {
    model = asObject(msg.payload);
    const raw = msg.payload;
    if (
      model === undefined &&
      (typeof raw === 'string' || Buffer.isBuffer(raw)) &&
      typeof msg.topic === 'string' &&
      msg.topic.startsWith(`${prefix}/`)
    ) {
      try {
        model = asObject(JSON.parse(raw.toString()));
      } catch {
        model = undefined;
      }
    }
    if (typeof msg.topic === 'string') topic = msg.topic;
  }
  if (model === undefined || model.type !== type || model.instance === undefined) return undefined;
  const { instance, key = '' } = model;
  if (typeof instance !== 'string' || instance === '') {
    throw new Error(t('runtime.sharing.badInstance', { value: describeValue(instance) }));
  }
  if (typeof key !== 'string') {
    throw new Error(t('runtime.sharing.badKey', { value: describeValue(key) }));
  }
  return { instance, key, model, topic };
}

/** What sharing needs of the learner it serves. */
export interface SharingHost<M extends StoredModel & { toJSON(): ModelHeader }> {
  readonly models: ModelStore<M>;
  /** Whether the node keeps a model per key; without, every share must be of key "". */
  readonly keyed: boolean;
  /** Loads a model and checks it against the node's settings. @throws ModelError */
  load(json: unknown): M;
  /**
   * Checks that a model can be combined with a key's other models: as `peer`'s, or as the own
   * model when `peer` is undefined. @throws ModelError
   */
  check(entry: ModelEntry<M>, incoming: M, peer: string | undefined): void;
  /** A key's models changed (to be saved). */
  changed(key: string): void;
  /** Renumbers the own model after the key's senior model (k-means); see {@link LearnerKind}. */
  align?(own: M, reference: M): boolean;
}

/**
 * The senior model of a key, whose numbering the fleet follows: the one that has seen the most
 * samples, ties to the smallest instance id. Every instance holding the same models picks the
 * same one; a joining instance, with fewer samples, adopts the fleet's numbering, and the fleet's
 * does not change.
 */
export function seniorOf<M extends StoredModel>(models: Iterable<[string, M]>): [string, M] | undefined {
  let senior: [string, M] | undefined;
  for (const [id, model] of models) {
    if (
      senior === undefined ||
      model.samplesSeen > senior[1].samplesSeen ||
      (model.samplesSeen === senior[1].samplesSeen && id < senior[0])
    ) {
      senior = [id, model];
    }
  }
  return senior;
}

/** The share sender and receiver of one learner node. */
export class Sharing<M extends StoredModel & { toJSON(): ModelHeader }> {
  /** Keys still to send in this round: every key with an own model, once per share interval. */
  private round: string[] = [];
  /** The sample count of the own model last shared per key: its echo is not a claim on this instance. */
  private readonly shared = new Map<string, number>();
  /** When each peer's share last arrived (Date.now()); restored peers count from the start. */
  private readonly heard = new Map<string, number>();
  /** Keys whose own retained echo was already considered since the start. */
  private readonly echoed = new Set<string>();
  /** What was believed of each peer model (its peer's high count, when, its sequence number). */
  private readonly records = new WeakMap<M, PeerRecord>();
  private readonly secret: string | undefined;
  /** The sequence number of the last signed share: increasing, also across restarts (a clock). */
  private seq = 0;
  private readonly startedAt = Date.now();
  private lastExpiry = Date.now();
  private lastPrune = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Shares refused or doubted without an error to the flow: one warning line per burst. */
  private readonly doubts: BurstReport;

  constructor(
    private readonly node: Node,
    readonly settings: SharingSettings,
    private readonly type: string,
    private readonly host: SharingHost<M>,
    private readonly send: (messages: NodeMessage[]) => void,
    private readonly t: Translate = englishOf(node.type),
  ) {
    const secret = (node as Node & { credentials?: SharingCredentials }).credentials?.shareSecret;
    this.secret = typeof secret === 'string' && secret !== '' ? secret : undefined;
    this.doubts = new BurstReport(
      (text) => node.warn(text),
      (count, latest) => this.t('runtime.sharing.doubtsMore', { count, latest }),
    );
    this.schedule();
  }

  /** Whether this node sends shares. */
  get active(): boolean {
    return this.settings.shareEvery > 0;
  }

  /**
   * Handles a peer's share or `msg.forget`.
   * @returns true when the message was one (then it is consumed), false for any other message.
   * @throws Error or ModelError when it is a bad one; nothing changed then.
   */
  receive(msg: Record<string, unknown>): boolean {
    if (msg.forget !== undefined) {
      this.forget(msg.forget);
      return true;
    }
    const share = readShare(msg, this.type, this.settings.prefix, this.t);
    if (share === undefined) return false;
    const { instance, key, topic } = share;
    const named = { peer: JSON.stringify(instance), key: JSON.stringify(key) };
    // Data and shares never meet by accident: a model on a data input is a bad sample.
    if (!this.settings.receive) throw new Error(this.t('runtime.sharing.notReceiving', named));
    // The topic binds a share to its instance: a broker ACL on the share topics then guards identity.
    const expected = shareTopic(this.settings.prefix, instance, key);
    if (topic !== undefined && topic !== expected) {
      throw new Error(
        this.t('runtime.sharing.wrongTopic', { ...named, topic: JSON.stringify(topic), expected }),
      );
    }
    if (!this.host.keyed && key !== '') throw new Error(this.t('runtime.sharing.keyless', named));
    const seq = this.verify(share.model, named);
    const model = this.host.load(share.model);
    const entry = this.host.models.peek(key);
    if (instance === this.settings.instance) {
      this.ownEcho(key, model, entry, seq !== undefined);
      return true;
    }
    const previous = entry?.peers.get(instance);
    // A peer restored from the context store has no record: how long ago its count held is not
    // known (the node may have been down for hours), so its first share is judged as a new peer's.
    const record = previous === undefined ? undefined : this.records.get(previous);
    // A replay of an older signed share, or the repeat of an unchanged model, changes nothing.
    if (seq !== undefined && record !== undefined && seq <= record.seq) return true;
    const now = Date.now();
    if (previous !== undefined && record !== undefined && previous.samplesSeen === model.samplesSeen) {
      this.heard.set(instance, now);
      this.records.set(previous, { ...record, at: now, seq: seq ?? record.seq });
      if (entry) this.align(key, entry);
      return true;
    }
    const problem = implausible(
      model.samplesSeen,
      record,
      this.restOf(entry, instance),
      this.settings.shareEvery,
      now,
    );
    if (problem) {
      const text = this.t(`runtime.sharing.${problem.reason}`, { ...named, ...problem.vars });
      // A signed share comes from a holder of the secret: it is believed, with a warning.
      if (seq === undefined || problem.reason === 'tooMany') throw new Error(text);
      this.doubts.add(text, text);
    }
    const room = (): void => this.roomForInstance(instance, named, now);
    if (entry) this.checkWithRoom(entry, model, instance, now, room);
    else room();
    const target = entry ?? this.host.models.obtainForShare(key);
    if (target === undefined) throw new Error(this.t('runtime.sharing.noRoom', named));
    target.peers.set(instance, model);
    this.align(key, target);
    this.records.set(model, {
      high: Math.max(record?.high ?? 0, model.samplesSeen),
      at: now,
      seq: seq ?? -1,
    });
    this.heard.set(instance, now);
    this.host.changed(key);
    return true;
  }

  /** Renumbers the own model after the key's senior model, when that is a peer's. */
  private align(key: string, entry: ModelEntry<M>): void {
    const own = entry.own;
    if (this.host.align === undefined || own === undefined) return;
    const senior = seniorOf<M>([[this.settings.instance, own], ...entry.peers]);
    if (senior === undefined || senior[1] === own || !this.host.align(own, senior[1])) return;
    entry.changed();
    this.host.changed(key);
  }

  /**
   * With a secret, a share must carry its valid signature. @returns its sequence number when
   * signed (and the signature holds), `undefined` without a secret. @throws Error
   */
  private verify(share: Record<string, unknown>, named: Record<string, string>): number | undefined {
    if (this.secret === undefined) return undefined;
    const problem = signatureProblem(this.secret, share);
    if (problem) throw new Error(this.t(`runtime.sharing.${problem}`, named));
    return share[SEQUENCE_FIELD] as number;
  }

  /** The samples of a key's models other than `instance`'s. */
  private restOf(entry: ModelEntry<M> | undefined, instance: string): number {
    if (entry === undefined) return 0;
    let rest = entry.own?.samplesSeen ?? 0;
    for (const [peer, model] of entry.peers) if (peer !== instance) rest += model.samplesSeen;
    return rest;
  }

  /**
   * Checks a share against the key's other models. A key full of peers makes room for a new one
   * by dropping a peer not heard from for three share intervals (a live peer republishes every
   * interval), so made-up ids cannot keep a real new instance out for longer than that; the
   * dropped peer comes back when the share is refused after all (by `room`, say).
   * @throws ModelError or Error
   */
  private checkWithRoom(
    entry: ModelEntry<M>,
    model: M,
    instance: string,
    now: number,
    room: () => void,
  ): void {
    let stalest: string | undefined;
    if (!entry.peers.has(instance) && entry.peers.size >= MAX_PEERS && this.active) {
      let oldest = now - 3 * this.settings.shareEvery * 1000;
      for (const peer of entry.peers.keys()) {
        const at = this.heard.get(peer) ?? this.startedAt;
        if (at < oldest) [stalest, oldest] = [peer, at];
      }
    }
    const stale = stalest === undefined ? undefined : entry.peers.get(stalest);
    if (stale !== undefined) entry.peers.delete(stalest!);
    try {
      this.host.check(entry, model, instance);
      room();
    } catch (err) {
      if (stale !== undefined) entry.peers.set(stalest!, stale);
      throw err;
    }
  }

  /** At most {@link MAX_PEERS} instances are known at once, over every key. @throws Error */
  private roomForInstance(instance: string, named: Record<string, string>, now: number): void {
    if (this.heard.has(instance) || this.heard.size < MAX_PEERS) return;
    // Instances whose contributions all went (forgotten, expired, evicted keys) are forgotten too.
    if (now - this.lastPrune >= 1000) {
      this.lastPrune = now;
      const live = new Set<string>();
      for (const [, entry] of this.host.models) for (const peer of entry.peers.keys()) live.add(peer);
      for (const peer of this.heard.keys()) if (!live.has(peer)) this.heard.delete(peer);
    }
    if (this.heard.size >= MAX_PEERS) {
      throw new Error(this.t('runtime.sharing.tooManyInstances', { ...named, max: MAX_PEERS }));
    }
  }

  /**
   * The own echo is ignored. Only a signed one can stand for this instance: the first one of a key
   * after a start, which is the retained share, replaces the restored own model when it has seen
   * more samples (the context store may lag behind, localfilesystem writes every 30 s). An
   * unsigned share that claims this instance's id with more samples than it has is reported.
   */
  private ownEcho(key: string, model: M, entry: ModelEntry<M> | undefined, signed: boolean): void {
    const first = !this.echoed.has(key);
    // Bounded like the keys themselves: past that many, a key's later echoes are only ignored.
    if (first && this.echoed.size < MAX_ECHOED) this.echoed.add(key);
    const own = entry?.own?.samplesSeen ?? 0;
    if (model.samplesSeen <= own || model.samplesSeen === this.shared.get(key)) return;
    if (!(first && signed)) {
      const vars = { key: JSON.stringify(key), count: model.samplesSeen, own };
      const text = this.t(signed ? 'runtime.sharing.selfClaimLate' : 'runtime.sharing.selfClaim', {
        ...vars,
        instance: JSON.stringify(this.settings.instance),
      });
      this.doubts.add(text, text);
      return;
    }
    if (entry) this.host.check(entry, model, undefined);
    const target = this.host.models.obtainForShare(key);
    if (target === undefined) return;
    target.own = model;
    target.changed();
    this.shared.set(key, model.samplesSeen);
    this.host.changed(key);
  }

  private forget(value: unknown): void {
    if (typeof value !== 'string' || value === '') {
      throw new Error(this.t('runtime.sharing.forgetBad', { value: describeValue(value) }));
    }
    if (value === this.settings.instance) {
      throw new Error(this.t('runtime.sharing.forgetSelf', { value: JSON.stringify(value) }));
    }
    this.heard.delete(value);
    this.dropPeer((peer) => peer === value);
  }

  /** Drops the contributions of the peers `drop` picks, in every key. */
  private dropPeer(drop: (peer: string) => boolean): void {
    for (const [key, entry] of this.host.models) {
      let dropped = false;
      for (const peer of [...entry.peers.keys()]) {
        if (drop(peer)) dropped = entry.peers.delete(peer) || dropped;
      }
      if (dropped) {
        entry.changed();
        this.host.changed(key);
      }
    }
  }

  private schedule(wait?: number): void {
    if (this.closed || this.timer !== undefined) return;
    const every = this.settings.shareEvery * 1000;
    const expiry = this.settings.peerExpiry * 1000;
    if (every === 0 && expiry === 0) return;
    const next = wait ?? (every > 0 ? every : Math.min(EXPIRY_CHECK_MS, Math.max(1000, expiry / 4)));
    this.timer = setTimeout(() => this.tick(), next);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.closed) return;
    let more = false;
    try {
      this.expire();
      more = this.shareRound();
    } catch (err) {
      this.node.error(this.t('runtime.sharing.failed', { message: (err as Error).message }));
    }
    this.schedule(more ? 0 : undefined);
  }

  private expire(): void {
    const expiry = this.settings.peerExpiry * 1000;
    const now = Date.now();
    if (expiry === 0 || now - this.lastExpiry < Math.min(EXPIRY_CHECK_MS, expiry / 4)) return;
    this.lastExpiry = now;
    const expired = new Set<string>();
    this.dropPeer((peer) => {
      if (now - (this.heard.get(peer) ?? this.startedAt) <= expiry) return false;
      expired.add(peer);
      return true;
    });
    for (const peer of expired) this.heard.delete(peer);
    if (expired.size > 0) {
      this.node.warn(
        this.t('runtime.sharing.expired', {
          peers: [...expired].map((p) => JSON.stringify(p)).join(', '),
          seconds: this.settings.peerExpiry,
        }),
      );
    }
  }

  /**
   * Sends up to {@link SHARES_PER_TICK} own models of this round. A round sends every key with an
   * own model, changed or not, once per share interval: the broker may have lost the retained
   * shares (a restart without persistence), and an instance started afterwards hears every live
   * peer within two intervals. @returns whether keys remain in the round.
   */
  private shareRound(): boolean {
    if (!this.active) return false;
    if (this.round.length === 0) {
      for (const key of this.shared.keys())
        if (this.host.models.peek(key)?.own === undefined) this.shared.delete(key);
      for (const [key, entry] of this.host.models) if (entry.own !== undefined) this.round.push(key);
    }
    const out: NodeMessage[] = [];
    while (this.round.length > 0 && out.length < SHARES_PER_TICK) {
      const key = this.round.pop()!;
      const own = this.host.models.peek(key)?.own;
      if (own === undefined) {
        this.shared.delete(key);
        continue;
      }
      let payload: Record<string, unknown>;
      try {
        payload = { ...snapshotOf(own), instance: this.settings.instance, key };
        if (this.secret !== undefined) {
          this.seq = Math.max(this.seq + 1, Date.now());
          payload[SEQUENCE_FIELD] = this.seq;
          payload[SIGNATURE_FIELD] = signShare(this.secret, payload);
        }
      } catch (err) {
        this.node.error(
          this.t('runtime.sharing.failedKey', { key: JSON.stringify(key), message: (err as Error).message }),
        );
        continue;
      }
      this.shared.set(key, own.samplesSeen);
      out.push({
        topic: shareTopic(this.settings.prefix, this.settings.instance, key),
        payload,
        retain: true,
        qos: 1,
      } as NodeMessage);
    }
    if (out.length > 0) this.send(out);
    return this.round.length > 0;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.doubts.close();
  }
}
