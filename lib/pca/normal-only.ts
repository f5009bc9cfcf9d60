/**
 * Judging and learning normal operation only: a PCA model that scores each sample by the model as
 * it was before the sample, feeds the scores to its {@link Alarm}, and (with `learnOnlyNormal`)
 * leaves out the samples that arrive while the alarm is on, so a fault does not widen the limits
 * it is judged by (in multivariate statistical process control the model describes normal
 * operation). A guard against lock-out: after `relearnAfter` consecutive samples in alarm it
 * learns again, because an alarm that long is more likely a lasting new operating point than a
 * fault (docs/anomaly.md).
 */
import { Alarm, ALARM_DEFAULTS, type AlarmEvent, type AlarmOptions } from './alarm';
import type { PcaAnomaly, PcaModelJSON } from './options';
import type { StreamingPCA } from './streaming';
import { RowMatrix, type BatchRows } from '../matrix';
import { checkRow, checkRows } from '../rows';
import type { Schema } from '../samples';

/** How a {@link NormalOnlyPCA} decides. */
export interface NormalOnlyOptions {
  /** Leave out the samples that arrive while the alarm is on; false learns everything. */
  learnOnlyNormal: boolean;
  /**
   * Consecutive samples in alarm after which they are learned again (until the alarm ends);
   * 0 never learns a sample in alarm.
   */
  relearnAfter: number;
  /**
   * Samples learned before any sample is judged: a young model's limits mean little, so until
   * then the alarm is held back (and every sample learned).
   */
  warmup: number;
  /** How the alarm accumulates evidence; {@link ALARM_DEFAULTS} when left out. */
  alarm?: AlarmOptions;
}

/** The verdicts on the rows last judged, one entry per row, reused from message to message. */
export interface Verdicts {
  /** How many rows were judged. */
  count: number;
  /** The alarm after each row. */
  alarm: boolean[];
  /** The alarm's evidence after each row, 1 where the alarm starts ({@link Alarm.level}). */
  level: number[];
  /** Whether the alarm started or ended at each row. */
  event: AlarmEvent[];
  /** True for a row judged by a model too young to judge: its alarm was held back. */
  learning: boolean[];
}

/**
 * The run of flagged samples. Shared by a model and the merged views built from it (when peers'
 * models are combined to transform), so the node reads one state per key.
 */
export interface NormalOnlyState {
  /** True once an alarm lasted past `relearnAfter`, until it ends. */
  relearning: boolean;
  /** Set when an alarm has just passed `relearnAfter`; the reader clears it (to warn once). */
  relearnStarted: boolean;
  /** Samples left out since the model was made. */
  heldBack: number;
  /** The alarm of this model. */
  alarm: Alarm;
  /** The verdicts on the rows last judged. */
  verdicts: Verdicts;
}

/** A fresh state: no alarm, nothing judged. */
export function normalOnlyState(alarm: AlarmOptions = ALARM_DEFAULTS): NormalOnlyState {
  return {
    relearning: false,
    relearnStarted: false,
    heldBack: 0,
    alarm: new Alarm(alarm),
    verdicts: { count: 0, alarm: [], level: [], event: [], learning: [] },
  };
}

/**
 * A {@link StreamingPCA} with an alarm, that learns only normal samples (see the module comment).
 * With `learnOnlyNormal` false it learns every sample, exactly as the bare model, and still judges.
 *
 * A sample left out changes nothing in the model: its statistics, fit and export stay exactly as
 * they were before it.
 */
export class NormalOnlyPCA {
  private readonly scratch: PcaAnomaly = { t2: 0, spe: 0, t2Limit: 0, speLimit: 0, anomaly: false };
  private readonly row: Float64Array;
  /** The rows {@link judge} was last given, until they are learned: they are not judged twice. */
  private judgedRows: BatchRows | null = null;
  private judgedStart = 0;

  /**
   * @param pca the model learned into.
   * @param options how to decide.
   * @param state the alarm and its verdicts (a merged view passes its source's).
   */
  constructor(
    readonly pca: StreamingPCA,
    readonly options: Readonly<NormalOnlyOptions>,
    readonly state: NormalOnlyState = normalOnlyState(options.alarm),
  ) {
    if (!Number.isInteger(options.relearnAfter) || options.relearnAfter < 0) {
      throw new RangeError(`relearnAfter must be a whole number ≥ 0, got ${String(options.relearnAfter)}`);
    }
    this.row = new Float64Array(pca.schema.dimension);
  }

  get schema(): Schema {
    return this.pca.schema;
  }

  get samplesSeen(): number {
    return this.pca.samplesSeen;
  }

  /** True when the model is old enough to judge: its samples feed the alarm. */
  get judging(): boolean {
    const pca = this.pca;
    return (
      pca.ready &&
      pca.samplesSeen >= this.options.warmup &&
      Number.isFinite(pca.t2Limit) &&
      Number.isFinite(pca.speLimit)
    );
  }

