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
import { describeValue } from '../../lib/errors';
import type { ModelHeader } from '../../lib/model';
import { englishOf, type Translate } from './i18n';
import type { ModelEntry, ModelStore, StoredModel } from './model-store';
import { isBlank, SettingError, tableNumber } from './settings';

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
}

/** The sharing settings, parsed. */
export interface SharingSettings {
  instance: string;
  /** Seconds; 0 = off. */
  shareEvery: number;
  prefix: string;
  /** Seconds; 0 = never. */
  peerExpiry: number;
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
  }
  if (model === undefined || model.type !== type || model.instance === undefined) return undefined;
  const { instance, key = '' } = model;
  if (typeof instance !== 'string' || instance === '') {
    throw new Error(t('runtime.sharing.badInstance', { value: describeValue(instance) }));
  }
  if (typeof key !== 'string') {
    throw new Error(t('runtime.sharing.badKey', { value: describeValue(key) }));
  }
  return { instance, key, model };
}

/** What sharing needs of the learner it serves. */
export interface SharingHost<M extends StoredModel & { toJSON(): ModelHeader }> {
  readonly models: ModelStore<M>;
  /** Loads a model and checks it against the node's settings. @throws ModelError */
  load(json: unknown): M;
  /**
   * Checks that a model can be combined with a key's other models: as `peer`'s, or as the own
   * model when `peer` is undefined. @throws ModelError
   */
  check(entry: ModelEntry<M>, incoming: M, peer: string | undefined): void;
  /** A key's models changed (to be saved). */
  changed(key: string): void;
}

/** The share sender and receiver of one learner node. */
export class Sharing<M extends StoredModel & { toJSON(): ModelHeader }> {
  /** Keys whose models changed since they were last looked at. */
  private readonly dirty = new Set<string>();
  /** The own model last shared per key, and its sample count then: unchanged models are not sent again. */
  private readonly shared = new Map<string, { model: M; seen: number }>();
  /** When each peer's share last arrived (Date.now()); restored peers count from the start. */
  private readonly heard = new Map<string, number>();
  /** Keys whose own retained echo was already considered since the start. */
  private readonly echoed = new Set<string>();
  private readonly startedAt = Date.now();
  private lastExpiry = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly node: Node,
    readonly settings: SharingSettings,
    private readonly type: string,
    private readonly host: SharingHost<M>,
    private readonly send: (messages: NodeMessage[]) => void,
    private readonly t: Translate = englishOf(node.type),
  ) {
    this.schedule();
  }

  /** Whether this node sends shares. */
  get active(): boolean {
    return this.settings.shareEvery > 0;
  }

  /** A key's models changed (learned, loaded, reset or evicted). */
  touched(key: string): void {
    if (this.active && !this.closed) this.dirty.add(key);
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
    const model = this.host.load(share.model);
    const { instance, key } = share;
    const entry = this.host.models.peek(key);
    if (instance === this.settings.instance) {
      this.adoptEcho(key, model, entry);
      return true;
    }
    if (entry) this.host.check(entry, model, instance);
    const target = this.host.models.obtain(key);
    target.peers.set(instance, model);
    target.changed();
    this.heard.set(instance, Date.now());
    this.host.changed(key);
    return true;
  }

  /**
   * The own echo is ignored, except the first one of a key after a start, which is the retained
   * share: when it has seen more samples than the model restored from the context store (which
   * may lag behind, localfilesystem writes every 30 s), it is this instance's latest model.
   */
  private adoptEcho(key: string, model: M, entry: ModelEntry<M> | undefined): void {
    if (this.echoed.has(key)) return;
    // Bounded like the keys themselves: past that many, a key's later echoes are only ignored.
    if (this.echoed.size < MAX_ECHOED) this.echoed.add(key);
    if (entry?.own !== undefined && entry.own.samplesSeen >= model.samplesSeen) return;
    if (entry) this.host.check(entry, model, undefined);
    const target = this.host.models.obtain(key);
    target.own = model;
    target.changed();
    this.shared.set(key, { model, seen: model.samplesSeen });
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
      more = this.shareDirty();
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

  /** Sends up to {@link SHARES_PER_TICK} changed own models. @returns whether keys remain. */
  private shareDirty(): boolean {
    if (!this.active) return false;
    const out: NodeMessage[] = [];
    for (const key of this.dirty) {
      if (out.length >= SHARES_PER_TICK) break;
      this.dirty.delete(key);
      const own = this.host.models.peek(key)?.own;
      if (own === undefined) {
        this.shared.delete(key);
        continue;
      }
      const last = this.shared.get(key);
      if (last && last.model === own && last.seen === own.samplesSeen) continue;
      let payload: Record<string, unknown>;
      try {
        payload = { ...own.toJSON(), instance: this.settings.instance, key };
      } catch (err) {
        this.node.error(
          this.t('runtime.sharing.failedKey', { key: JSON.stringify(key), message: (err as Error).message }),
        );
        continue;
      }
      this.shared.set(key, { model: own, seen: own.samplesSeen });
      out.push({
        topic: shareTopic(this.settings.prefix, this.settings.instance, key),
        payload,
        retain: true,
        qos: 1,
      } as NodeMessage);
    }
    if (out.length > 0) this.send(out);
    return this.dirty.size > 0;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
