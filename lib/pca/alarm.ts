/**
 * The alarm: what a person acts on, made from the per-sample anomaly scores (docs/anomaly.md,
 * "Alarms").
 *
 * A per-sample limit at 95–99 % fires on a large share of normal rows of real sensors: their
 * readings are autocorrelated, drift and are not Gaussian, so the parametric limits (which assume
 * independent Gaussian samples) are crossed in runs. The alarm therefore accumulates evidence over
 * consecutive samples and sounds only on a sustained, large excess:
 *
 * - evidence: an exponentially weighted moving average (EWMA) of log(T²/T²-limit) and of
 *   log(SPE/SPE-limit), each sample's scores taken by the model as it was before that sample;
 *   on a log scale one huge spike cannot hold an alarm up by itself, and the average is the
 *   geometric mean of how far the recent samples lie over their limits;
 * - the alarm starts when either average passes its level (`t2Level`, `speLevel`: how many
 *   times its limit the recent samples lie, as a geometric mean);
 * - hysteresis: it ends only once both averages have stayed below their levels for `hold`
 *   consecutive samples, so it neither flickers on a noisy fault nor outlasts the evidence by more
 *   than `hold` samples.
 *
 * The levels are calibrated on real data (the SKAB pump testbed, docs/anomaly.md): on normal rows
 * of real sensors the geometric mean of T²/limit stays under 2 far more often than that of
 * SPE/limit stays under 2, because SPE spans only the few discarded components of quantised
 * readings and its Jackson–Mudholkar limit assumes Gaussian residuals; hence a higher SPE level.
 */
import { describeValue } from '../errors';

/** Settings of an {@link Alarm}. */
export interface AlarmOptions {
  /**
   * Span of the moving average in samples (integer ≥ 1): its weight is 2/(span + 1), as pandas'
   * `ewm(span)`. 1 judges each sample alone (the alarm is then the per-sample verdict, held).
   */
  span: number;
  /** The alarm starts when the geometric mean of T²/T²-limit passes this (> 0). */
  t2Level: number;
  /** The alarm starts when the geometric mean of SPE/SPE-limit passes this (> 0). */
  speLevel: number;
  /** Samples both averages must stay below their levels before the alarm ends (integer ≥ 0). */
  hold: number;
}

/** Defaults of {@link AlarmOptions}: the setup recommended for condition monitoring (docs/anomaly.md). */
export const ALARM_DEFAULTS: Readonly<AlarmOptions> = Object.freeze({
  span: 9,
  t2Level: 2,
  speLevel: 5,
  hold: 30,
});

/** Bounds of the alarm settings, shared by the node and the editor. */
export const ALARM_BOUNDS = Object.freeze({
  span: { min: 1, max: 100_000 },
  level: { min: 1e-6, max: 1e6 },
  hold: { min: 0, max: 1_000_000 },
});

/** What happened to the alarm at one sample. */
export type AlarmEvent = 'start' | 'end' | null;

/** A ratio this far below its limit counts as this far: log(0) would pin the average for ever. */
const FLOOR_RATIO = 1e-3;

/** The largest ratio counted: one sample of a wrecked sensor must not hold the alarm up for ever. */
const CEILING_RATIO = 1e6;

function logRatio(score: number, limit: number): number {
  // No limit yet (a model too young for one) or no variance to judge by: neutral evidence.
  if (!(limit > 0) || !Number.isFinite(limit) || !Number.isFinite(score)) return 0;
  const ratio = score / limit;
  return Math.log(ratio < FLOOR_RATIO ? FLOOR_RATIO : ratio > CEILING_RATIO ? CEILING_RATIO : ratio);
}

/**
 * The alarm of one model (one key): evidence accumulated over its samples, with hysteresis. Kept
 * in memory beside the model, not in the model JSON: after a restart it accumulates afresh.
 */
export class Alarm {
  /** EWMA of log(T²/limit). */
  private t2Evidence = 0;
  /** EWMA of log(SPE/limit). */
  private speEvidence = 0;
  private quietFor = 0;
  /** Whether the alarm is on. */
  on = false;
  /** Consecutive samples judged while the alarm was on (the lock-out guard counts them). */
  run = 0;
  /** Samples judged since the alarm was made or reset. */
  judged = 0;

  constructor(readonly options: Readonly<AlarmOptions>) {}

  /** Checks alarm settings, merged over {@link ALARM_DEFAULTS}. @throws RangeError naming the setting. */
  static checkOptions(options: Partial<AlarmOptions> = {}): AlarmOptions {
    const merged = { ...ALARM_DEFAULTS, ...options };
    const whole = (name: 'span' | 'hold', { min, max }: { min: number; max: number }): void => {
      const value = merged[name];
      if (!Number.isInteger(value) || value < min || value > max) {
        throw new RangeError(
          `alarm ${name} must be a whole number from ${min} to ${max}, got ${describeValue(value)}`,
        );
      }
    };
    whole('span', ALARM_BOUNDS.span);
    whole('hold', ALARM_BOUNDS.hold);
    for (const name of ['t2Level', 'speLevel'] as const) {
      const value = merged[name];
      const { min, max } = ALARM_BOUNDS.level;
      if (typeof value !== 'number' || !(value >= min && value <= max)) {
        throw new RangeError(
          `alarm ${name} must be a number from ${min} to ${max}, got ${describeValue(value)}`,
        );
      }
    }
    return merged;
  }

  /**
   * How far the evidence is towards the alarm: the larger of the two geometric means, each divided
   * by its level, so 1 is where the alarm starts.
   */
  get level(): number {
    const { t2Level, speLevel } = this.options;
    return Math.max(Math.exp(this.t2Evidence) / t2Level, Math.exp(this.speEvidence) / speLevel);
  }

  /**
   * Adds one sample's scores to the evidence.
   * @returns whether the alarm started or ended with this sample.
   */
  update(t2: number, t2Limit: number, spe: number, speLimit: number): AlarmEvent {
    const weight = 2 / (this.options.span + 1);
    this.t2Evidence += weight * (logRatio(t2, t2Limit) - this.t2Evidence);
    this.speEvidence += weight * (logRatio(spe, speLimit) - this.speEvidence);
    this.judged = Math.min(this.judged + 1, Number.MAX_SAFE_INTEGER);
    const over =
      this.t2Evidence > Math.log(this.options.t2Level) || this.speEvidence > Math.log(this.options.speLevel);
    let event: AlarmEvent = null;
    if (over) {
      this.quietFor = 0;
      if (!this.on) {
        this.on = true;
        event = 'start';
      }
    } else if (this.on && ++this.quietFor > this.options.hold) {
      this.on = false;
      this.quietFor = 0;
      event = 'end';
    }
    this.run = this.on ? Math.min(this.run + 1, Number.MAX_SAFE_INTEGER) : 0;
    return event;
  }

  /** Forgets the evidence (a reset model, a model that became young again). */
  clear(): AlarmEvent {
    const wasOn = this.on;
    this.t2Evidence = 0;
    this.speEvidence = 0;
    this.quietFor = 0;
    this.on = false;
    this.run = 0;
    this.judged = 0;
    return wasOn ? 'end' : null;
  }
}
