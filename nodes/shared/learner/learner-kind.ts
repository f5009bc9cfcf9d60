/**
 * What a learner node type tells the shared plumbing about its model (docs/architecture.md,
 * "Learner nodes"): a node file describes its model through a {@link LearnerKind} and nothing else.
 */
import type { NodeMessage } from 'node-red';
import type { ModelHeader } from '../../../lib/model';
import type { Sample, Schema } from '../../../lib/samples';
import type { MessageProperty } from '../message';
import type { StoredModel } from './model-store';

/** What the shared plumbing needs of a model. */
export interface Learner extends StoredModel {
  readonly schema: Schema;
  learnOne(x: ArrayLike<number>): void;
  learnBatch(rows: ReadonlyArray<ArrayLike<number>>, start?: number, end?: number): void;
  toJSON(): ModelHeader;
  /**
   * The model JSON without changing what the model does next (a PCA export refits the live
   * model); used for saves and shares, which run on a timer. By default `toJSON`.
   */
  snapshot?(): ModelHeader;
}

/** A model's JSON for a save or a share: its {@link Learner.snapshot}, else its `toJSON`. */
export function snapshotOf(model: { toJSON(): ModelHeader; snapshot?(): ModelHeader }): ModelHeader {
  return model.snapshot ? model.snapshot() : model.toJSON();
}

/** How one node type creates, loads, merges and applies its model. */
export interface LearnerKind<M extends Learner> {
  /** The node type and model type tag, e.g. `ml-standardize`. */
  readonly type: string;
  /** Samples a model must have seen before it transforms, when `warmupSamples` is blank. */
  defaultWarmup(dimension: number): number;
  /**
   * True when a new model can transform before learning anything (k-means from given centres):
   * then a sample creates one even while not learning (`msg.learn = false`, learning off).
   */
  readonly readyWithoutData?: boolean;
  /** Whether a model can transform; by default when it has seen `warmup` samples. */
  ready?(model: M, warmup: number): boolean;
  /**
   * Rows a batch needs to be fitted and transformed at once, whatever the warm-up, as
   * scikit-learn's `fit_transform` needs them: standardize 1, PCA 2, k-means k.
   */
  readonly batchRows: number;
  /** Whether a model that just learned a batch of at least {@link batchRows} rows can transform it. */
  batchReady?(model: M): boolean;
  /**
   * The model to learn a batch of `rows` rows with: a model still warming up may be replaced by
   * one that fits the batch at once (k-means++ on its buffer and the batch). By default `model`.
   */
  forBatch?(model: M, rows: number): M;
  create(schema: Schema, warmup: number): M;
  /** @throws ModelError when `json` is not a valid model of this kind. */
  load(json: unknown): M;
  /** Why a model does not fit this node's settings (another k, components…), or `undefined`. */
  misfit(model: M): string | undefined;
  /** Combines two models of one key (learned on different instances) into a new one. */
  merge(a: M, b: M): M;
  /**
   * Renumbers `own` in place after `reference`, the fleet's senior model of the key, so that every
   * instance numbers what a model holds alike (k-means clusters). @returns whether it changed.
   */
  align?(own: M, reference: M): boolean;
  /**
   * Judges a sample before it is learned (or not), with the model that learns it when there is
   * one: ml-pca's alarm takes every sample's scores by the model as it was before the sample.
   */
  judge?(model: M, sample: Sample): void;
  /**
   * Writes the result for `sample` onto `msg` (the output property is `output`).
   * @returns messages for the node's third output (ml-pca's alarm starts and ends), if any.
   */
  transform(model: M, sample: Sample, msg: NodeMessage, output: MessageProperty): NodeMessage[] | void;
  /** Status text of a ready model, under 20 characters: `n=1234`, `2 PCs 95.8%`. */
  status(model: M): string;
  /** Whether the model's alarm is on (a red status dot); by default never. */
  alarming?(model: M): boolean;
}

/**
 * A transform produced a number that is not finite. The learner node reports it with the full
 * message (`runtime.errors.nonFinite`: what happened and what to do).
 */
export class NonFiniteError extends Error {
  override name = 'NonFiniteError';

  constructor(
    /** What came out wrong, e.g. `a scaled value`. */
    readonly what: string,
    readonly value: number,
  ) {
    super(`${what} came out as ${String(value)}`);
  }
}

/**
 * The last guard before a result leaves the node: every number a transform writes must be finite,
 * so that a model that went wrong is an error and not a NaN downstream.
 * @throws NonFiniteError naming the value.
 */
export function checkFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new NonFiniteError(what, values[i]);
  }
}
