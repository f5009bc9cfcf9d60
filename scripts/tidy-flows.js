#!/usr/bin/env node
'use strict';
// Tidies flow files (by default every examples/*.json) so that they open in the editor as they
// should: every node carries every setting its editor defines (what the editor would fill in, so
// that opening a node and pressing Done changes nothing), and the nodes are laid out on a grid
// from the wiring alone, left to right, with no two nodes overlapping and nothing off the canvas.
// It depends only on the files' nodes, wires and order, never on their positions, so running it
// again, or after the wiring changed, gives the same layout for the same wiring.
//
//   node scripts/tidy-flows.js [file.json ...]      (after npm run build: our editors come from dist/)
//   node scripts/tidy-flows.js --check [file ...]   (exit 1, naming the files it would change)
//
// The editor definitions (defaults and labels) are read from the nodes' own .html files, those of
// this package's build and of the Node-RED and dashboard packages installed for development,
// evaluated in a sandbox that stands in for the editor's API.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const root = path.resolve(__dirname, '..');

/** Where node-red's editor puts nothing: the workspace is 8000 × 8000 px. */
const CANVAS = { width: 8000, height: 8000 };
/** Space left of the first column and above the first row, between columns and between rows. */
const MARGIN = 40;
const COLUMN_GAP = 60;
const ROW_PITCH = 60;

// ---------------------------------------------------------------------------------------------
// Editor definitions, from the nodes' .html

/** Something that accepts any use (property, call, new) and gives itself back. */
function anything() {
  const target = function () {};
  const proxy = new Proxy(target, {
    get(_t, key) {
      if (key === Symbol.toPrimitive) return () => '';
      if (key === 'toString' || key === 'valueOf') return () => '';
      if (key === 'then') return undefined;
      if (key === 'length') return 0;
      return proxy;
    },
    apply: () => proxy,
    construct: () => proxy,
  });
  return proxy;
}

/** The English messages of every package whose nodes are read, one catalog. */
function catalogs(dirs) {
  const merged = {};
  const add = (file) => {
    try {
      const messages = JSON.parse(fs.readFileSync(file, 'utf8'));
      for (const [key, value] of Object.entries(messages)) merged[key] = { ...merged[key], ...value };
    } catch {
      // Not a message catalog.
    }
  };
  for (const dir of dirs) {
    walk(dir, (file) => {
      if (/[\\/]locales[\\/]en-US[\\/][^\\/]+\.json$/.test(file)) add(file);
    });
  }
  return merged;
}

function walk(dir, visit) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') walk(full, visit);
    } else visit(full);
  }
}

/** Looks a dotted key up in the catalog, filling in `__name__` values; the key when missing. */
function translator(catalog) {
  return (key, vars) => {
    const name = String(key).replace(/^[^:]*:/, '');
    let value = catalog;
    for (const part of name.split('.')) value = value && typeof value === 'object' ? value[part] : undefined;
    if (typeof value !== 'string') return name;
    return value.replace(/__(\w+)__/g, (match, v) => (vars && v in vars ? String(vars[v]) : match));
  };
}

/** The node folders whose .html define the types a flow file may use. */
function definitionSources() {
  const modules = path.join(root, 'node_modules');
  return {
    ours: path.join(root, 'dist', 'nodes'),
    others: [
      path.join(modules, '@node-red', 'nodes', 'core'),
      path.join(modules, '@flowfuse', 'node-red-dashboard', 'nodes'),
      path.join(modules, 'node-red-dashboard', 'nodes'),
    ],
    locales: [path.join(modules, '@node-red', 'nodes', 'locales')],
  };
}

let cachedDefinitions;

/**
 * The editor definition of every node type found: `{ defaults, label, inputs, outputs }` as the
 * node's .html registers it.
 */
