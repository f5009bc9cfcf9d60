/**
 * Keeping a learner's models in its node context (DESIGN §3.2), so that with a persistent store
 * (`localfilesystem`) they survive a restart or a redeploy.
 *
 * Models are written at most once a second after learning, and on close; only keys that changed
 * since the last write are serialised again.
 */
import type { Node } from 'node-red';

/** The models of one key as saved: this instance's own and each peer's. */
export interface SavedEntry {
  own?: unknown;
  peers?: Record<string, unknown>;
}

/** What is kept in the context store under {@link CONTEXT_KEY}. */
export interface SavedModels {
  version: 1;
  type: string;
  models: Record<string, SavedEntry>;
}

export const CONTEXT_KEY = 'models';
const SAVE_INTERVAL_MS = 1000;

type ContextCallback = (err: Error | null | undefined, value?: unknown) => void;
interface CallbackContext {
  get(key: string, store: string | undefined, callback: ContextCallback): void;
  set(key: string, value: unknown, store: string | undefined, callback: (err?: Error | null) => void): void;
}

export class ModelPersistence {
  private readonly saved: Record<string, SavedEntry> = {};
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private lastWrite = 0;

  /**
   * @param node the owning node (its context is used).
   * @param store context store name; `undefined` for the default store.
   * @param type the node type, recorded with the models.
   * @param serialise the JSON of a key's models now, `undefined` once the key is gone.
   */
  constructor(
    private readonly node: Node,
    private readonly store: string | undefined,
    private readonly type: string,
    private readonly serialise: (key: string) => SavedEntry | undefined,
  ) {}

  private get context(): CallbackContext {
    return this.node.context() as unknown as CallbackContext;
  }

  /** Reads what was saved; `undefined` when nothing was. */
  restore(callback: (err: Error | undefined, saved: SavedModels | undefined) => void): void {
    this.context.get(CONTEXT_KEY, this.store, (err, value) => {
      if (err) return callback(err, undefined);
      const saved = value as SavedModels | undefined;
      if (saved === undefined || saved === null) return callback(undefined, undefined);
      if (
        typeof saved !== 'object' ||
        saved.version !== 1 ||
        typeof saved.models !== 'object' ||
        saved.models === null
      ) {
        return callback(new Error('the saved models are not in a format this version reads'), undefined);
      }
      Object.assign(this.saved, saved.models);
      callback(undefined, saved);
    });
  }

  /** A key's models changed: write them within a second. */
  changed(key: string): void {
    this.dirty.add(key);
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastWrite + SAVE_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.write(() => {});
    }, wait);
  }

  /** Every key changed (after a reset of all keys). */
  changedAll(keys: Iterable<string>): void {
    for (const key of Object.keys(this.saved)) this.changed(key);
    for (const key of keys) this.changed(key);
  }

  /** Writes pending changes now. */
  write(callback: (err?: Error | null) => void): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.dirty.size === 0) return callback();
    for (const key of this.dirty) {
      const entry = this.serialise(key);
      if (entry === undefined) delete this.saved[key];
      else this.saved[key] = entry;
    }
    this.dirty.clear();
    this.lastWrite = Date.now();
    const value: SavedModels = { version: 1, type: this.type, models: { ...this.saved } };
    this.context.set(CONTEXT_KEY, value, this.store, (err) => {
      if (err) this.node.warn(`could not save the models: ${err.message}`);
      callback(err);
    });
  }

  /** Forgets the saved models (the node was removed from the flow). */
  remove(callback: () => void): void {
    this.close();
    this.context.set(CONTEXT_KEY, undefined, this.store, () => callback());
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
