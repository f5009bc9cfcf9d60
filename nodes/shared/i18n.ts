/**
 * Node-level messages (status texts, warnings, errors) come from the nodes' locale files through
 * `RED._`, as Node-RED's core nodes do, so that they can be translated. Keys are relative to the
 * node type: `runtime.status.configError` is `ml-pca.runtime.status.configError` in
 * `locales/<lang>/ml-pca.json`. The build merges `nodes/shared/locales/<lang>/node.json` into
 * every node's file and `learner.json` into each learner's (docs/architecture.md, "Locales").
 *
 * `lib/` imports nothing from Node-RED, so its messages stay English; a node passes them on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { NodeAPI } from 'node-red';

/** Values put into a message where it says `__name__`. */
export type MessageVars = Readonly<Record<string, string | number>>;

/** Looks up a message by its key below the node type, with its values filled in. */
export type Translate = (key: string, vars?: MessageVars) => string;

type Catalog = { readonly [key: string]: string | Catalog };

const catalogs = new Map<string, Catalog>();

/** The shared code's messages, which the build copies beside it (for code that has no node type). */
const SHARED = '';

/**
 * The English messages of a node type, as the build wrote them beside the node's compiled code;
 * those of the code every node shares for {@link SHARED}.
 */
function englishCatalog(type: string): Catalog {
  let catalog = catalogs.get(type);
  if (catalog === undefined) {
    try {
      catalog =
        type === SHARED
          ? (JSON.parse(
              fs.readFileSync(path.join(__dirname, 'locales', 'en-US', 'node.json'), 'utf8'),
            ) as Catalog)
          : (((
              JSON.parse(
                fs.readFileSync(path.join(__dirname, '..', type, 'locales', 'en-US', `${type}.json`), 'utf8'),
              ) as Catalog
            )[type] as Catalog) ?? {});
    } catch {
      catalog = {};
    }
    catalogs.set(type, catalog);
  }
  return catalog;
}

/** The message at a dotted key, `undefined` when the catalog has none. */
function lookup(catalog: Catalog, key: string): string | undefined {
  let entry: string | Catalog | undefined = catalog;
  for (const part of key.split('.')) {
    entry =
      typeof entry === 'object' && Object.prototype.hasOwnProperty.call(entry, part)
        ? entry[part]
        : undefined;
  }
  return typeof entry === 'string' ? entry : undefined;
}

/** Fills `__name__` with `vars.name`, as Node-RED's i18next is configured to. */
function fill(text: string, vars: MessageVars | undefined): string {
  if (!vars) return text;
  return text.replace(/__([A-Za-z]\w*)__/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole,
  );
}

/**
 * The English text of a message of node type `type` (or of the shared code); the key itself when
 * no catalog has it, so that a missing message is visible rather than blank.
 */
export function english(type: string, key: string, vars?: MessageVars): string {
  const text = lookup(englishCatalog(type), key) ?? lookup(englishCatalog(SHARED), key);
  return text === undefined ? key : fill(text, vars);
}

/** The English messages of the code every node shares, for a reader that has no node at hand. */
export const sharedEnglish: Translate = (key, vars) => english(SHARED, key, vars);

/** The English messages of a node type, for code that has no `RED` at hand. */
export function englishOf(type: string): Translate {
  return (key, vars) => english(type, key, vars);
}

/**
 * The messages of a node type through `RED._`, falling back to English when the runtime has no
 * catalog for the key (node-red-node-test-helper's `RED._` returns the key unchanged).
 */
export function translator(RED: NodeAPI, type: string): Translate {
  return (key, vars) => {
    const full = `${type}.${key}`;
    let text: unknown;
    try {
      text = RED._(full, vars as Record<string, string>);
    } catch {
      text = undefined;
    }
    return typeof text === 'string' && text !== full && text !== '' ? text : english(type, key, vars);
  };
}
