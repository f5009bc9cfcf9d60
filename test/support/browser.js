'use strict';
// Debian's headless Chromium for the browser tests, never a downloaded browser build: .ci/run
// installs the `chromium` package.
const fs = require('node:fs');
const { chromium } = require('playwright-core');

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

/** No first-run pages, no background traffic: every request a page makes goes to loopback. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Throws the fix when Chromium is missing; call from a `before` hook. */
function requireChromium() {
  if (!CHROMIUM) throw new Error('chromium is not installed: apt-get install chromium (.ci/run does)');
}

/** Launches headless Chromium. */
function launchChromium() {
  requireChromium();
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

module.exports = { launchChromium, requireChromium };
