/**
 * Keeping a learner's models in its node context (docs/architecture.md, "Persistence"), so that with a persistent store
 * (`localfilesystem`) they survive a restart or a redeploy.
 *
 * Each model key has its own context entry, `model:<key>` (the key escaped so that no key, not
 * even `__proto__` or `a.b`, can be read as a property path), holding the entry's JSON as one
 * string: a store that writes its whole scope as indented JSON then copies one string per key
 * instead of formatting every number, and the size of what is stored is known exactly.
 *
 * Only keys that changed are written, at most once a second, and a round of writes is cut into
 * ticks of at most {@link KEYS_PER_TICK} keys or {@link TICK_BUDGET_MS}, so that a thousand
 * learning keys never stall the event loop for long; when a round takes long, the next one waits
 * four times as long, so saving never takes more than a fifth of the time. Nothing here throws out of a timer: a model
 * that cannot be serialised, or is too large to store, is reported through `node.error` and kept
 * in memory.
 */
import type { Node } from 'node-red';
import { englishOf, type Translate } from '../i18n';
import { quoteKey } from '../message';
import { BurstReport } from '../throttle';

/** The models of one key as saved: this instance's own and each peer's (as pairs: ids are data). */
export interface SavedEntry {
  own?: unknown;
  peers?: Array<[string, unknown]>;
}

/** A saved entry as read back, with its key. */
export interface RestoredEntry extends SavedEntry {
  key: string;
}

/** Prefix of the context entries holding models. */
export const ENTRY_PREFIX = 'model:';
/** Where version 0.1.0 kept every key's models in one entry; read once, then deleted. */
export const LEGACY_KEY = 'models';
/** Version of the saved entry format. */
const FORMAT = 2;
const SAVE_INTERVAL_MS = 1000;
/** Most keys serialised in one timer tick; the rest of a round follows in later ticks. */
export const KEYS_PER_TICK = 50;
/** Rounds are spaced so that the pause after one is at least this many times its work. */
const WORK_SHARE = 4;
/** A tick stops early once it has worked this long. */
const TICK_BUDGET_MS = 20;
/**
 * Largest entry stored, in characters of JSON, and largest total per node: a store that writes a
 * scope as one string (localfilesystem) fails with "Invalid string length" near 2^29 characters,
 * which would end Node-RED from inside the store's own timer.
 */
export const MAX_ENTRY_CHARS = 64 * 1024 * 1024;
export const MAX_TOTAL_CHARS = 256 * 1024 * 1024;

/**
 * The context entry name of a model key: characters other than letters, digits, `_` and `-` are
 * escaped as `%XX` (or `%uXXXX`), so that the name is one plain segment of a property path.
 */
export function entryName(key: string): string {
  return (
    ENTRY_PREFIX +
    key.replace(/[^A-Za-z0-9_-]/g, (c) => {
      const code = c.charCodeAt(0);
      return code < 0x100
        ? `%${code.toString(16).padStart(2, '0')}`
        : `%u${code.toString(16).padStart(4, '0')}`;
    })
  );
}

/** The model key of a context entry name; `undefined` when it is not one of ours. */
export function keyOfEntry(name: string): string | undefined {
  if (!name.startsWith(ENTRY_PREFIX)) return undefined;
  const escaped = name.slice(ENTRY_PREFIX.length);
  if (!/^(?:[A-Za-z0-9_-]|%[0-9a-f]{2}|%u[0-9a-f]{4})*$/.test(escaped)) return undefined;
  return escaped.replace(/%u([0-9a-f]{4})|%([0-9a-f]{2})/g, (_, long?: string, short?: string) =>
    String.fromCharCode(parseInt(long ?? short!, 16)),
  );
}