function editorDefinitions() {
  if (cachedDefinitions) return cachedDefinitions;
  const sources = definitionSources();
  if (!fs.existsSync(sources.ours)) throw new Error('dist/nodes is missing: run npm run build first');
  const catalog = catalogs([sources.ours, ...sources.others, ...sources.locales]);
  const t = translator(catalog);
  const definitions = {};
  const sandbox = {
    console: { log() {}, warn() {}, error() {}, info() {}, debug() {} },
    setTimeout: () => 0,
    clearTimeout: () => {},
    setInterval: () => 0,
    document: anything(),
    navigator: anything(),
    $: anything(),
    jQuery: anything(),
  };
  sandbox.window = sandbox;
  const RED = new Proxy(
    {},
    {
      get(_t, key) {
        if (key === '_') return t;
        if (key === 'nodes') {
          return new Proxy(
            {},
            {
              get(_n, name) {
                if (name === 'registerType') {
                  return (type, definition) => {
                    definitions[type] = definition;
                  };
                }
                return anything();
              },
            },
          );
        }
        return anything();
      },
    },
  );
  sandbox.RED = RED;
  vm.createContext(sandbox);
  const run = (code, file) => {
    try {
      vm.runInContext(code, sandbox, { filename: file, timeout: 2000 });
    } catch {
      // A script that needs more of the editor than the sandbox gives: its types are not read.
    }
  };
  run(fs.readFileSync(path.join(root, 'resources', 'learner-editor.js'), 'utf8'), 'learner-editor.js');
  const htmlFiles = [];
  for (const dir of [sources.ours, ...sources.others]) {
    walk(dir, (file) => {
      if (file.endsWith('.html') && !/[\\/]locales[\\/]/.test(file)) htmlFiles.push(file);
    });
  }
  for (const file of htmlFiles) {
    const html = fs.readFileSync(file, 'utf8');
    const scripts = html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g);
    for (const [, attributes, code] of scripts) {
      if (/src=/.test(attributes) || /text\/(html|x-red)/.test(attributes)) continue;
      run(code, file);
    }
  }
  cachedDefinitions = { definitions, t };
  return cachedDefinitions;
}

