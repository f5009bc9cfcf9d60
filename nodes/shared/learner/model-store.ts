/**
 * The models of one learner node, one per key, bounded by `maxKeys` (least recently used evicted).
 *
 * Each key keeps this instance's own model apart from the latest model received from each peer
 * instance (docs/architecture.md, "Several instances"): the node learns into its own model and transforms with own ⊕ peers, so a
 * peer that republishes its cumulative model replaces its earlier contribution instead of adding
 * to it, and `export = "own"` can publish exactly what this instance learned.
 */
import type { Node } from 'node-red';
import type { Translate } from '../i18n';
import { quoteKey } from '../message';
import { BurstReport } from '../throttle';

/** What the store needs of a model. */
export interface StoredModel {
  readonly samplesSeen: number;
}

/** The peers' models of one key: any change drops the cached combination of them. */
class PeerModels<M> extends Map<string, M> {
  onChange: (() => void) | undefined;

  override set(peer: string, model: M): this {
    super.set(peer, model);
    this.onChange?.();
    return this;
  }

  override delete(peer: string): boolean {
    const deleted = super.delete(peer);
    if (deleted) this.onChange?.();
    return deleted;
  }

  override clear(): void {
    super.clear();
    this.onChange?.();
  }
}

/** The models of one key. */
/** Most peers a key keeps models of (instances sharing one stream; docs/limits.md). */
export const MAX_PEERS = 1000;

export class ModelEntry<M extends StoredModel> {
  own: M | undefined;
  readonly peers: Map<string, M> = new PeerModels<M>();
  private combined: M | undefined;
  /**
   * Every peer's model combined, kept until a peer's model changes: the own model changes with
   * every sample, the peers' only when a share arrives, so a sample costs one merge, whatever
   * the number of peers.
   */
  private peersCombined: M | undefined;
  /** Whether `combined` lags behind learning or a share, and when it was built (Date.now()). */
  private stale = false;
  private builtAt = 0;

  /**
   * @param rebuildMs how long the combined model may lag behind the own model's learning and the
   *   peers' shares (the share interval: peers' models are that old anyway); 0: never.
   */
  constructor(
    private readonly merge: (a: M, b: M) => M,
    own?: M,
    private readonly rebuildMs = 0,
  ) {
    this.own = own;
    (this.peers as PeerModels<M>).onChange = () => {
      this.peersCombined = undefined;
      this.lags();
    };
  }

  /**
   * The model to transform with: own ⊕ every peer's; `undefined` when there is none yet. With a
   * rebuild interval, rebuilt at most once per interval after learning or a share (a merge, and
   * for PCA an eigen-decomposition, per sample would cost more than learning it).
   */
  effective(): M | undefined {
    if (this.peers.size === 0) return this.own;
    if (this.combined === undefined || (this.stale && Date.now() - this.builtAt >= this.rebuildMs)) {
      this.rebuild();
    }
    return this.combined;
  }

  /** own ⊕ every peer's, up to date with every sample learned and share received (for export). */
  current(): M | undefined {
    if (this.stale) this.combined = undefined;
    return this.effective();
  }

  private rebuild(): void {
    if (this.peersCombined === undefined) {
      let peers: M | undefined;
      for (const peer of this.peers.values()) peers = peers === undefined ? peer : this.merge(peers, peer);
      this.peersCombined = peers;
    }
    // The own model first: a k-means merge keeps the cluster numbering of its first model.
    this.combined = this.own === undefined ? this.peersCombined : this.merge(this.own, this.peersCombined!);
    this.stale = false;
    this.builtAt = Date.now();
  }

  /**
   * The models a model would be merged with, kept as the own model (`peer` undefined) or as the
   * model of instance `peer`: the other models of the key, which it would not replace.
   */
  partners(peer: string | undefined): M[] {
    const partners = [...this.peers].filter(([id]) => id !== peer).map(([, model]) => model);
    if (peer !== undefined && this.own !== undefined) partners.unshift(this.own);
    return partners;
  }

  /** Call after the own model was replaced, or a peer's model changed: the next use rebuilds. */
  changed(): void {
    this.combined = undefined;
  }

