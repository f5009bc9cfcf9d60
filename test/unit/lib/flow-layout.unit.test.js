'use strict';
// Every example and demo flow as the editor draws it: no two nodes overlap, every node and
// comment lies inside the canvas, wires run left to right (node sizes from their labels, as the
// editor computes them), and every node carries every setting its editor defines, so that opening
// a node and pressing Done changes nothing. `node scripts/tidy-flows.js` makes a file so.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const {
  flowFiles,
  layoutProblems,
  missingSettings,
  tidyFlow,
  nodeSize,
  editorDefinitions,
} = require('../../../scripts/tidy-flows');

describe('example and demo flows: layout and settings', function () {
  this.timeout(60000);
  const files = flowFiles();

  it('finds every example, with the editor definitions of every node type they use', () => {
    assert.ok(files.length >= 11, `${files.length} flow files`);
    const { definitions } = editorDefinitions();
    for (const file of files) {
      for (const node of JSON.parse(fs.readFileSync(file, 'utf8'))) {
        if (node.type === 'tab') continue;
        assert.ok(definitions[node.type], `${path.basename(file)}: no editor definition for ${node.type}`);
      }
    }
  });

  it('sizes a node from its label: a long name makes a wide node', () => {
    const { definitions, t } = editorDefinitions();
    const short = nodeSize({ type: 'debug', name: 'x' }, definitions, t);
    const long = nodeSize({ type: 'debug', name: 'a much longer label for a debug node' }, definitions, t);
    assert.equal(short.w, 100);
    assert.ok(long.w >= 300, `${long.w}`);
  });

  it('the check sees an overlap, a node off the canvas and a wire drawn right to left', () => {
    const flow = [
      { id: 't', type: 'tab' },
      { id: 'a', type: 'debug', z: 't', x: 200, y: 100, wires: [] },
      { id: 'b', type: 'debug', z: 't', x: 220, y: 110, wires: [] },
      { id: 'c', type: 'comment', z: 't', name: 'a heading', x: 10, y: 20, wires: [] },
      { id: 'd', type: 'inject', z: 't', x: 600, y: 300, wires: [['e']] },
      { id: 'e', type: 'debug', z: 't', x: 400, y: 300, wires: [] },
    ];
    const problems = layoutProblems(flow).join('\n');
    assert.match(problems, /\(a\) overlaps .*\(b\)/);
    assert.match(problems, /\(c\) is off the canvas/);
    assert.match(problems, /from .*\(d\) to .*\(e\) runs right to left/);
  });

  for (const file of files) {
    const name = path.basename(file);
    it(`${name}: no overlap, nothing off the canvas, wires left to right, every setting present, tidy`, () => {
      const flow = JSON.parse(fs.readFileSync(file, 'utf8'));
      assert.deepEqual(layoutProblems(flow), []);
      const missing = flow.flatMap((n) => missingSettings(n).map((key) => `${n.type} ${n.id}: ${key}`));
      assert.deepEqual(missing, [], 'settings the editor would fill in');
      assert.deepEqual(tidyFlow(flow), flow, 'node scripts/tidy-flows.js would change it');
    });
  }
});
