/**
 * How far a peer's share is believed (docs/scale-out.md, "Trust"): the optional signature of the
 * fleet's shared secret, and the plausibility limits that hold with or without it.
 *
 * Anyone who may publish on the broker can put a model JSON where a learner reads shares, so a
 * share is checked before it can change anything: a signed share proves it comes from a holder of
 * the secret; an unsigned one can only be held to what an honest peer could have learned. A peer's
 * record (the highest sample count it claimed, when, and its last sequence number) is kept beside
 * the peer's model object in a weak map, so it goes when the model goes and needs no pruning.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { MAX_SAMPLES_SEEN } from '../../../lib/model';
import { MAX_PEERS } from './model-store';

/** Samples a second a peer may learn: how fast its claimed count may grow between two shares. */
export const PEER_RATE = 100_000;
/** How many times the rest of a key's fleet (own model and other peers) a new peer may weigh. */
export const PEER_WEIGHT = 1000;
/**
 * The largest sample count a share may claim: every peer of a key and the own model together
 * stay below the largest count a model may reach, so that no share can make later learning overflow.
 */
export const MAX_SHARE_SAMPLES = Math.floor(MAX_SAMPLES_SEEN / (MAX_PEERS + 2));
/** The fields a signed share adds to the model JSON. */
export const SIGNATURE_FIELD = 'sig';
export const SEQUENCE_FIELD = 'seq';

/** What is remembered of a peer's contribution to one key. */
export interface PeerRecord {
  /** The highest sample count it was believed with, and when (Date.now()). */
  high: number;
  at: number;
  /** Its last accepted sequence number (signed shares only). */
  seq: number;
}

/** HMAC-SHA256 of the share's JSON text (the model with its `instance`, `key` and `seq`), hex. */
export function signShare(secret: string, body: Record<string, unknown>): string {
  return createHmac('sha256', secret).update(JSON.stringify(body)).digest('hex');
}

/** Why a signed share is refused, or `undefined` when its signature holds. */
export function signatureProblem(
  secret: string,
  share: Record<string, unknown>,
): 'unsigned' | 'badSignature' | undefined {
  const { [SIGNATURE_FIELD]: sig, ...body } = share;
  const seq = share[SEQUENCE_FIELD];
  if (typeof sig !== 'string' || !Number.isSafeInteger(seq) || (seq as number) < 0) return 'unsigned';
  const expected = Buffer.from(signShare(secret, body), 'hex');
  const given = Buffer.from(sig, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'badSignature';
}

/** A plausibility limit a share breaks, with the numbers its message names. */
export interface Implausible {
  reason: 'tooMany' | 'tooFast' | 'tooHeavy';
  vars: Record<string, string | number>;
}

/**
 * Checks a share's sample count against what its peer could have learned.
 * @param count the share's sample count.
 * @param record what was believed of this peer for this key before (undefined: a new peer).
 * @param rest the samples of the key's other models (own and other peers).
 * @param interval the share interval in seconds (0: none), the least time a peer's count is given to grow.
 */
export function implausible(
  count: number,
  record: PeerRecord | undefined,
  rest: number,
  interval: number,
  now: number,
): Implausible | undefined {
  if (count > MAX_SHARE_SAMPLES) return { reason: 'tooMany', vars: { count, max: MAX_SHARE_SAMPLES } };
  if (record !== undefined) {
    // A peer whose count drops was reset; it then grows again from there, below the high mark.
    const seconds = Math.max((now - record.at) / 1000, interval, 1);
    const allowed = record.high + PEER_RATE * seconds;
    if (count > allowed) {
      return {
        reason: 'tooFast',
        vars: { from: record.high, count, seconds: Math.round(seconds * 10) / 10, rate: PEER_RATE },
      };
    }
    return undefined;
  }
  // A node that knows nothing of a key cannot judge a first share of it: only the cap holds then.
  if (rest > 0 && count > PEER_WEIGHT * rest) {
    return { reason: 'tooHeavy', vars: { count, rest, factor: PEER_WEIGHT } };
  }
  return undefined;
}
