/**
 * How window errors and warnings show what a user sent: short, and never throwing, whatever the
 * value (a 1 MB string, a cycle, a Proxy, a BigInt).
 */
import { describeName, describeValue } from '../errors';
import type { SampleShape } from '../samples';

/** User text (a topic, a name, a key) as an error shows it: quoted, cut as every error cuts it. */
export function quoteText(text: string): string {
  return JSON.stringify(describeName(text));
}

const PREVIEW_LENGTH = 80;

/**
 * A value shown in a message: short JSON-like text built from at most a few dozen parts, so a
 * big batch costs nothing, and never throwing (getters, proxies, BigInt and cycles included).
 */
export function preview(value: unknown, max = PREVIEW_LENGTH): string {
  let text: string;
  try {
    text = previewPart(value, 2, { budget: max + 1 });
  } catch {
    text = typeof value === 'object' && value !== null ? 'an object' : typeof value;
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function previewPart(value: unknown, depth: number, left: { budget: number }): string {
  if (left.budget <= 0) return '…';
  let text: string;
  if (value === null || typeof value === 'boolean' || typeof value === 'number') text = String(value);
  else if (value === undefined) text = 'undefined';
  else if (typeof value === 'string')
    text = JSON.stringify(value.length > left.budget ? `${value.slice(0, left.budget)}…` : value);
  else if (typeof value === 'bigint') text = `${value}n`;
  else if (typeof value !== 'object') text = `a ${typeof value}`;
  else if (depth === 0) text = Array.isArray(value) ? '[…]' : '{…}';
  else if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = value as ArrayLike<unknown>;
    const parts: string[] = [];
    for (let i = 0; i < items.length && left.budget > 0; i++) {
      if (i > 0) left.budget--;
      parts.push(previewPart(items[i], depth - 1, left));
    }
    text = `[${parts.join(',')}${parts.length < items.length ? ',…' : ''}]`;
  } else {
    const parts: string[] = [];
    let more = false;
    for (const name in value) {
      if (!Object.prototype.hasOwnProperty.call(value, name)) continue;
      if (left.budget <= 0) {
        more = true;
        break;
      }
      const shown = name.length > 20 ? `${name.slice(0, 20)}…` : name;
      left.budget -= shown.length + 4;
      parts.push(
        `${JSON.stringify(shown)}:${previewPart((value as Record<string, unknown>)[name], depth - 1, left)}`,
      );
    }
    text = `{${parts.join(',')}${more ? ',…' : ''}}`;
  }
  left.budget -= text.length;
  return text;
}

/** `a number`, `an array` or `an object`. */
export function shapeName(shape: SampleShape): string {
  return shape === 'number' ? 'a number' : shape === 'array' ? 'an array' : 'an object';
}

/** A reading that is not one finite number, as an error names it. */
export function describeReading(value: unknown): string {
  if (typeof value === 'string') return `a string (${JSON.stringify(value.slice(0, 40))})`;
  if (typeof value === 'number') return String(value);
  if (value === null || value === undefined) return String(value ?? 'missing');
  return describeValue(value);
}
