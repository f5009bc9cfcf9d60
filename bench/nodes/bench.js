'use strict';
// Benchmark-only nodes. `bench-source` sends `count` messages made by `make(i, count)` in
// chunks, yielding to the event loop between chunks as a real input would; `bench-sink` counts
// arrivals and calls back at the last. Neither records messages, unlike the test helper's spies.
const CHUNK = 256;

module.exports = function (RED) {
  function BenchSource(config) {
    RED.nodes.createNode(this, config);
    this.run = (count, make) =>
      new Promise((resolve) => {
        let i = 0;
        const chunk = () => {
          const end = Math.min(count, i + CHUNK);
          for (; i < end; i++) this.send(make(i, count));
          if (i < count) setImmediate(chunk);
          else resolve();
        };
        chunk();
      });
  }
  RED.nodes.registerType('bench-source', BenchSource);

  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    // `weigh(msg)` says how many source messages an arrival stands for (default 1): a window
    // node sends one message per window, so its rows count the samples its windows carry.
    this.expect = (count, weigh) =>
      new Promise((resolve) => {
        let seen = 0;
        this.arrived = (msg) => {
          seen += weigh ? weigh(msg) : 1;
          if (seen === count) resolve();
        };
      });
    // `next()` resolves with the next arrival, for a caller that awaits each message's output;
    // `received` counts every arrival, so that such a caller can check none came unasked.
    this.next = () =>
      new Promise((resolve) => {
        this.arrived = resolve;
      });
    this.received = 0;
    this.arrived = () => {};
    this.on('input', (msg, _send, done) => {
      this.received += 1;
      this.arrived(msg);
      done();
    });
  }
  RED.nodes.registerType('bench-sink', BenchSink);
};
