/**
 * Which keys to forget: the least recently used when a new key would exceed `maxKeys`, and those
 * idle for `idleTimeout`, each in amortised O(1) per key.
 *
 * A key's place in the queue is where it was queued; a use only writes its time. Expiry and
 * eviction look at the front: a key used since it was queued is queued again at its last use (a
 * second chance) rather than moved on every sample, which would cost a map delete and insert per
 * message. So the key evicted for maxKeys is one used least recently, and an idle key is forgotten
 * once idleTimeout has passed (later, by less than idleTimeout, when another key's requeued use
 * precedes it).
 */
import type { WindowKey } from './types';

/** When a key was last used, and when it took its place in the queue (≤ seen). */
interface KeyUse {
  seen: number;
  queued: number;
}

export class KeyRecency {
  private readonly queue = new Map<WindowKey, KeyUse>();

  /**
   * @param idleAfter ms (of the clock or stream time) without a sample after which a key is
   *   forgotten, `Infinity` for never.
   */
  constructor(readonly idleAfter: number) {}

  get size(): number {
    return this.queue.size;
  }

  has(key: WindowKey): boolean {
    return this.queue.has(key);
  }

  delete(key: WindowKey): void {
    this.queue.delete(key);
  }

  clear(): void {
    this.queue.clear();
  }

  /** The key had a sample at `clock`. */
  touch(key: WindowKey, clock: number): void {
    const use = this.queue.get(key);
    if (use) use.seen = clock;
    else this.queue.set(key, { seen: clock, queued: clock });
  }

  private requeue(key: WindowKey, use: KeyUse): void {
    this.queue.delete(key);
    use.queued = use.seen;
    this.queue.set(key, use);
  }

  /**
   * Forgets the keys idle at `clock`, oldest first.
   * @param busy whether a key still has windows that must not be dropped (it stops the pass:
   *   those close before the key could be idle).
   * @param forget drops the key's state; it must call {@link delete}.
   */
  expire(clock: number, busy: (key: WindowKey) => boolean, forget: (key: WindowKey) => void): void {
    if (this.idleAfter === Infinity) return;
    for (const [key, use] of this.queue) {
      if (clock - use.queued < this.idleAfter) break;
      if (clock - use.seen < this.idleAfter) {
        this.requeue(key, use);
        continue;
      }
      if (busy(key)) break;
      forget(key);
    }
  }

  /**
   * What {@link expire} at `clock` would forget, without changing anything: the sum of `held` over
   * those keys other than `except`.
   */
  idleHeld(
    clock: number,
    except: WindowKey,
    busy: (key: WindowKey) => boolean,
    held: (key: WindowKey) => number,
  ): number {
    if (this.idleAfter === Infinity) return 0;
    let freed = 0;
    for (const [key, use] of this.queue) {
      if (clock - use.queued < this.idleAfter) break;
      if (clock - use.seen < this.idleAfter) continue;
      if (busy(key)) break;
      if (key !== except) freed += held(key);
    }
    return freed;
  }

  /**
   * Before a new key joins, forgets keys used least recently until fewer than `maxKeys` remain.
   * @param forget drops the key's state; it must call {@link delete}.
   */
  makeRoom(maxKeys: number, forget: (key: WindowKey) => void): void {
    while (this.queue.size >= maxKeys) {
      const [oldest, use] = this.queue.entries().next().value as [WindowKey, KeyUse];
      if (use.seen > use.queued) this.requeue(oldest, use);
      else forget(oldest);
    }
  }
}
