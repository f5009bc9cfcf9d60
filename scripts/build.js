'use strict';
// Compiles lib/ and nodes/ to dist/ and puts each node's editor files beside its compiled .js,
// where Node-RED looks for them. Parts every learner's editor shares live once in
// nodes/shared/editor and nodes/shared/locales and are included here (docs/architecture.md,
// "The build"):
//   <!-- @include NAME -->  is replaced by nodes/shared/editor/NAME, with __TYPE__ replaced by the
//   node's type (the form's ids and i18n keys name the node type);
//   the table of numeric settings (lib/settings.ts, NUMBER_SETTINGS, with its rule numberAllowed)
//   is written into each node's page as window.StreamMLSettings, where the form's validators and
//   placeholders read it, so the editor accepts what the runtime accepts;
//   nodes/shared/locales/<lang>/node.json (the runtime messages of the shared node code) is merged
//   under the node's type in every node's messages, and learner.json too when the node's .html
//   includes learner-form.html.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const shared = path.join(root, 'nodes', 'shared');
const INCLUDE = /<!--\s*@include\s+([\w.-]+)\s*-->/g;

function expand(text, type) {
  return text.replace(INCLUDE, (_, name) => {
    const included = fs.readFileSync(path.join(shared, 'editor', name), 'utf8');
    return expand(included, type).replace(/__TYPE__/g, type);
  });
}

/** A script giving the editor the node's numeric settings, as the compiled lib holds them. */
function settingsScript(type) {
  const { NUMBER_SETTINGS, numberAllowed } = require(path.join(dist, 'lib', 'settings.js'));
  const table = JSON.stringify(NUMBER_SETTINGS[type] || {});
  return (
    '<script type="text/javascript">\n' +
    'window.StreamMLSettings = window.StreamMLSettings || { allowed: ' +
    numberAllowed.toString() +
    ' };\n' +
    `window.StreamMLSettings[${JSON.stringify(type)}] = ${table};\n` +
    '</script>\n'
  );
}

// The node's messages win over the shared ones, at every depth.
function mergeDeep(base, extra) {
  const out = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && out[key] && typeof out[key] === 'object'
        ? mergeDeep(out[key], value)
        : (out[key] ?? value);
  }
  return out;
}

function copyLocales(source, target, type, learner) {
  for (const lang of fs.readdirSync(source)) {
    fs.mkdirSync(path.join(target, lang), { recursive: true });
    for (const file of fs.readdirSync(path.join(source, lang))) {
      const from = path.join(source, lang, file);
      const to = path.join(target, lang, file);
      if (file.endsWith('.html')) {
        fs.writeFileSync(to, expand(fs.readFileSync(from, 'utf8'), type));
      } else if (file === `${type}.json`) {
        const messages = JSON.parse(fs.readFileSync(from, 'utf8'));
        for (const name of learner ? ['node.json', 'learner.json'] : ['node.json']) {
          const common = path.join(shared, 'locales', lang, name);
          if (fs.existsSync(common)) {
            messages[type] = mergeDeep(messages[type] || {}, JSON.parse(fs.readFileSync(common, 'utf8')));
          }
        }
        fs.writeFileSync(to, JSON.stringify(messages, null, 2));
      } else {
        fs.copyFileSync(from, to);
      }
    }
  }
}

function build() {
  fs.rmSync(dist, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')],
    {
      stdio: 'inherit',
    },
  );
  const nodesDir = path.join(root, 'nodes');
  for (const type of fs.readdirSync(nodesDir)) {
    const source = path.join(nodesDir, type);
    const editor = path.join(source, `${type}.html`);
    if (type === 'shared' || !fs.existsSync(editor)) continue;
    const target = path.join(dist, 'nodes', type);
    const html = fs.readFileSync(editor, 'utf8');
    fs.writeFileSync(path.join(target, `${type}.html`), settingsScript(type) + expand(html, type));
    const learner = /@include\s+learner-form\.html/.test(html);
    if (fs.existsSync(path.join(source, 'locales'))) {
      copyLocales(path.join(source, 'locales'), path.join(target, 'locales'), type, learner);
    }
    if (fs.existsSync(path.join(source, 'icons'))) {
      fs.cpSync(path.join(source, 'icons'), path.join(target, 'icons'), { recursive: true });
    }
  }
  // The shared code's own messages, for the English text of a setting read without a node type.
  fs.cpSync(path.join(shared, 'locales'), path.join(dist, 'nodes', 'shared', 'locales'), { recursive: true });
}

build();
