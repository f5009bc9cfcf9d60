'use strict';
// Starts a real Node-RED runtime in a child process, with this package installed in its user
// directory as a user would have it (a link in node_modules), probe nodes to send messages in and
// read them out, and a localfilesystem context store. Stopping and starting again with the same
// user directory is a real restart.
const { fork } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..');

/** A fresh user directory with this package linked in; removed by `Runtime.cleanup`. */
function makeUserDir() {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-nr-'));
  const scope = path.join(userDir, 'node_modules', '@stream-ml');
  fs.mkdirSync(scope, { recursive: true });
  fs.symlinkSync(repoRoot, path.join(scope, 'node-red'), 'dir');
  return userDir;
}

class Runtime {
  /**
   * @param {object} options
   * @param {object[]} options.flows the flow to deploy (written to flows.json).
   * @param {object} [options.credentials] the nodes' credentials by node id (flows_cred.json,
   *   unencrypted: the runtime has no credentialSecret).
   * @param {string} [options.userDir] reuse a user directory (to restart); new by default.
   * @param {string} [options.nodeRed] the node-red module to run (default: the devDependency).
   * @param {string} [options.execPath] the node binary (default: this one).
   * @param {number} [options.port] serve the editor and node endpoints (dashboards) on
   *   127.0.0.1:port; none by default.
   * @param {object} [options.contextStorage] Node-RED's contextStorage setting (default: one
   *   localfilesystem store); a store `module` that is a path to a `.js` file is loaded from it.
   */
  static async start({
    flows,
    credentials,
    userDir = makeUserDir(),
    nodeRed = require.resolve('node-red'),
    execPath,
    port = 0,
    contextStorage,
  }) {
    if (flows) fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows));
    if (credentials) fs.writeFileSync(path.join(userDir, 'flows_cred.json'), JSON.stringify(credentials));
    const runtime = new Runtime(userDir);
    runtime.child = fork(path.join(__dirname, 'runtime-child.js'), [userDir, nodeRed, String(port)], {
      execPath: execPath || process.execPath,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: contextStorage
        ? { ...process.env, STREAM_ML_CONTEXT_STORAGE: JSON.stringify(contextStorage) }
        : process.env,
    });
    runtime.child.on('message', (message) => runtime.receive(message));
    await new Promise((resolve, reject) => {
      runtime.waiters.push({ matches: (m) => m.type === 'started' || m.type === 'failed', resolve, reject });
      // A child that fails says why just before exiting: let that message win over the exit.
      runtime.child.once('exit', (code) =>
        setTimeout(() => reject(new Error(`Node-RED exited with ${code} before starting`)), 200),
      );
    }).then((message) => {
      if (message.type === 'failed') throw new Error(`Node-RED failed to start: ${message.error}`);
      runtime.version = message.version;
      runtime.nodeErrors = message.nodeErrors || [];
    });
    return runtime;
  }

  /**
   * Starts a runtime whose instance id comes from env STREAM_ML_INSTANCE (learners with a blank
   * Instance setting read it), as `id`.
   */
  static startAs(id, options) {
    const saved = process.env.STREAM_ML_INSTANCE;
    process.env.STREAM_ML_INSTANCE = id;
    // start forks before its first await, so the child inherits the variable.
    const started = Runtime.start(options);
    if (saved === undefined) delete process.env.STREAM_ML_INSTANCE;
    else process.env.STREAM_ML_INSTANCE = saved;
    return started;
  }

  constructor(userDir) {
    this.userDir = userDir;
    this.received = new Map();
    this.logs = [];
    this.runtimeLogs = [];
    this.nodeErrors = [];
    this.waiters = [];
  }

  receive(message) {
    if (message.type === 'message') {
      if (!this.received.has(message.node)) this.received.set(message.node, []);
      this.received.get(message.node).push(message.msg);
    } else if (message.type === 'log') {
      this.logs.push(message);
    } else if (message.type === 'runtime-log') {
      this.runtimeLogs.push(message);
    }
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.matches(message, this)) return true;
      waiter.resolve(message);
      return false;
    });
  }

  /** Messages a probe-sink received so far. */
  messages(sink) {
    return this.received.get(sink) || [];
  }

  /** Sends messages out of a probe-source node. */
  send(source, ...msgs) {
    this.child.send({ type: 'send', node: source, msgs });
  }

  /** Resolves when `sink` has received `count` messages in all (rejects after `ms`). */
  waitFor(sink, count, ms = 10000) {
    if (this.messages(sink).length >= count) return Promise.resolve(this.messages(sink));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${sink} received ${this.messages(sink).length} of ${count} messages`)),
        ms,
      );
      this.waiters.push({
        matches: (m, rt) => m.type === 'message' && m.node === sink && rt.messages(sink).length >= count,
        resolve: () => {
          clearTimeout(timer);
          resolve(this.messages(sink));
        },
      });
    });
  }

  /** Warnings and errors logged by nodes (levels 20 error, 30 warn). */
  warnings(nodeId) {
    return this.logs.filter((log) => !nodeId || log.node === nodeId).map((log) => log.text);
  }

  /** Warnings and errors (levels 20, 30) the runtime logged itself, outside any node. */
  runtimeWarnings() {
    return this.runtimeLogs.filter((log) => log.level <= 30).map((log) => log.text);
  }

  async stop() {
    if (!this.child || this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.send({ type: 'stop' });
    await exited;
  }

  /** Stops the runtime and deletes its user directory. */
  async cleanup() {
    await this.stop();
    fs.rmSync(this.userDir, { recursive: true, force: true });
  }
}

module.exports = { Runtime, makeUserDir };
