/**
 * Turning a key's models into what persistence saves, and saved entries back into models. A saved
 * model that cannot be read, or that no longer fits the node's settings (another k, other
 * features), is not used: the node starts that key fresh and says why.
 */
import { ModelError } from '../../../lib/errors';
import { snapshotOf, type Learner } from './learner-kind';
import type { ModelEntry, ModelStore } from './model-store';
import type { RestoredEntry, SavedEntry } from './persistence';

/** Why saved models were not used, one line per key: `key "a": …`. */
export interface RestoreProblems {
  /** Entries whose JSON is not a model of this kind. */
  unreadable: string[];
  /** Models that do not fit the node's settings. */
  misfits: string[];
}

/** How to turn saved JSON into a model that fits the node. */
export interface ModelReader<M extends Learner> {
  /** @throws ModelError when `json` is not a valid model. */
  load(json: unknown): M;
  /** Why a model does not fit the node's settings, or `undefined`. */
  misfit(model: M): string | undefined;
}

/**
 * Puts the saved entries into `models`. A key with any model that cannot be used is left out
 * whole (its own model and its peers' are merged to transform, so half of them would be wrong).
 * @param forget called with each key left out, so that the store is saved again as it is in memory.
 * @param problems what persistence could not read already (entries that are not JSON models).
 */
export function restoreEntries<M extends Learner>(
  entries: readonly RestoredEntry[],
  problems: readonly string[],
  models: ModelStore<M>,
  reader: ModelReader<M>,
  forget: (key: string) => void,
): RestoreProblems {
  const unreadable = [...problems];
  const misfits: string[] = [];
  for (const entry of entries) {
    const label = entry.key === '' ? 'the model' : `key ${JSON.stringify(entry.key)}`;
    try {
      const loaded = [entry.own, ...(entry.peers ?? []).map(([, json]) => json)].map((json) => {
        if (json === undefined) return undefined;
        let model: M;
        try {
          model = reader.load(json);
        } catch (err) {
          unreadable.push(`${label}: ${(err as Error).message}`);
          throw err;
        }
        const reason = reader.misfit(model);
        if (reason) {
          misfits.push(`${label}: ${reason}`);
          throw new ModelError(reason);
        }
        return model;
      });
      const restored = models.obtain(entry.key);
      restored.own = loaded[0];
      (entry.peers ?? []).forEach(([peer], i) => restored.peers.set(peer, loaded[i + 1]!));
      restored.changed();
    } catch {
      forget(entry.key);
    }
  }
  return { unreadable, misfits };
}

/** The first three problems and how many more, for one warning. */
export function listProblems(items: readonly string[]): string {
  return items.slice(0, 3).join('; ') + (items.length > 3 ? `; and ${items.length - 3} more` : '');
}

/** What persistence saves of a key: its own model and its peers', `undefined` when it has none. */
export function saveEntry<M extends Learner>(entry: ModelEntry<M> | undefined): SavedEntry | undefined {
  if (entry === undefined || (entry.own === undefined && entry.peers.size === 0)) return undefined;
  const saved: SavedEntry = {};
  if (entry.own !== undefined) saved.own = snapshotOf(entry.own);
  if (entry.peers.size > 0) saved.peers = [...entry.peers].map(([peer, model]) => [peer, snapshotOf(model)]);
  return saved;
}