type ContextCallback = (err: Error | null | undefined, ...values: unknown[]) => void;
interface CallbackContext {
  get(key: string, store: string | undefined, callback: ContextCallback): void;
  set(key: string, value: unknown, store: string | undefined, callback: (err?: Error | null) => void): void;
  keys(store: string | undefined, callback: (err: Error | null | undefined, keys?: string[]) => void): void;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reads one saved entry (format 2). @throws Error saying what is wrong */
function parseEntry(value: unknown, key: string, type: string): RestoredEntry {
  if (typeof value !== 'string') throw new Error('not a saved model entry');
  const parsed = JSON.parse(value) as unknown;
  if (parsed === null || typeof parsed !== 'object') throw new Error('not a saved model entry');
  const entry = parsed as Record<string, unknown>;
  if (entry.v !== FORMAT || entry.type !== type || entry.key !== key) {
    throw new Error('not a saved model entry of this node type and format');
  }
  const peers = entry.peers ?? [];
  if (
    !Array.isArray(peers) ||
    !peers.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string')
  ) {
    throw new Error('its peers are not a list of [instance, model] pairs');
  }
  return { key, own: entry.own ?? undefined, peers: peers as Array<[string, unknown]> };
}

/** Reads the single `models` entry of version 0.1.0. @throws Error when it is not that format */
function parseLegacy(value: unknown): RestoredEntry[] {
  const saved = value as { version?: unknown; models?: unknown } | null;
  if (
    saved === null ||
    typeof saved !== 'object' ||
    saved.version !== 1 ||
    saved.models === null ||
    typeof saved.models !== 'object'
  ) {
    throw new Error('the saved models are not in a format this version reads');
  }
  const models = saved.models as Record<string, unknown>;
  const entries: RestoredEntry[] = [];
  for (const key of Object.keys(models)) {
    const entry = models[key] as { own?: unknown; peers?: unknown } | null;
    if (entry === null || typeof entry !== 'object') continue;
    const peers =
      entry.peers !== null && typeof entry.peers === 'object'
        ? Object.keys(entry.peers).map((id): [string, unknown] => [
            id,
            (entry.peers as Record<string, unknown>)[id],
          ])
        : [];
    entries.push({ key, own: entry.own ?? undefined, peers });
  }
  return entries;
}

export class ModelPersistence {
  /** Characters stored per key (the keys that have an entry in the store). */
  private readonly stored = new Map<string, number>();
  private total = 0;
  /** Keys changed since their last write. */
  private readonly dirty = new Set<string>();
  /** The keys of the round being written, in ticks. */
  private round: string[] = [];
  private roundAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private roundStart = -Infinity;
  /** Milliseconds spent writing in the current round. */
  private roundWork = 0;
  /** The next round starts no earlier than this (Date.now() time). */
  private nextRound = -Infinity;
  /** The 0.1.0 `models` entry was read: delete it once its keys are written in this format. */
  private legacy = false;
  private closed = false;
  private readonly failures: BurstReport;
  /** Told of every key whose models changed (model sharing follows the same changes). */
  onChanged: ((key: string) => void) | undefined;

  /**
   * @param node the owning node (its context is used, and its `error` for failed saves).
   * @param store context store name; `undefined` for the default store.
   * @param type the node type, recorded with the models.
   * @param serialise the JSON of a key's models now, `undefined` once the key is gone; may throw.
   * @param t the node's messages (English when not given).
   */
  constructor(
    private readonly node: Node,
    private readonly store: string | undefined,
    private readonly type: string,
    private readonly serialise: (key: string) => SavedEntry | undefined,
    private readonly t: Translate = englishOf(node.type),
  ) {
    this.failures = new BurstReport(
      (text) => node.error(text),
      (count, latest) =>
        t(count === 1 ? 'runtime.persistence.failedMoreOne' : 'runtime.persistence.failedMore', {
          count,
          latest,
        }),
    );
  }

  private get context(): CallbackContext {
    return this.node.context() as unknown as CallbackContext;
  }

