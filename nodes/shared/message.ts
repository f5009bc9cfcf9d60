/**
 * Reading and writing the msg property a node is configured with. A plain name such as `payload`
 * (the common case) is read directly, skipping Node-RED's path parser on every message.
 */
import type { NodeAPI, NodeMessage } from 'node-red';

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
 * @returns the key as a string, `undefined` when the message has none.
 * @throws Error when the value is not a string or a number.
 */
export function readKey(property: MessageProperty, msg: NodeMessage): string | undefined {
  const value = property.get(msg);
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new Error(
    `${property.label} must be a string or a number to pick a model, got ${Array.isArray(value) ? 'an array' : typeof value}`,
  );
}
