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

  constructor(
    private readonly merge: (a: M, b: M) => M,
    own?: M,
  ) {
    this.own = own;
    (this.peers as PeerModels<M>).onChange = () => {
      this.peersCombined = undefined;
      this.combined = undefined;
    };
  }

  /** The model to transform with: own ⊕ every peer's; `undefined` when there is none yet. */
  effective(): M | undefined {
    if (this.peers.size === 0) return this.own;
    if (this.combined === undefined) {
      if (this.peersCombined === undefined) {
        let peers: M | undefined;
        for (const peer of this.peers.values()) peers = peers === undefined ? peer : this.merge(peers, peer);
        this.peersCombined = peers;
      }
      // The own model first: a k-means merge keeps the cluster numbering of its first model.
      this.combined = this.own === undefined ? this.peersCombined : this.merge(this.own, this.peersCombined!);
    }
    return this.combined;
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

  /** Call after the own model learned or was replaced, or a peer's model changed. */
  changed(): void {
    this.combined = undefined;
  }
}

/** Keyed models with least-recently-used eviction. */
export class ModelStore<M extends StoredModel> {
  private readonly entries = new Map<string, ModelEntry<M>>();

  /**
   * @param maxKeys most keys kept.
   * @param merge combines two models of one key (for peers).
   * @param evicted told of each key dropped to stay within `maxKeys`.
   */
  constructor(
    private readonly maxKeys: number,
    private readonly merge: (a: M, b: M) => M,
    private readonly evicted: (key: string) => void,
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

  /** The entry of `key`, created (and the oldest key evicted if needed) when missing. */
  obtain(key: string): ModelEntry<M> {
    const existing = this.get(key);
    if (existing !== undefined) return existing;
    if (this.entries.size >= this.maxKeys) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.evicted(oldest);
    }
    const entry = new ModelEntry<M>(this.merge);
    this.entries.set(key, entry);
    return entry;
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
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