  /**
   * Reads what was saved: each key's entry, and the single entry of version 0.1.0 (whose keys are
   * then written in this format, and it deleted).
   * @param callback every entry read, and a description of each entry that could not be read.
   */
  restore(callback: (err: Error | undefined, entries: RestoredEntry[], problems: string[]) => void): void {
    const context = this.context;
    const entries: RestoredEntry[] = [];
    const problems: string[] = [];
    let finished = false;
    const finish = (err?: Error): void => {
      if (finished) return;
      finished = true;
      callback(err, entries, problems);
    };
    try {
      context.keys(this.store, (err, names) => {
        if (err) return finish(err);
        const ours = (names ?? []).filter((name) => name === LEGACY_KEY || keyOfEntry(name) !== undefined);
        let pending = ours.length;
        if (pending === 0) return finish();
        const byKey = new Map<string, RestoredEntry>();
        let legacy: RestoredEntry[] = [];
        const settle = (): void => {
          if (--pending > 0) return;
          // An entry in this format is newer than the same key in the legacy entry.
          for (const entry of legacy) {
            if (!byKey.has(entry.key)) {
              byKey.set(entry.key, entry);
              this.dirty.add(entry.key);
            }
          }
          entries.push(...byKey.values());
          if (this.dirty.size > 0 || this.legacy) this.schedule();
          finish();
        };
        for (const name of ours) {
          context.get(name, this.store, (getErr, value) => {
            try {
              if (getErr) throw getErr;
              if (name === LEGACY_KEY) {
                legacy = parseLegacy(value);
                this.legacy = true;
              } else {
                const key = keyOfEntry(name)!;
                this.stored.set(key, typeof value === 'string' ? value.length : 0);
                this.total += typeof value === 'string' ? value.length : 0;
                byKey.set(key, parseEntry(value, key, this.type));
              }
            } catch (readErr) {
              // An unreadable entry of ours is deleted by the next write (it has no model now).
              if (name !== LEGACY_KEY) this.dirty.add(keyOfEntry(name)!);
              problems.push(
                `${name === LEGACY_KEY ? 'the saved models' : `entry "${name}"`}: ${messageOf(readErr)}`,
              );
            }
            settle();
          });
        }
      });
    } catch (err) {
      finish(err as Error);
    }
  }

  /** A key's models changed: write them within a second. */
  changed(key: string): void {
    this.onChanged?.(key);
    if (this.closed) return;
    this.dirty.add(key);
    this.schedule();
  }

  /** Every key changed (after a reset of all keys): `keys` now, and every key saved so far. */
  changedAll(keys: Iterable<string>): void {
    for (const key of this.stored.keys()) this.changed(key);
    for (const key of keys) this.changed(key);
  }

  private schedule(): void {
    if (this.timer !== undefined || this.closed) return;
    const wait = this.roundAt < this.round.length ? 0 : Math.max(0, this.nextRound - Date.now());
    this.timer = setTimeout(() => this.tick(), wait);
  }

  /** A timer tick: never throws, since an exception in a timer ends Node-RED. */
  private tick(): void {
    this.timer = undefined;
    try {
      this.writeSome(KEYS_PER_TICK, TICK_BUDGET_MS);
    } catch (err) {
      this.failAll(err);
    }
    if (this.roundAt < this.round.length || this.dirty.size > 0) this.schedule();
  }

  /** Writes up to `maxKeys` keys of the current round (starting a new round when it is done). */
  private writeSome(maxKeys: number, budgetMs: number): void {
    if (this.roundAt >= this.round.length) {
      if (this.dirty.size === 0) return this.endRound();
      this.round = [...this.dirty];
      this.roundAt = 0;
      this.dirty.clear();
      this.roundStart = Date.now();
      this.roundWork = 0;
    }
    const started = Date.now();
    let written = 0;
    while (this.roundAt < this.round.length && written < maxKeys && Date.now() - started < budgetMs) {
      if (this.writeKey(this.round[this.roundAt++])) written++;
    }
    this.roundWork += Date.now() - started;
    if (this.roundAt >= this.round.length) this.endRound();
  }