/** A default's value when it can be written to a file (a plain value, not a function of the editor). */
function plainValue(value) {
  if (value === undefined || typeof value === 'function') return undefined;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Settings the editor removes on Done although its definition lists them: an inject node keeps
 * `payload` and `payloadType` only when one of its properties is the payload.
 */
function notKept(node) {
  if (node.type === 'inject' && Array.isArray(node.props) && !node.props.some((p) => p.p === 'payload')) {
    return ['payload', 'payloadType'];
  }
  return [];
}

/** Adds every setting the node's editor defines and the node lacks, with the editor's default. */
function fillDefaults(node, definitions) {
  const definition = definitions[node.type];
  if (!definition || !definition.defaults) return node;
  const filled = { ...node };
  const dropped = notKept(node);
  for (const key of dropped) delete filled[key];
  for (const [key, spec] of Object.entries(definition.defaults)) {
    if (key in filled || dropped.includes(key) || !spec || typeof spec !== 'object') continue;
    const value = plainValue(spec.value);
    if (value !== undefined) filled[key] = value;
  }
  // The editor gives every output port a label (blank when none) once a node has labels.
  if (Array.isArray(filled.outputLabels) && Number(filled.outputs) > filled.outputLabels.length) {
    const labels = filled.outputLabels.slice();
    while (labels.length < Number(filled.outputs)) labels.push('');
    filled.outputLabels = labels;
  }
  return filled;
}

// ---------------------------------------------------------------------------------------------
// Sizes, as the editor draws a node

/** Helvetica's advance widths (per 1000 em) of printable ASCII, from the font's metrics. */
const HELVETICA = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556,
  556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278,
  500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469,
  556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
  278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
/** The node label's font size in the editor, and a margin for fonts a little wider than Helvetica. */
const FONT_PX = 14;
const FONT_MARGIN = 1.08;

/** The width in px of a label in the editor's node font. */
function textWidth(text) {
  let units = 0;
  for (const char of String(text)) {
    const code = char.codePointAt(0);
    units += code >= 32 && code <= 126 ? HELVETICA[code - 32] : 1000;
  }
  return (units / 1000) * FONT_PX * FONT_MARGIN;
}

/** The label the editor shows on a node. */
function nodeLabel(node, definitions, t) {
  const definition = definitions[node.type];
  if (!definition) return node.name || node.type;
  let label = definition.label;
  try {
    if (typeof label === 'function') {
      const self = { ...node, _: t, _def: definition };
      label = label.call(self);
    }
  } catch {
    label = undefined;
  }
  return typeof label === 'string' && label !== '' ? label : node.name || node.type;
}

/** The box a node takes in the editor: `{ w, h }` (its x, y are its centre). */
function nodeSize(node, definitions, t) {
  const definition = definitions[node.type] || {};
  const lines = nodeLabel(node, definitions, t).split('\\n');
  const width = Math.max(...lines.map(textWidth));
  const inputs = definition.inputs ?? 1;
  const outputs = node.outputs ?? definition.outputs ?? (Array.isArray(node.wires) ? node.wires.length : 0);
  return {
    w: Math.max(100, 20 * Math.ceil((width + 50 + (inputs > 0 ? 7 : 0)) / 20)),
    h: Math.max(6 + 24 * lines.length, outputs * 15, 30),
  };
}

// ---------------------------------------------------------------------------------------------
// Layout

/** Nodes drawn on a tab (those with a position); config nodes and tabs are not. */
function drawn(flow) {
  return flow.filter((n) => n.type !== 'tab' && n.z && typeof n.x === 'number' && typeof n.y === 'number');
}

/**
 * Places the drawn nodes of one tab: comments first, one per row; then each group of wired nodes
 * (in the order its first node comes in the file), columns by the longest path from a source so
 * that every wire runs left to right, rows by following the wires from each source.
 */
function layoutTab(nodes, definitions, t) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const { out, into } = wiring(nodes, byId);
  // Feedback wires (an alarm's msg.hold back into the learners before it) close a loop: they are
  // left out of the columns, and are the only wires that run right to left.
  const back = feedbackWires(nodes, out, into);
  for (const [from, to] of back) {
    out.set(
      from,
      out.get(from).filter((id) => id !== to),
    );
    into.set(
      to,
      into.get(to).filter((id) => id !== from),
    );
  }
  const sizes = new Map(nodes.map((n) => [n.id, nodeSize(n, definitions, t)]));
  const placed = new Map();
  let top = MARGIN;

  // Headings and notes: their own rows, at the left.
  const comments = nodes.filter((n) => n.type === 'comment' && out.get(n.id).length === 0);
  for (const n of comments) {
    const { w, h } = sizes.get(n.id);
    placed.set(n.id, { x: MARGIN + w / 2, y: top + h / 2 });
    top += Math.max(ROW_PITCH, h + 20);
  }

  // Groups of wired nodes, in file order.
  const rest = nodes.filter((n) => !placed.has(n.id));
  const group = new Map();
  for (const n of rest) {
    if (group.has(n.id)) continue;
    const members = [];
    const stack = [n.id];
    group.set(n.id, members);
    while (stack.length) {
      const id = stack.pop();
      members.push(id);
      for (const next of [...out.get(id), ...into.get(id)]) {
        if (!group.has(next)) {
          group.set(next, members);
          stack.push(next);
        }
      }
    }
  }
  const order = new Map(nodes.map((n, i) => [n.id, i]));
  const groups = [...new Set(rest.map((n) => group.get(n.id)))];
  const rowHeight = Math.max(ROW_PITCH, ...[...sizes.values()].map((s) => s.h + 20));
  const columnOf = new Map();
  const rowsOf = [];
  for (const members of groups) {
    members.sort((a, b) => order.get(a) - order.get(b));
    // Columns: the longest path from a source (a wire back to an earlier node is not followed).
    const column = new Map();
    const visiting = new Set();
    const depth = (id) => {
      if (column.has(id)) return column.get(id);
      visiting.add(id);
      let d = 0;
      for (const from of into.get(id)) if (!visiting.has(from)) d = Math.max(d, depth(from) + 1);
      visiting.delete(id);
      column.set(id, d);
      return d;
    };
    for (const id of members) depth(id);
    // Rows: follow the wires from each source; a node takes its parent's row when free.
    const taken = new Set();
    const row = new Map();
    let rows = 0;
    const place = (id, wanted) => {
      let r = wanted;
      while (taken.has(`${column.get(id)}:${r}`)) r++;
      row.set(id, r);
      taken.add(`${column.get(id)}:${r}`);
      rows = Math.max(rows, r + 1);
      for (const next of out.get(id)) if (!row.has(next) && column.get(next) > column.get(id)) place(next, r);
    };
    for (const id of members) if (into.get(id).length === 0 && !row.has(id)) place(id, rows);
    for (const id of members) if (!row.has(id)) place(id, rows);
    for (const id of members) columnOf.set(id, column.get(id));
    rowsOf.push({ members, row, rows, top });
    top += rows * rowHeight + rowHeight / 2;
  }
  // Column widths across the tab, so that columns line up from group to group.
  const widths = [];
  for (const [id, c] of columnOf) widths[c] = Math.max(widths[c] || 0, sizes.get(id).w);
  const left = [];
  let x = MARGIN;
  for (let c = 0; c < widths.length; c++) {
    left[c] = x;
    x += (widths[c] || 0) + COLUMN_GAP;
  }
  for (const { members, row, top: groupTop } of rowsOf) {
    for (const id of members) {
      const { w } = sizes.get(id);
      placed.set(id, {
        x: left[columnOf.get(id)] + w / 2,
        y: groupTop + row.get(id) * rowHeight + rowHeight / 2,
      });
    }
  }
  return placed;
}

