/**
 * A small seeded pseudo-random generator, so that k-means++ initialisation is reproducible: the same
 * seed and the same warm-up samples give the same centres on every machine and after a restart.
 */

import { describeValue } from './errors';

/**
 * Mulberry32 (Tommy Ettinger): 32 bits of state, a full period of 2³², and good enough statistics
 * for choosing seeds; `Math.random` cannot be seeded, and ml-random would be one more dependency.
 */
export class SeededRandom {
  private state: number;

  /** @param seed any safe integer; it is mixed so that neighbouring seeds give unrelated streams. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed))
      throw new RangeError(`seed must be an integer, got ${describeValue(seed)}`);
    // Fold the high bits in too, so seeds above 2³² are not silently aliased to their low bits.
    const high = Math.floor(seed / 0x100000000);
    this.state = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(high | 0, 0x85ebca6b) ^ 0x6d2b79f5) >>> 0;
  }

  /**
   * Jumps over `count` draws: afterwards {@link next} returns what it would after `count` calls.
   * Each draw adds the same constant to the state and the output is a function of the state alone,
   * so a jump is one multiply, which lets a restart run elsewhere from the state it would reach in a
   * loop.
   * @param count draws to skip, an integer ≥ 0 (taken modulo 2³², the period).
   * @returns this generator.
   */
  skip(count: number): this {
    if (!Number.isSafeInteger(count) || count < 0)
      throw new RangeError(`skip needs a whole count ≥ 0, got ${describeValue(count)}`);
    const low = count % 0x100000000;
    this.state = (this.state + Math.imul(low >>> 0, 0x6d2b79f5)) >>> 0;
    return this;
  }

  /** The 32-bit state, for checking that two generators stand at the same draw. */
  get position(): number {
    return this.state;
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

/** One 32-bit avalanche round (the finaliser of MurmurHash3). */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A uniform float in [0, 1) with 53 random bits determined by `seed` and `index` alone: the i-th
 * draw of a stream that needs no state, so a model that draws once per sample (the k-means warm-up
 * reservoir) restarts from its saved JSON with the very same future draws.
 * @param seed any safe integer.
 * @param index any safe integer ≥ 0, e.g. the sample's number.
 */
export function hashUniform(seed: number, index: number): number {
  const seedLow = seed >>> 0;
  const seedHigh = Math.floor(seed / 0x100000000) >>> 0;
  const indexLow = index >>> 0;
  const indexHigh = Math.floor(index / 0x100000000) >>> 0;
  const a = mix32(
    mix32(seedLow ^ 0x9e3779b9) ^ mix32(indexLow + 0x7f4a7c15) ^ Math.imul(seedHigh, 0x27d4eb2f),
  );
  const b = mix32(a ^ mix32(indexHigh ^ 0x165667b1) ^ 0x68e31da4);
  const c = mix32(b ^ indexLow);
  // 21 bits of one word and 32 of the other: 53 bits, exactly representable.
  return ((a >>> 11) * 0x100000000 + c) / 9007199254740992;
}