  private endRound(): void {
    if (this.round.length > 0) {
      // Saving takes at most a fifth of the time: many keys learning at once are saved less often
      // than once a second rather than leaving the flows no time to run.
      this.nextRound = Math.max(this.roundStart + SAVE_INTERVAL_MS, Date.now() + WORK_SHARE * this.roundWork);
    }
    this.round = [];
    this.roundAt = 0;
    if (this.legacy) {
      // Every key it held has now been written in this format (or was replaced since).
      this.legacy = false;
      this.set(LEGACY_KEY, undefined, this.t('runtime.persistence.legacyModels'));
    }
  }

  /** Writes one key now; `false` when there was nothing to do (cheap, not counted). */
  private writeKey(key: string): boolean {
    const label =
      key === ''
        ? this.t('runtime.persistence.theModel')
        : this.t('runtime.persistence.theModelOfKey', {
            key: quoteKey(key),
          });
    let text: string | undefined;
    try {
      const entry = this.serialise(key);
      text =
        entry === undefined
          ? undefined
          : JSON.stringify({ v: FORMAT, type: this.type, key, own: entry.own, peers: entry.peers });
    } catch (err) {
      this.fail(label, err);
      return true;
    }
    const previous = this.stored.get(key);
    if (text === undefined) {
      if (previous === undefined) return false;
      this.stored.delete(key);
      this.total -= previous;
      this.set(entryName(key), undefined, label);
      return true;
    }
    const total = this.total - (previous ?? 0) + text.length;
    if (text.length > MAX_ENTRY_CHARS || total > MAX_TOTAL_CHARS) {
      const mb = (chars: number): string => `${(chars / 1048576).toFixed(1)} MB`;
      const reason =
        text.length > MAX_ENTRY_CHARS
          ? this.t('runtime.persistence.entryTooLarge', { size: mb(text.length), limit: mb(MAX_ENTRY_CHARS) })
          : this.t('runtime.persistence.totalTooLarge', { size: mb(total), limit: mb(MAX_TOTAL_CHARS) });
      this.failures.add(
        this.t('runtime.persistence.tooLarge', { label, reason }),
        this.t('runtime.persistence.tooLargeShort', { label }),
      );
      return true;
    }
    this.stored.set(key, text.length);
    this.total = total;
    this.set(entryName(key), text, label);
    return true;
  }

  /** One context write, its failure (thrown or called back) reported, never thrown. */
  private set(name: string, value: string | undefined, label: string, callback?: () => void): void {
    try {
      this.context.set(name, value, this.store, (err) => {
        if (err) this.fail(label, err);
        callback?.();
      });
    } catch (err) {
      this.fail(label, err);
      callback?.();
    }
  }

  /** Reports that `label` (one key's models) could not be saved. */
  private fail(label: string, err: unknown): void {
    this.failures.add(
      this.t('runtime.persistence.failed', { label, message: messageOf(err) }),
      `${label}: ${messageOf(err)}`,
    );
  }

  /** Reports that saving failed as a whole. */
  private failAll(err: unknown): void {
    this.failures.add(this.t('runtime.persistence.failedAll', { message: messageOf(err) }), messageOf(err));
  }

  /** Writes every pending change now, as the node closes (without being removed). */
  write(callback: () => void): void {
    this.stopTimer();
    try {
      while (this.roundAt < this.round.length || this.dirty.size > 0) this.writeSome(Infinity, Infinity);
    } catch (err) {
      this.failAll(err);
    }
    this.close();
    callback();
  }

  /** Deletes every saved entry (the node was removed from the flow). */
  remove(callback: () => void): void {
    this.close();
    const names = [...this.stored.keys()].map(entryName);
    this.stored.clear();
    this.total = 0;
    names.push(LEGACY_KEY);
    let pending = names.length;
    for (const name of names)
      this.set(name, undefined, 'the saved models', () => --pending === 0 && callback());
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stopTimer();
    this.closed = true;
    this.dirty.clear();
    this.round = [];
    this.roundAt = 0;
    this.failures.close();
  }
}
