'use strict';
// Test-only node for the fuzz suite: hands every message it receives to the fuzz driver running
// in the same process (registered on a global symbol), without copying or serialising it.
const BUS = Symbol.for('stream-ml.fuzz.bus');

module.exports = function (RED) {
  function FuzzSink(config) {
    RED.nodes.createNode(this, config);
    this.on('input', (msg, _send, done) => {
      const bus = globalThis[BUS];
      if (bus) bus(config.id, msg);
      done();
    });
  }
  RED.nodes.registerType('fuzz-sink', FuzzSink);
};