/**
 * The nodes a catch, status or complete node watches (`scope`): Node-RED 4's editor saves them in
 * the order they come in the flow, Node-RED 5's in the order of their labels. Sorted by label, and
 * those nodes put in that order in the flow (in the places they held), Done changes nothing on
 * either version.
 */
function sortScopes(flow, definitions, t) {
  const byId = new Map(flow.map((n) => [n.id, n]));
  const label = (id) => (byId.has(id) ? nodeLabel(byId.get(id), definitions, t) : id);
  const byLabel = (a, b) => label(a).localeCompare(label(b));
  let out = flow.map((n) =>
    Array.isArray(n.scope) && ['catch', 'status', 'complete'].includes(n.type)
      ? { ...n, scope: [...n.scope].sort(byLabel) }
      : n,
  );
  for (const watcher of out.filter((n) => Array.isArray(n.scope) && n.scope.length > 1)) {
    const places = out.map((n, i) => (watcher.scope.includes(n.id) ? i : -1)).filter((i) => i >= 0);
    const inOrder = places.map((i) => out[i]).sort((a, b) => byLabel(a.id, b.id));
    out = out.slice();
    places.forEach((place, k) => {
      out[place] = inOrder[k];
    });
  }
  return out;
}

/** The flow tidied: settings filled in, nodes laid out; the input is not changed. */
function tidyFlow(flow) {
  const { definitions, t } = editorDefinitions();
  const filled = sortScopes(
    flow.map((n) => fillDefaults(n, definitions)),
    definitions,
    t,
  );
  const tabs = [...new Set(drawn(filled).map((n) => n.z))];
  const positions = new Map();
  for (const tab of tabs) {
    const placed = layoutTab(
      drawn(filled).filter((n) => n.z === tab),
      definitions,
      t,
    );
    for (const [id, p] of placed) positions.set(id, p);
  }
  return filled.map((n) => (positions.has(n.id) ? { ...n, ...positions.get(n.id) } : n));
}

/** Each node's wired successors (`out`) and predecessors (`into`) among `nodes`, once per pair. */
function wiring(nodes, byId) {
  const out = new Map(nodes.map((n) => [n.id, []]));
  const into = new Map(nodes.map((n) => [n.id, []]));
  for (const n of nodes) {
    for (const port of n.wires || []) {
      for (const target of port || []) {
        if (byId.has(target) && !out.get(n.id).includes(target)) {
          out.get(n.id).push(target);
          into.get(target).push(n.id);
        }
      }
    }
  }
  return { out, into };
}

/**
 * The wires that close a loop, found by a depth-first walk from each source in file order (then
 * from any node not reached): a wire to a node still on the walk's path goes back. Pairs
 * `[from, to]`.
 */
