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
 *
 * A write the store fails (a full disk) is a warning naming how many keys and why; those keys
 * stay in memory and are written again after a pause that doubles on each failure (1 s to
 * 1 min), and a note says when they are saved again. A `localfilesystem` store with its cache
 * fails in its own timer, out of sight of the context API: its leftover temporary file
 * (./store-files) is the sign, looked for after writes; it is deleted and every key written again
 * the same way.
 */
import * as fs from 'node:fs';
import type { Node } from 'node-red';
import { englishOf, type Translate } from '../i18n';
import { quoteKey } from '../message';
import { BurstReport } from '../throttle';
import type { StoreFile } from './store-files';

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
/** First pause before keys whose write failed are written again; it doubles up to the last. */
export const RETRY_MS = Object.freeze({ first: 1000, last: 60_000 });
/** A cached localfilesystem store: how often its file is looked at after writes, and for how long. */
const CHECK_MS = 2000;
const CHECK_FOR_MS = 5 * 60_000;
/** A temporary file younger than this may be a write in progress. */
const LEFTOVER_AGE_MS = 1000;

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
  /** Keys whose last write failed, with why; written again by the retry timer. */
  private readonly failedKeys = new Map<string, string>();
  /** Key writes whose callback has not come yet. */
  private inflight = 0;
  /** Keys written again after a failure that is not yet known to be over. */
  private failing = 0;
  private retryDelay: number = RETRY_MS.first;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Cached localfilesystem: the timer that looks for a failed write's leftover, until when. */
  private checkTimer: NodeJS.Timeout | undefined;
  private checkUntil = 0;
  /** When the keys were last written again after the store failed (cached localfilesystem). */
  private retriedAt = 0;
  /** Told of every key whose models changed (model sharing follows the same changes). */
  onChanged: ((key: string) => void) | undefined;

  /**
   * @param node the owning node (its context is used, and its `error` for failed saves).
   * @param store context store name; `undefined` for the default store.
   * @param type the node type, recorded with the models.
   * @param serialise the JSON of a key's models now, `undefined` once the key is gone; may throw.
   * @param t the node's messages (English when not given).
   * @param file the node's context file, with a localfilesystem store.
   */
  constructor(
    private readonly node: Node,
    private readonly store: string | undefined,
    private readonly type: string,
    private readonly serialise: (key: string) => SavedEntry | undefined,
    private readonly t: Translate = englishOf(node.type),
    private readonly file?: StoreFile,
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
    this.inspectFile();
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
    if (this.roundAt >= this.round.length) {
      this.endRound();
      this.settleWrites();
    }
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
    this.inflight++;
    this.set(entryName(key), text, label, undefined, key);
    return true;
  }

  /**
   * One context write, its failure (thrown or called back) reported, never thrown.
   * @param key the key whose models are written: a failure is retried (see the module comment).
   */
  private set(
    name: string,
    value: string | undefined,
    label: string,
    callback?: () => void,
    key?: string,
  ): void {
    let called = false;
    const after = (err: unknown): void => {
      if (called) return;
      called = true;
      if (key === undefined) {
        if (err) this.fail(label, err);
      } else {
        this.inflight--;
        if (err) this.failedKeys.set(key, messageOf(err));
        else this.failedKeys.delete(key);
        this.settleWrites();
      }
      callback?.();
    };
    try {
      this.context.set(name, value, this.store, (err) => after(err ?? undefined));
    } catch (err) {
      after(err ?? new Error('write failed'));
    }
  }

  // ---- failed writes: one warning, retried with backoff, saved-again note ----------------------

  /**
   * Once a round is written and every write has called back: warn of the failed ones and retry
   * them, or note that they are saved again.
   */
  private settleWrites(): void {
    if (this.inflight > 0 || this.roundAt < this.round.length || this.closed) return;
    if (this.failedKeys.size > 0) {
      const cause = [...this.failedKeys.values()].pop()!;
      this.failWrites(this.failedKeys.size, cause);
    } else if (this.failing > 0 && !this.file?.cached) {
      this.savedAgain();
    }
    this.watchFile();
  }

  /** Warns that `count` keys were not saved because of `cause`, and writes them again later. */
  private failWrites(count: number, cause: string): void {
    if (this.retryTimer !== undefined) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(2 * delay, RETRY_MS.last);
    const warn = (removed: number): void => {
      if (this.closed) return;
      this.node.warn(
        this.t('runtime.persistence.saveFailed', {
          count,
          total: Math.max(count, this.stored.size),
          cause,
          seconds: delay / 1000,
          removed: removed > 0 ? this.t('runtime.persistence.removedLeftovers', { count: removed }) : '',
        }),
      );
    };
    if (this.file) this.file.clean(LEFTOVER_AGE_MS, warn);
    else warn(0);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      const keys = this.failedKeys.size > 0 ? [...this.failedKeys.keys()] : [...this.stored.keys()];
      this.failedKeys.clear();
      this.failing = keys.length;
      this.retriedAt = Date.now();
      for (const key of keys) this.dirty.add(key);
      this.schedule();
    }, delay);
  }

  private savedAgain(): void {
    // A warning, as the failure was: whoever saw that one sees this one beside it.
    this.node.warn(this.t('runtime.persistence.savedAgain', { count: this.failing }));
    this.failing = 0;
    this.retryDelay = RETRY_MS.first;
  }

  /**
   * A cached localfilesystem store writes its file later, from its own timer: look for the
   * leftover of a failed write for a while after each write.
   */
  private watchFile(): void {
    const file = this.file;
    if (!file?.cached || this.closed) return;
    this.checkUntil = Date.now() + CHECK_FOR_MS;
    if (this.checkTimer !== undefined) return;
    const check = (): void => {
      this.checkTimer = undefined;
      if (this.closed) return;
      file.clean(LEFTOVER_AGE_MS, (removed) => {
        if (this.closed) return;
        if (removed > 0) {
          file.freeBytes((free) =>
            this.failWrites(
              this.stored.size,
              this.t('runtime.persistence.storeWriteFailed', {
                file: file.file,
                free: free === undefined ? '' : this.t('runtime.persistence.freeSpace', { bytes: free }),
              }),
            ),
          );
        } else if (this.failing > 0 && this.retriedAt > 0) {
          fsModifiedSince(file.file, this.retriedAt, (written) => written && this.savedAgain());
        }
        if (Date.now() < this.checkUntil || this.failing > 0 || this.retryTimer !== undefined) {
          this.checkTimer = setTimeout(check, CHECK_MS);
        }
      });
    };
    this.checkTimer = setTimeout(check, CHECK_MS);
  }

  /** At start: say when the context file was emptied, and delete what failed writes left. */
  private inspectFile(): void {
    const file = this.file;
    if (!file) return;
    file.isEmptied((emptied) => {
      if (emptied && !this.closed)
        this.node.warn(this.t('runtime.persistence.storeEmptied', { file: file.file }));
    });
    file.clean(LEFTOVER_AGE_MS, (removed) => {
      if (removed > 0 && !this.closed) {
        this.node.warn(this.t('runtime.persistence.leftoversAtStart', { count: removed, file: file.file }));
      }
    });
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
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.checkTimer !== undefined) clearTimeout(this.checkTimer);
    this.checkTimer = undefined;
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

/** Whether `file` was written at or after `since` (ms). Never throws. */
function fsModifiedSince(file: string, since: number, callback: (written: boolean) => void): void {
  fs.stat(file, (err, stat) => callback(!err && stat.mtimeMs >= since - 1000));
}
