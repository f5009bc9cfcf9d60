/**
 * Reading and writing the msg property a node is configured with. A plain name such as `payload`
 * (the common case) is read directly, skipping Node-RED's path parser on every message.
 */
import type { NodeAPI, NodeMessage } from 'node-red';
import { describeValue, SampleError } from '../../lib/errors';

/**
 * A key or a name as the nodes' warnings show it: quoted, and cut after 40 characters, so that a
 * long key never floods the log.
 */
export function quoteKey(key: string): string {
  return JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
}

/** The `send` a node's input handler receives: one message, or one per output. */
export type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
/** The `done` a node's input handler receives: called once, with the error when the message failed. */
export type Done = (err?: Error) => void;

/** A configured msg property. */
export class MessageProperty {
  /** The path as the user wrote it, e.g. `payload`. */
  readonly path: string;
  /** How errors name it, e.g. `msg.payload`. */
  readonly label: string;
  private readonly simple: boolean;

  constructor(
    private readonly RED: NodeAPI,
    path: string,
  ) {
    this.path = path;
    this.label = `msg.${path}`;
    this.simple = /^[A-Za-z_$][\w$]*$/.test(path);
  }

  get(msg: NodeMessage): unknown {
    if (this.simple) return (msg as Record<string, unknown>)[this.path];
    return this.RED.util.getMessageProperty(msg, this.path);
  }

  set(msg: NodeMessage, value: unknown): void {
    if (this.simple) (msg as Record<string, unknown>)[this.path] = value;
    else this.RED.util.setMessageProperty(msg, this.path, value, true);
  }
}

/**
 * Reads the key that picks a model or a window (`keyProperty`, typically `topic`).
 * @param picks what the key picks, for the error: `a model`, `a window`.
 * @returns the key as a string (so `1` and `"1"` are one key), `undefined` when the message has none.
 * @throws SampleError when the value is not a string or a number.
 */
export function readKey(property: MessageProperty, msg: NodeMessage, picks = 'a model'): string | undefined {
  const value = property.get(msg);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new SampleError(
    `${property.label} must be a string or a number to pick ${picks}, got ${Array.isArray(value) ? 'an array' : typeof value}`,
  );
}

/**
 * Reads a control property that is a switch: a boolean, or the strings `"true"` / `"false"` (as a
 * change node or an HTTP form writes them), or one of `words` (such as `"own"` for export).
 * @returns `undefined` when absent, else the boolean or the word.
 * @throws Error naming the field and listing what it accepts, for anything else (`0`, `null`,
 *   `"yes"`, an object), so that a typo never silently learns or resets.
 */
export function readSwitch<W extends string = never>(
  msg: Record<string, unknown>,
  field: string,
  words: readonly W[] = [],
): boolean | W | undefined {
  const value = msg[field];
  if (value === undefined || typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (typeof value === 'string' && (words as readonly string[]).includes(value)) return value as W;
  const allowed = ['true', 'false', '"true"', '"false"', ...words.map((w) => `"${w}"`)];
  throw new Error(
    `msg.${field} must be ${allowed.join(', ').replace(/, ([^,]*)$/, ' or $1')}, got ${describeValue(value)}`,
  );
}
