'use strict';
// `npm run screenshot`: regenerates docs/dashboard.png, the README's picture, on purpose. It runs
// the dashboard end-to-end test (the `npm start` demo in headless Chromium), which takes its
// screenshots in a temporary folder and, with STREAM_ML_SCREENSHOT set, copies the 1280 px one
// here. `npm test` never sets it, so a test run leaves the tracked picture alone.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const result = spawnSync(
  process.execPath,
  [
    require.resolve('mocha/bin/mocha.js'),
    '--no-config',
    '--exit',
    '--timeout',
    '20000',
    path.join(root, 'test', 'e2e', 'dashboard.e2e.test.js'),
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, STREAM_ML_SCREENSHOT: path.join(root, 'docs', 'dashboard.png') },
  },
);
if (result.status === 0) console.log('docs/dashboard.png updated.');
process.exit(result.status ?? 1);
