'use strict';
// The soak benchmark (bench/soak.js) in a process of its own: it measures the event loop and the
// memory of the Node-RED runtime it runs in, so it cannot share this one. SOAK_SECONDS shortens it.
const { spawn } = require('node:child_process');
const path = require('node:path');

module.exports = {
  title: 'soak: 1000 keys at d = 32 with localfilesystem (event-loop delay, RSS, msg/s)',
  async extra() {
    await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--expose-gc', path.join(__dirname, '..', 'soak.js')], {
        stdio: 'inherit',
      });
      child.on('error', reject);
      child.on('exit', (code, signal) =>
        code === 0
          ? resolve()
          : reject(new Error(`soak benchmark failed (${signal || `exit code ${code}`})`)),
      );
    });
  },
};