  /** Call after the own model learned: the combined model follows within the rebuild interval. */
  learned(): void {
    this.lags();
  }

  private lags(): void {
    if (this.rebuildMs === 0) this.combined = undefined;
    else this.stale = true;
  }
}

/** Keyed models with least-recently-used eviction. */
export class ModelStore<M extends StoredModel> {
  private readonly entries = new Map<string, ModelEntry<M>>();
  /** Keys made by peers' shares, oldest first (some may have learned since or gone). */
  private readonly shareMade = new Set<string>();

  /**
   * @param maxKeys most keys kept.
   * @param merge combines two models of one key (for peers).
   * @param evicted told of each key dropped to stay within `maxKeys`.
   */
  constructor(
    private readonly maxKeys: number,
    private readonly merge: (a: M, b: M) => M,
    private readonly evicted: (key: string) => void,
    private readonly rebuildMs = 0,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry of `key`, marked as most recently used; `undefined` when there is none. */
  get(key: string): ModelEntry<M> | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined && this.entries.size > 1) {
      // Map iteration follows insertion order, so re-inserting makes this key the newest.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** The entry of `key` without marking it as used (for saving and status). */
  peek(key: string): ModelEntry<M> | undefined {
    return this.entries.get(key);
  }

  /**
   * The entry of `key`, created when missing. At `maxKeys`, the oldest key that only shares made
   * (no own model) goes first, else the least recently used.
   */
  obtain(key: string): ModelEntry<M> {
    const existing = this.get(key);
    if (existing !== undefined) return existing;
    if (this.entries.size >= this.maxKeys) {
      const oldest = this.oldestShareMade() ?? (this.entries.keys().next().value as string);
      this.entries.delete(oldest);
      this.evicted(oldest);
    }
    const entry = new ModelEntry<M>(this.merge, undefined, this.rebuildMs);
    this.entries.set(key, entry);
    return entry;
  }

  /**
   * The entry of `key` for a peer's share: created when missing, but only by evicting a key that
   * holds no own model, so that shares can never push out what this instance learned from data.
   * @returns `undefined` when every key holds an own model and there is no room.
   */
  obtainForShare(key: string): ModelEntry<M> | undefined {
    if (this.entries.has(key)) return this.get(key);
    if (this.entries.size >= this.maxKeys && this.oldestShareMade() === undefined) return undefined;
    const entry = this.obtain(key);
    // Bounded: keys reset or learned since leave the set at twice maxKeys, at most once per maxKeys.
    if (this.shareMade.size >= 2 * this.maxKeys) {
      for (const made of this.shareMade)
        if (this.entries.get(made)?.own !== undefined || !this.entries.has(made)) this.shareMade.delete(made);
    }
    this.shareMade.add(key);
    return entry;
  }

  /**
   * The oldest key made by a share that still has no own model. Keys that learned since, or
   * went, leave the set as they are met, so each costs one step once.
   */
  private oldestShareMade(): string | undefined {
    for (const key of this.shareMade) {
      if (this.entries.get(key)?.own === undefined && this.entries.has(key)) return key;
      this.shareMade.delete(key);
    }
    return undefined;
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.shareMade.clear();
  }

  /** Every key and entry, least recently used first. */
  [Symbol.iterator](): IterableIterator<[string, ModelEntry<M>]> {
    return this.entries.entries();
  }
}

/** Warns about models dropped at `maxKeys`, one line per burst. */
export interface EvictionReport {
  /** The least recently used model of `key` was dropped. */
  add(key: string): void;
  /** Writes what is pending (the node closes). */
  close(): void;
}

/** An {@link EvictionReport} that warns on `node`. */
export function evictionReport(node: Node, maxKeys: number, t: Translate): EvictionReport {
  const burst = new BurstReport(
    (text) => node.warn(text),
    (count, key) =>
      t(count === 1 ? 'runtime.warnings.evictedMoreOne' : 'runtime.warnings.evictedMore', {
        count,
        key,
        maxKeys,
      }),
  );
  return {
    add(key) {
      const shown = quoteKey(key);
      burst.add(t('runtime.warnings.evicted', { key: shown, maxKeys }), shown);
    },
    close: () => burst.close(),
  };
}
