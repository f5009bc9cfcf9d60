'use strict';
// Test-only nodes that connect a Node-RED runtime in a child process to the test driving it:
// `probe-source` sends what the test sends it, `probe-sink` reports every message it receives.
module.exports = function (RED) {
  function ProbeSource(config) {
    RED.nodes.createNode(this, config);
    const listener = (message) => {
      if (message && message.type === 'send' && message.node === config.id) {
        for (const msg of message.msgs) this.send(msg);
      }
    };
    process.on('message', listener);
    this.on('close', () => process.off('message', listener));
  }
  RED.nodes.registerType('probe-source', ProbeSource);

  function ProbeSink(config) {
    RED.nodes.createNode(this, config);
    this.on('input', (msg, _send, done) => {
      const { _msgid, ...rest } = msg;
      if (rest.error)
        rest.error = { message: rest.error.message, source: rest.error.source && rest.error.source.type };
      process.send({ type: 'message', node: config.id, msg: rest });
      done();
    });
  }
  RED.nodes.registerType('probe-sink', ProbeSink);
};
