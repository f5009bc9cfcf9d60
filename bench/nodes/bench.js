'use strict';
// Benchmark-only nodes. `bench-source` sends `count` messages made by `make(i)` in chunks, yielding
// to the event loop between chunks as a real input would; `bench-sink` counts arrivals and
// calls back at the last. Neither records messages, unlike the test helper's spies.
const CHUNK = 256;

module.exports = function (RED) {
  function BenchSource(config) {
    RED.nodes.createNode(this, config);
    this.run = (count, make) =>
      new Promise((resolve) => {
        let i = 0;
        const chunk = () => {
          const end = Math.min(count, i + CHUNK);
          for (; i < end; i++) this.send(make(i));
          if (i < count) setImmediate(chunk);
          else resolve();
        };
        chunk();
      });
  }
  RED.nodes.registerType('bench-source', BenchSource);

  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    this.expect = (count) =>
      new Promise((resolve) => {
        let seen = 0;
        this.arrived = () => {
          seen += 1;
          if (seen === count) resolve();
        };
      });
    this.arrived = () => {};
    this.on('input', (_msg, _send, done) => {
      this.arrived();
      done();
    });
  }
  RED.nodes.registerType('bench-sink', BenchSink);
};
