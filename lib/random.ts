/**
 * A small seeded pseudo-random generator, so that k-means++ initialisation is reproducible: the same
 * seed and the same warm-up samples give the same centres on every machine and after a restart.
 */

/**
 * Mulberry32 (Tommy Ettinger): 32 bits of state, a full period of 2³², and good enough statistics
 * for choosing seeds; `Math.random` cannot be seeded, and ml-random would be one more dependency.
 */
export class SeededRandom {
  private state: number;

  /** @param seed any safe integer; it is mixed so that neighbouring seeds give unrelated streams. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${String(seed)}`);
    // Fold the high bits in too, so seeds above 2³² are not silently aliased to their low bits.
    const high = Math.floor(seed / 0x100000000);
    this.state = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(high | 0, 0x85ebca6b) ^ 0x6d2b79f5) >>> 0;
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
