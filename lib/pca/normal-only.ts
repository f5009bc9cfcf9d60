/**
 * Learning normal operation only: a PCA model that scores each sample before learning it and
 * leaves out the samples its limits flag, so a fault does not widen the limits it is judged by
 * (in multivariate statistical process control the model describes normal operation). A guard
 * against lock-out: after `relearnAfter` consecutive flagged samples it learns again, because a run
 * that long is more likely a lasting new operating point than a fault (docs/anomaly.md).
 */
import type { PcaAnomaly, PcaModelJSON } from './options';
import type { StreamingPCA } from './streaming';
import { RowMatrix, type BatchRows } from '../matrix';
import { checkRow, checkRows } from '../rows';
import type { Schema } from '../samples';

/** How a {@link NormalOnlyPCA} decides. */
export interface NormalOnlyOptions {
  /** Leave flagged samples out; false learns everything (the model as it always was). */
  learnOnlyNormal: boolean;
  /**
   * Consecutive flagged samples after which they are learned again (until a sample is normal);
   * 0 never learns a flagged sample.
   */
  relearnAfter: number;
  /** Samples learned before any sample is judged: a young model's limits mean little. */
  warmup: number;
}

/**
 * The run of flagged samples. Shared by a model and the merged views built from it (when peers'
 * models are combined to transform), so the node reads one state per key.
 */
export interface NormalOnlyState {
  /** Consecutive flagged samples so far. */
  run: number;
  /** True once a run passed `relearnAfter`, until the next normal sample. */
  relearning: boolean;
  /** Set when a run has just passed `relearnAfter`; the reader clears it (to warn once). */
  relearnStarted: boolean;
  /** Flagged samples left out since the model was made. */
  heldBack: number;
}

/**
 * A {@link StreamingPCA} that learns only normal samples (see the module comment). With
 * `learnOnlyNormal` false it learns every sample, exactly as the bare model.
 *
 * A flagged sample changes nothing in the model: its statistics, fit and export stay exactly as
 * they were before it.
 */
export class NormalOnlyPCA {
  private readonly scratch: PcaAnomaly = { t2: 0, spe: 0, t2Limit: 0, speLimit: 0, anomaly: false };

  /**
   * @param pca the model learned into.
   * @param options how to decide.
   * @param state the run so far (a merged view passes its source's).
   */
  constructor(
    readonly pca: StreamingPCA,
    readonly options: Readonly<NormalOnlyOptions>,
    readonly state: NormalOnlyState = { run: 0, relearning: false, relearnStarted: false, heldBack: 0 },
  ) {
    if (!Number.isInteger(options.relearnAfter) || options.relearnAfter < 0) {
      throw new RangeError(`relearnAfter must be a whole number ≥ 0, got ${String(options.relearnAfter)}`);
    }
  }

  get schema(): Schema {
    return this.pca.schema;
  }

  get samplesSeen(): number {
    return this.pca.samplesSeen;
  }

  /** True when samples are judged before they are learned. */
  get judging(): boolean {
    const pca = this.pca;
    return (
      this.options.learnOnlyNormal &&
      pca.ready &&
      pca.samplesSeen >= this.options.warmup &&
      Number.isFinite(pca.t2Limit) &&
      Number.isFinite(pca.speLimit)
    );
  }

  /** Decides for one flagged or normal sample, updating `state`; true when it is to be learned. */
  private admit(flagged: boolean, state: NormalOnlyState): boolean {
    if (!flagged) {
      state.run = 0;
      state.relearning = false;
      return true;
    }
    state.run = Math.min(state.run + 1, Number.MAX_SAFE_INTEGER);
    if (state.relearning) return true;
    if (this.options.relearnAfter > 0 && state.run > this.options.relearnAfter) {
      state.relearning = true;
      state.relearnStarted = true;
      return true;
    }
    state.heldBack = Math.min(state.heldBack + 1, Number.MAX_SAFE_INTEGER);
    return false;
  }

  /** Learns `x` unless it is flagged (see the class comment). @returns whether it was learned. */
  learnOne(x: ArrayLike<number>): boolean {
    checkRow(x, this.schema.dimension);
    if (this.judging) {
      const state = { ...this.state };
      if (!this.admit(this.pca.anomaly(x, this.scratch).anomaly, state)) {
        Object.assign(this.state, state);
        return false;
      }
      this.pca.learnOne(x);
      Object.assign(this.state, state);
      return true;
    }
    this.pca.learnOne(x);
    return true;
  }

  /**
   * Learns the rows of `rows[start..end)` that are not flagged, each judged by the model as it was
   * before the batch, in one batch update. Rows of arrays or a {@link RowMatrix}, as
   * `StreamingPCA.learnBatch` takes them; from a matrix the kept rows are copied into a new one
   * when some are left out (the whole batch is learned in place when none is).
   * @returns how many rows were learned.
   * @throws SampleError (model and state unchanged) when any row is bad.
   */
  learnBatch(rows: BatchRows, start = 0, end = rows.length): number {
    // StreamingPCA.learnBatch checks the rows itself (the model unchanged on a bad one).
    if (!this.judging) {
      this.pca.learnBatch(rows, start, end);
      return Math.max(0, end - start);
    }
    checkRows(rows, this.schema.dimension, start, end);
    const state = { ...this.state };
    if (rows instanceof RowMatrix) {
      const learned = this.learnMatrix(rows, start, end, state);
      Object.assign(this.state, state);
      return learned;
    }
    const kept: ArrayLike<number>[] = [];
    for (let i = start; i < end; i++) {
      if (this.admit(this.pca.anomaly(rows[i], this.scratch).anomaly, state)) kept.push(rows[i]);
    }
    if (kept.length > 0) this.pca.learnBatch(kept);
    Object.assign(this.state, state);
    return kept.length;
  }

  /** {@link learnBatch} of a matrix, judging `state` along; returns how many rows were learned. */
  private learnMatrix(rows: RowMatrix, start: number, end: number, state: NormalOnlyState): number {
    const d = rows.columns;
    const values = rows.values;
    const row = new Float64Array(d);
    const keep = new Uint8Array(end - start);
    let kept = 0;
    for (let i = start; i < end; i++) {
      row.set(values.subarray(i * d, (i + 1) * d));
      if (this.admit(this.pca.anomaly(row, this.scratch).anomaly, state)) {
        keep[i - start] = 1;
        kept += 1;
      }
    }
    if (kept === end - start) {
      this.pca.learnBatch(rows, start, end);
    } else if (kept > 0) {
      const chosen = new Float64Array(kept * d);
      let at = 0;
      for (let i = start; i < end; i++) {
        if (keep[i - start] === 0) continue;
        chosen.set(values.subarray(i * d, (i + 1) * d), at);
        at += d;
      }
      this.pca.learnBatch(new RowMatrix(chosen, kept, d));
    }
    return kept;
  }

  toJSON(): PcaModelJSON {
    return this.pca.toJSON();
  }
}
