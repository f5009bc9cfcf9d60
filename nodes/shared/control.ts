/**
 * The control properties a learner accepts beside a sample: `msg.reset`, `msg.learn`, `msg.hold`,
 * `msg.model` (with `msg.peer`) and `msg.export` (docs/nodes.md). They are read and checked before anything
 * changes, so that a misspelt switch fails the message instead of silently learning or resetting.
 */
import type { Translate } from './i18n';
import { readSwitch } from './message';

/** What a message asks of a learner besides its sample. */
export interface Control {
  /** Forget the key's models (all models without `keyProperty`) before the rest applies. */
  reset: boolean;
  /** Learn from this message's sample (`msg.learn = false` only transforms). */
  learn: boolean;
  /**
   * `true` stops learning for the key (all keys without one) until a `false` arrives: what ml-pca's
   * alarm output sends at an alarm's start and end, so no learner of the flow learns a fault.
   */
  hold: boolean | undefined;
  /** A model to load, as JSON (docs/model-json.md). */
  model: unknown;
  /** The instance `model` was learned on: it is kept beside the own model and merged in. */
  peer: string | undefined;
  /** Send the key's models: merged with the peers' (`all`) or only what this node learned (`own`). */
  exportWhat: 'all' | 'own' | undefined;
}

/** What a plain sample message carries, shared so that the common case allocates nothing. */
export const NO_CONTROL: Readonly<Control> = Object.freeze({
  reset: false,
  learn: true,
  hold: undefined,
  model: undefined,
  peer: undefined,
  exportWhat: undefined,
});

/**
 * Reads the control properties of a message.
 * @returns `undefined` when the message carries none (then it must carry a sample); a message with
 *   any is consumed without a sample when it has none.
 * @param t the node's messages.
 * @throws Error naming the property and what it accepts.
 */
export function readControl(msg: Record<string, unknown>, t: Translate): Readonly<Control> | undefined {
  if (
    msg.reset === undefined &&
    msg.learn === undefined &&
    msg.hold === undefined &&
    msg.model === undefined &&
    msg.export === undefined &&
    msg.peer === undefined
  ) {
    return undefined;
  }
  const peer = msg.peer;
  if (peer !== undefined && (typeof peer !== 'string' || peer === '')) {
    throw new Error(t('runtime.errors.peerEmpty'));
  }
  if (peer !== undefined && msg.model === undefined) {
    throw new Error(t('runtime.errors.peerWithoutModel'));
  }
  const reset = readSwitch(msg, 'reset');
  const learn = readSwitch(msg, 'learn');
  const hold = readSwitch(msg, 'hold');
  const exported = readSwitch(msg, 'export', ['own'] as const);
  return {
    reset: reset === true,
    learn: learn !== false,
    hold,
    model: msg.model,
    peer: peer as string | undefined,
    exportWhat: exported === 'own' ? 'own' : exported === true ? 'all' : undefined,
  };
}