function feedbackWires(nodes, out, into) {
  const state = new Map();
  const back = [];
  const visit = (id) => {
    state.set(id, 'open');
    for (const next of out.get(id)) {
      if (state.get(next) === 'open') back.push([id, next]);
      else if (!state.has(next)) visit(next);
    }
    state.set(id, 'done');
  };
  for (const n of nodes) if (into.get(n.id).length === 0 && !state.has(n.id)) visit(n.id);
  for (const n of nodes) if (!state.has(n.id)) visit(n.id);
  return back;
}

/**
 * What is wrong with a flow's layout: overlapping nodes, nodes off the canvas, wires that run
 * right to left (but for the wires that close a loop). One line each; empty when the layout is sound.
 */
function layoutProblems(flow) {
  const { definitions, t } = editorDefinitions();
  const problems = [];
  const nodes = drawn(flow);
  const box = new Map(
    nodes.map((n) => {
      const { w, h } = nodeSize(n, definitions, t);
      return [n.id, { left: n.x - w / 2, right: n.x + w / 2, top: n.y - h / 2, bottom: n.y + h / 2 }];
    }),
  );
  const name = (n) => `${n.type} "${nodeLabel(n, definitions, t)}" (${n.id})`;
  for (const n of nodes) {
    const b = box.get(n.id);
    if (b.left < 0 || b.top < 0 || b.right > CANVAS.width || b.bottom > CANVAS.height) {
      problems.push(`${name(n)} is off the canvas (${Math.round(b.left)}, ${Math.round(b.top)})`);
    }
  }
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      const a = nodes[i];
      const c = nodes[j];
      if (a.z !== c.z) continue;
      const p = box.get(a.id);
      const q = box.get(c.id);
      if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom) {
        problems.push(`${name(a)} overlaps ${name(c)}`);
      }
    }
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const { out, into } = wiring(nodes, byId);
  const feedback = new Set(feedbackWires(nodes, out, into).map(([from, to]) => `${from} ${to}`));
  for (const n of nodes) {
    for (const port of n.wires || []) {
      for (const target of port || []) {
        const to = byId.get(target);
        if (feedback.has(`${n.id} ${target}`)) continue;
        if (to && box.get(to.id).left <= box.get(n.id).right) {
          problems.push(`the wire from ${name(n)} to ${name(to)} runs right to left`);
        }
      }
    }
  }
  return problems;
}

/** The settings a node lacks that its editor would fill in. */
function missingSettings(node) {
  const { definitions } = editorDefinitions();
  const definition = definitions[node.type];
  if (!definition || !definition.defaults) return [];
  const dropped = notKept(node);
  const labels = node.outputLabels;
  const unlabelled = Array.isArray(labels) && Number(node.outputs) > labels.length ? ['outputLabels'] : [];
  return Object.entries(definition.defaults)
    .filter(
      ([key, spec]) =>
        !(key in node) && !dropped.includes(key) && spec && plainValue(spec.value) !== undefined,
    )
    .map(([key]) => key)
    .concat(unlabelled);
}

/** The example and demo flow files. */
function flowFiles() {
  const dir = path.join(root, 'examples');
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => path.join(dir, file));
}

function main(argv) {
  const check = argv.includes('--check');
  const files = argv.filter((a) => a !== '--check');
  let stale = 0;
  for (const file of files.length ? files.map((f) => path.resolve(f)) : flowFiles()) {
    const before = fs.readFileSync(file, 'utf8');
    const text = JSON.stringify(tidyFlow(JSON.parse(before)), null, 2) + '\n';
    const problems = layoutProblems(JSON.parse(text));
    for (const problem of problems) console.error(`${path.relative(root, file)}: ${problem}`);
    if (text === before) continue;
    stale++;
    if (check) console.log(`${path.relative(root, file)} is not tidy`);
    else {
      fs.writeFileSync(file, text);
      console.log(`tidied ${path.relative(root, file)}`);
    }
  }
  if (check && stale > 0) process.exitCode = 1;
}

module.exports = { tidyFlow, layoutProblems, missingSettings, nodeSize, editorDefinitions, flowFiles };

if (require.main === module) main(process.argv.slice(2));