  /**
   * Judges rows `[start, end)` in order, each by the model as it is now (before any of them is
   * learned), into `state.verdicts`; the next {@link learnOne} or {@link learnBatch} of the same
   * rows uses these verdicts instead of judging again.
   * @throws SampleError (nothing changed) when a row is bad.
   */
  judge(rows: BatchRows, start = 0, end = rows.length): Readonly<Verdicts> {
    checkRows(rows, this.schema.dimension, start, end);
    const verdicts = this.state.verdicts;
    const count = Math.max(0, end - start);
    const { alarm, level, event, learning } = verdicts;
    alarm.length = level.length = event.length = learning.length = count;
    verdicts.count = count;
    const judging = this.judging;
    const gate = this.state.alarm;
    for (let i = 0; i < count; i++) {
      if (judging) {
        const a = this.pca.anomaly(this.rowAt(rows, start + i), this.scratch);
        event[i] = gate.update(a.t2, a.t2Limit, a.spe, a.speLimit);
        this.guardLockOut();
      } else {
        event[i] = null;
      }
      alarm[i] = gate.on;
      level[i] = judging ? gate.level : 0;
      learning[i] = !judging;
    }
    this.judgedRows = rows;
    this.judgedStart = start;
    return verdicts;
  }

  /** Row `i` of rows of arrays or of a matrix, as an array-like (a matrix row in scratch). */
  private rowAt(rows: BatchRows, i: number): ArrayLike<number> {
    if (!(rows instanceof RowMatrix)) return rows[i];
    const d = rows.columns;
    this.row.set(rows.values.subarray(i * d, (i + 1) * d));
    return this.row;
  }

  /** The lock-out guard: an alarm that lasted past `relearnAfter` is learned until it ends. */
  private guardLockOut(): void {
    const state = this.state;
    const relearnAfter = this.options.relearnAfter;
    if (!state.alarm.on) {
      state.relearning = false;
    } else if (!state.relearning && relearnAfter > 0 && state.alarm.run > relearnAfter) {
      state.relearning = true;
      state.relearnStarted = true;
    }
  }

  /** Whether judged row `i` (of the verdicts) is learned. */
  private admits(i: number): boolean {
    if (!this.options.learnOnlyNormal || this.state.verdicts.learning[i]) return true;
    if (!this.state.verdicts.alarm[i] || this.state.relearning) return true;
    this.state.heldBack = Math.min(this.state.heldBack + 1, Number.MAX_SAFE_INTEGER);
    return false;
  }

  /**
   * Makes `state.verdicts` those of `rows[start..end)`: the last {@link judge}'s when it judged
   * exactly these rows (the node judges every message, learning or not, before it learns), else
   * judged now.
   */
  private verdictsFor(rows: BatchRows, start: number, end: number): void {
    // The node may learn fewer rows than it judged (a batch cut at the end of the warm-up).
    const judged =
      this.judgedRows === rows && this.judgedStart === start && this.state.verdicts.count >= end - start;
    this.judgedRows = null;
    if (!judged) this.judge(rows, start, end);
    this.judgedRows = null;
  }

  /** Judges `x` (unless {@link judge} just did) and learns it unless it is left out. @returns whether it was learned. */
  learnOne(x: ArrayLike<number>): boolean {
    checkRow(x, this.schema.dimension);
    const judged = this.judgedRows;
    const single = judged !== null && !(judged instanceof RowMatrix) && judged[this.judgedStart] === x;
    if (single) this.verdictsFor(judged, this.judgedStart, this.judgedStart + 1);
    else this.verdictsFor([x], 0, 1);
    if (!this.admits(0)) return false;
    this.pca.learnOne(x);
    return true;
  }

  /**
   * Learns the rows of `rows[start..end)` that are not left out, each judged by the model as it
   * was before the batch, in one batch update. Rows of arrays or a {@link RowMatrix}, as
   * `StreamingPCA.learnBatch` takes them; from a matrix the kept rows are copied into a new one
   * when some are left out (the whole batch is learned in place when none is).
   * @returns how many rows were learned.
   * @throws SampleError (model and state unchanged) when any row is bad.
   */
  learnBatch(rows: BatchRows, start = 0, end = rows.length): number {
    this.verdictsFor(rows, start, end);
    const count = Math.max(0, end - start);
    let kept = 0;
    const keep = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      if (this.admits(i)) {
        keep[i] = 1;
        kept += 1;
      }
    }
    if (kept === count) {
      if (count > 0) this.pca.learnBatch(rows, start, end);
    } else if (kept > 0) {
      this.pca.learnBatch(this.keptRows(rows, start, keep, kept));
    }
    return kept;
  }

  /** The rows of `rows` from `start` that `keep` marks, as a new batch of the same kind. */
  private keptRows(rows: BatchRows, start: number, keep: Uint8Array, kept: number): BatchRows {
    if (!(rows instanceof RowMatrix)) {
      const out: ArrayLike<number>[] = [];
      for (let i = 0; i < keep.length; i++) if (keep[i] === 1) out.push(rows[start + i]);
      return out;
    }
    const d = rows.columns;
    const chosen = new Float64Array(kept * d);
    let at = 0;
    for (let i = 0; i < keep.length; i++) {
      if (keep[i] === 0) continue;
      chosen.set(rows.values.subarray((start + i) * d, (start + i + 1) * d), at);
      at += d;
    }
    return new RowMatrix(chosen, kept, d);
  }

  toJSON(): PcaModelJSON {
    return this.pca.toJSON();
  }

  /**
   * {@link StreamingPCA.snapshot}: the model JSON without changing what the model scores. Saves
   * and shares (on a timer) read this; without it they fall back to {@link toJSON}, which refits
   * the live model, so verdicts would depend on when the timer ran.
   */
  snapshot(): PcaModelJSON {
    return this.pca.snapshot();
  }
}
