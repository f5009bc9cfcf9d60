'use strict';
// What the README and the docs tell a user, checked against the code: error texts they quote are
// the texts the nodes produce, relative links lead to files and headings that exist, the time
// `npm run test:unit` is said to take is said alike everywhere, and no source cites a document
// outside the repository.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const dist = require('../../support/dist');

const root = path.resolve(__dirname, '..', '..', '..');
const read = (file) => fs.readFileSync(path.join(root, file), 'utf8');
const DOCS = [
  'README.md',
  ...fs
    .readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Every `code span` of the user pages, with its file, whitespace collapsed. */
function codeSpans() {
  const spans = [];
  for (const file of DOCS) {
    for (const [, text] of read(file).matchAll(/`([^`]+)`/g))
      spans.push({ file, text: text.replace(/\s+/g, ' ') });
  }
  return spans;
}

/** Whether a quote (where `…` stands for left-out text) is the message, start to end. */
function quotes(quote, message) {
  const pattern = quote
    .split('…')
    .map((part) => part.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 's').test(message.replace(/\s+/g, ' '));
}

/** The error a call throws. */
function thrown(call) {
  try {
    call();
  } catch (err) {
    return err.message;
  }
  throw new Error('did not throw');
}

describe('README and docs: true to what a user sees', () => {
  it('quoted error texts are the texts the nodes produce', () => {
    const { WindowEngine, parseEventTime } = dist('lib/index');
    const messages = [
      thrown(() => parseEventTime('1700000000000', 'msg.timestamp')),
      thrown(() => {
        const engine = new WindowEngine({ mode: 'time', size: 1000000, maxSamples: 5 });
        for (let i = 0; i < 6; i++) engine.add(1, { time: i });
      }),
    ];
    const spans = codeSpans();
    for (const message of messages) {
      const prefix = message.slice(0, 18);
      const quoted = spans.filter((s) => s.text.startsWith(prefix));
      assert.ok(quoted.length > 0, `the docs quote "${prefix}…"`);
      for (const { file, text } of quoted)
        assert.ok(quotes(text, message), `${file} quotes\n  ${text}\nbut the node says\n  ${message}`);
    }
    // The check itself: a quote that differs is caught.
    assert.equal(quotes('msg.timestamp is the string "1": a number', messages[0]), false);
  });

  it('relative links lead to files and headings that exist', () => {
    const slug = (heading) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[`*_]/g, '')
        .replace(/[^\p{L}\p{N} -]/gu, '')
        .replace(/ /g, '-');
    const anchors = (file) => new Set([...read(file).matchAll(/^#+ (.+)$/gm)].map(([, h]) => slug(h)));
    const broken = [];
    for (const file of DOCS) {
      for (const [, target] of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target)) continue;
        const [where, anchor] = target.split('#');
        const linked = where ? path.normalize(path.join(path.dirname(file), where)) : file;
        if (!fs.existsSync(path.join(root, linked))) broken.push(`${file}: ${target} (no ${linked})`);
        else if (anchor && linked.endsWith('.md') && !anchors(linked).has(anchor))
          broken.push(`${file}: ${target} (no heading)`);
      }
    }
    assert.deepEqual(broken, []);
  });

  it('npm run test:unit is said to take the same time everywhere', () => {
    const said = [];
    for (const file of DOCS) {
      for (const line of read(file).split('\n')) {
        if (!line.includes('test:unit')) continue;
        const time = line.match(/\((seconds|about a minute|[^)]*\bs)\)|: (about a minute|seconds)/);
        if (time) said.push(time[1] || time[2]);
      }
    }
    assert.ok(said.length >= 2, `${said}`);
    assert.equal(new Set(said).size, 1, `test:unit takes ${said.join(' / ')}`);
  });

  it('no source cites a design document that is not in the repository', () => {
    const cites = [];
    const walk = (dir) => {
      for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
        const rel = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(rel);
        else if (/\.(ts|js|html|md|json)$/.test(entry.name) && /DESIGN §/.test(read(rel))) cites.push(rel);
      }
    };
    for (const dir of ['lib', 'nodes', 'resources', 'scripts', 'demo', 'bench', 'test', 'docs']) walk(dir);
    assert.deepEqual(
      cites.filter((f) => !f.endsWith('docs.unit.test.js')),
      [],
    );
  });
});
