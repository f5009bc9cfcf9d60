'use strict';
// `npm start`: a real Node-RED on 127.0.0.1 with this package installed in a project-local user
// directory (.demo/, git-ignored), a localfilesystem context store so models survive restarts,
// and the example flows deployed on first start. PORT sets the editor port (default 1880).
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const express = require('express');
const RED = require('node-red');

const repoRoot = path.resolve(__dirname, '..');
const userDir = path.join(repoRoot, '.demo');
const port = Number(process.env.PORT || 1880);
const host = process.env.HOST || '127.0.0.1';

function prepareUserDir() {
  const scope = path.join(userDir, 'node_modules', '@stream-ml');
  fs.mkdirSync(scope, { recursive: true });
  const link = path.join(scope, 'node-red');
  if (!fs.existsSync(link)) fs.symlinkSync(repoRoot, link, 'dir');
  const flowFile = path.join(userDir, 'flows.json');
  if (!fs.existsSync(flowFile)) {
    const flows = fs
      .readdirSync(path.join(repoRoot, 'examples'))
      .filter((file) => file.endsWith('.json'))
      .sort()
      .flatMap((file) => JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples', file), 'utf8')));
    fs.writeFileSync(flowFile, JSON.stringify(flows, null, 2));
  }
}

async function main() {
  prepareUserDir();
  const app = express();
  const server = http.createServer(app);
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    uiHost: host,
    httpAdminRoot: '/',
    httpNodeRoot: '/api',
    credentialSecret: false,
    contextStorage: { default: { module: 'localfilesystem' } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
  });
  app.use('/', RED.httpAdmin);
  app.use('/api', RED.httpNode);
  await new Promise((resolve) => server.listen(port, host, resolve));
  await RED.start();
  console.log(
    `\nStream ML for Node-RED is running.\n  Editor: http://${host}:${port}/\n  Press Ctrl-C to stop.\n`,
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await RED.stop();
    server.close(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
