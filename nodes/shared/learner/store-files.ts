/**
 * The file in which Node-RED's `localfilesystem` context store keeps a node's context, looked at
 * for what the store does not report through the context API:
 * - with its cache (the default) the store writes the file from its own timer, so a failed write
 *   (a full disk) reaches only Node-RED's log, and leaves the temporary file of its atomic write
 *   (`<node>.json.<time>.tmp`) behind, keeping the disk full;
 * - a file emptied or truncated outside Node-RED is read as an empty context, without a word.
 *
 * Only files named after this node in its flow's folder are touched: leftovers of failed writes
 * are deleted, nothing else. Any other store (memory, or a plugin) has no file here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node, NodeAPI } from 'node-red';

interface StoreSettings {
  module?: unknown;
  config?: { dir?: unknown; base?: unknown; cache?: unknown };
}

/** A temporary file of the store's atomic write: `<node id>.json.<Date.now()>.tmp`. */
function isLeftover(name: string, id: string): boolean {
  return name.startsWith(`${id}.json.`) && /^\d+\.tmp$/.test(name.slice(id.length + 6));
}

export class StoreFile {
  /**
   * @param file the node's context file.
   * @param cached whether the store writes it from its own timer (its `cache`, on by default).
   */
  constructor(
    readonly file: string,
    readonly cached: boolean,
  ) {}

  /**
   * The context file of `node` when `store` (empty: the default) is a `localfilesystem` store,
   * as Node-RED lays it out: `<dir or userDir>/<base or "context">/<flow id>/<node id>.json`.
   */
  static of(RED: NodeAPI, node: Node, store: string | undefined): StoreFile | undefined {
    try {
      const settings = RED.settings as unknown as { contextStorage?: unknown; userDir?: unknown };
      const stores = settings.contextStorage as Record<string, unknown> | undefined;
      if (!stores || typeof stores !== 'object') return undefined;
      let chosen = stores[store || 'default'];
      // The default may name another store.
      if (typeof chosen === 'string') chosen = stores[chosen];
      if (chosen === undefined && !store) chosen = stores[Object.keys(stores)[0]];
      const config = chosen as StoreSettings | undefined;
      if (!config || config.module !== 'localfilesystem') return undefined;
      const options = config.config ?? {};
      const base = typeof options.base === 'string' ? options.base : 'context';
      const dir = typeof options.dir === 'string' ? options.dir : settings.userDir;
      const flow = (node as unknown as { z?: unknown }).z;
      if (typeof dir !== 'string' || typeof flow !== 'string' || !flow) return undefined;
      return new StoreFile(path.join(dir, base, flow, `${node.id}.json`), options.cache !== false);
    } catch {
      return undefined;
    }
  }

  /**
   * Deletes the temporary files of failed writes older than `olderThanMs` (a write in progress
   * is younger). Never throws.
   * @param callback how many were deleted.
   */
  clean(olderThanMs: number, callback: (removed: number) => void): void {
    const dir = path.dirname(this.file);
    const id = path.basename(this.file, '.json');
    fs.readdir(dir, (err, names) => {
      if (err) return callback(0);
      const leftovers = names.filter((name) => isLeftover(name, id));
      let pending = leftovers.length;
      let removed = 0;
      if (pending === 0) return callback(0);
      const now = Date.now();
      for (const name of leftovers) {
        const file = path.join(dir, name);
        fs.stat(file, (statErr, stat) => {
          if (statErr || now - stat.mtimeMs < olderThanMs) {
            if (--pending === 0) callback(removed);
            return;
          }
          fs.unlink(file, (unlinkErr) => {
            if (!unlinkErr) removed++;
            if (--pending === 0) callback(removed);
          });
        });
      }
    });
  }

  /** Whether the file exists and holds nothing but white space (emptied or truncated). Never throws. */
  isEmptied(callback: (emptied: boolean) => void): void {
    fs.readFile(this.file, 'utf8', (err, text) => callback(!err && text.trim() === ''));
  }

  /** Bytes free for this file, `undefined` when unknown. Never throws. */
  freeBytes(callback: (bytes: number | undefined) => void): void {
    const statfs = (fs as { statfs?: typeof fs.statfs }).statfs;
    if (typeof statfs !== 'function') return callback(undefined);
    try {
      statfs(path.dirname(this.file), (err, stats) => callback(err ? undefined : stats.bavail * stats.bsize));
    } catch {
      callback(undefined);
    }
  }
}
