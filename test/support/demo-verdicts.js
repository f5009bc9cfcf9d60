'use strict';
// The demo's verdicts against the simulator's ground truth, headless: a demo flow
// (examples/dashboard2-demo.json or dashboard1-demo.json) is deployed in a real Node-RED runtime
// with its MQTT input replaced by a probe-source, its MQTT outputs, debug and dashboard widgets by
// probe-sinks (same ids, so every wire stays), and the simulator's stream fed in simulated time:
// the window node reads the readings' own time (msg.time) instead of the arrival time, one
// simulated second is sent at a time and the next waits until its windows have left the window
// node, as the demo's 250 ms rounds leave the flow time to settle. The simulator starts as
// `npm start` starts it (`Simulator.begin`), so the first minutes are those a visitor sees.
//
// Figures: alert precision (an alert on factory/alerts counts as true when its window ends within
// a fault of its machine or up to GRACE_MS after it), the share of faults that raise an alert, and
// how often the k-means cluster agrees with the true operating mode under the one mapping of
// clusters to modes (the same for every machine) that agrees best.
//
// `node test/support/demo-verdicts.js [flow.json …] [--seconds 300] [--seeds 1,2,3]` prints them
// (after `npm run build`); `BENCH_ONLY=demo npm run bench` too.
const fs = require('node:fs');
const path = require('node:path');
const { Runtime } = require('./runtime');
const { Simulator } = require('../../demo/simulator');

const repoRoot = path.resolve(__dirname, '..', '..');
/** Simulated time of the first reading: a fixed date, so every run is the same. */
const EPOCH = Date.UTC(2026, 0, 5, 8);
const GRACE_MS = 5000;
/** Faults that start this close to the end of a replay (s) are left out of the figures. */
const TAIL_S = 10;
/** Change nodes a settling ping goes through: more than the hops of any path of a demo flow. */
const SETTLE_HOPS = 24;
const ALERTS_TOPIC = 'factory/alerts';
const READINGS = 'factory/+/+';

/**
 * The demo flow made headless. Dashboard and HTTP nodes become probe-sinks (widgets) or go
 * (configuration), the readings' MQTT input a probe-source, the ground truth's input goes (the
 * harness knows the truth first hand), MQTT outputs and debug nodes become probe-sinks.
 * @returns `{flows, source, rows, modes, pca, alerts, sinks}`: the ids to drive and read.
 */
function headless(flow) {
  const nodes = flow;
  const tab = nodes.find((n) => n.type === 'tab');
  const dropped = new Set();
  const out = [];
  const sinks = new Map();
  let source;
  const alerts = [];
  for (const node of nodes) {
    const widget = /^ui[-_]/.test(node.type) && node.z;
    if (node.type === 'mqtt in') {
      if (node.topic === READINGS) {
        source = node.id;
        out.push({ id: node.id, type: 'probe-source', z: node.z, wires: node.wires });
      } else dropped.add(node.id);
    } else if (node.type === 'mqtt out' || node.type === 'debug' || widget) {
      // The alerts' topic is on the node or set by the message (its name then says it).
      if (node.type === 'mqtt out' && (node.topic || node.name) === ALERTS_TOPIC) alerts.push(node.id);
      sinks.set(node.id, node.name || node.label || node.type);
      out.push({ id: node.id, type: 'probe-sink', z: node.z, wires: [] });
    } else if (
      /^ui[-_]/.test(node.type) ||
      /^http /.test(node.type) ||
      node.type === 'mqtt-broker' ||
      node.type === 'comment'
    ) {
      dropped.add(node.id);
    } else {
      const copy = JSON.parse(JSON.stringify(node));
      // Event time: the readings' simulated time, not the wall clock.
      if (copy.type === 'ml-window') copy.timeProperty = 'time';
      out.push(copy);
    }
  }
  for (const node of out) {
    if (node.wires) node.wires = node.wires.map((port) => port.filter((id) => !dropped.has(id)));
  }
  /** The one node of a type (`optional`: or none). */
  const only = (type, optional = false) => {
    const found = out.filter((n) => n.type === type);
    if (found.length === 0 && optional) return undefined;
    if (found.length !== 1) throw new Error(`the demo flow has ${found.length} ${type} nodes, not one`);
    return found[0];
  };
  if (!source) throw new Error(`no MQTT input on ${READINGS}`);
  if (alerts.length === 0) throw new Error(`no MQTT output on ${ALERTS_TOPIC}`);
  // Probes beside the flow's own wires: the windows, the clusters and the scores.
  // A flow without k-means (examples/mqtt-anomaly-alerts.json) is measured on its alerts alone.
  const probes = { rows: only('ml-window'), modes: only('ml-kmeans', true), pca: only('ml-pca') };
  const ids = {};
  for (const [name, node] of Object.entries(probes)) {
    if (!node) continue;
    ids[name] = `probe-${name}`;
    out.push({ id: ids[name], type: 'probe-sink', z: tab.id, wires: [] });
    node.wires[0] = [...node.wires[0], ids[name]];
  }
  // A ping through a chain of change nodes longer than any path of the flow: the flow's nodes
  // answer synchronously and Node-RED delivers each hop in order, so once the ping is out, every
  // message the flow made of the windows closed before it was sent has arrived too (alarm holds
  // included), whatever the machine's load.
  const hops = Array.from({ length: SETTLE_HOPS }, (_, i) => `probe-hop-${i}`);
  out.push({ id: 'probe-ping', type: 'probe-source', z: tab.id, wires: [[hops[0]]] });
  hops.forEach((id, i) =>
    out.push({ id, type: 'change', z: tab.id, rules: [], wires: [[hops[i + 1] ?? 'probe-settled']] }),
  );
  out.push({ id: 'probe-settled', type: 'probe-sink', z: tab.id, wires: [] });
  return { flows: out, source, alerts, sinks, ping: 'probe-ping', settled: 'probe-settled', ...ids };
}

/**
 * Feeds `seconds` of the simulator (seed `seed`, started as `npm start` starts it) through the
 * headless demo flow.
 * @returns what the flow sent (`alerts`, `modes`, `pca`, `widgets`: messages with the simulated
 *   time they arrived at) and the truth (`faults`: `{machine, since, until, fault, sensor}`,
 *   `modeAt(machine, start)`: the mode a machine was in for most of the second from `start`).
 */
async function replay(flow, { seconds = 300, seed = 1 } = {}) {
  const demo = headless(flow);
  const runtime = await Runtime.start({ flows: demo.flows });
  try {
    const simulator = new Simulator({ seed }).begin(EPOCH);
    const ticks = Math.round(1000 / simulator.period);
    const modes = new Map(simulator.machines.map((m) => [m, []]));
    const faults = [];
    const open = new Map();
    // Messages are stamped with the simulated time of the latest window the flow has closed.
    let now = EPOCH;
    const stamped = [];
    const original = runtime.receive.bind(runtime);
    runtime.receive = (message) => {
      if (message.type === 'message') stamped.push({ node: message.node, msg: message.msg, at: now });
      original(message);
    };
    for (let second = 0; second < seconds; second++) {
      const msgs = [];
      for (let t = 0; t < ticks; t++) {
        const time = simulator.time;
        for (const { topic, payload } of simulator.tick()) {
          if (topic.startsWith('factory/')) msgs.push({ topic, payload: JSON.parse(payload), time });
        }
        for (const [machine, state] of Object.entries(simulator.snapshot())) {
          modes.get(machine).push(state.mode);
          const current = open.get(machine);
          if (current && (!state.fault || current.fault !== state.fault || current.sensor !== state.sensor)) {
            faults.push(current);
            open.delete(machine);
          }
          if (state.fault && !open.has(machine))
            open.set(machine, { machine, fault: state.fault, sensor: state.sensor, since: time });
          if (open.has(machine)) open.get(machine).until = time + simulator.period;
        }
      }
      runtime.send(demo.source, ...msgs);
      // Reading at second s closes every machine's window of second s - 1.
      const expected = simulator.machines.length * second;
      if (expected > 0) await runtime.waitFor(demo.rows, expected, 60000);
      runtime.send(demo.ping, { payload: second });
      await runtime.waitFor(demo.settled, second + 1, 60000);
      now = EPOCH + second * 1000;
    }
    faults.push(...open.values());
    const at = (node) => stamped.filter((s) => s.node === node);
    const widgets = new Map([...demo.sinks].map(([id, name]) => [id, { name, messages: at(id) }]));
    return {
      alerts: demo.alerts.flatMap(at),
      modes: demo.modes ? at(demo.modes) : [],
      pca: at(demo.pca),
      rows: at(demo.rows),
      widgets,
      warnings: runtime.warnings(),
      // A fault that starts in the last seconds has no windows left to be judged by.
      faults: faults.filter((f) => f.since < EPOCH + (seconds - TAIL_S) * 1000),
      modeAt(machine, start) {
        const first = Math.round((start - EPOCH) / simulator.period);
        const counts = new Map();
        for (const mode of modes.get(machine).slice(first, first + ticks))
          counts.set(mode, (counts.get(mode) || 0) + 1);
        return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
      },
      end: EPOCH + (seconds - 1) * 1000,
    };
  } finally {
    await runtime.cleanup();
  }
}

/** The machine and the time an alert on factory/alerts is about. */
function readAlert({ msg, at }) {
  const payload = typeof msg.payload === 'string' ? JSON.parse(msg.payload) : msg.payload;
  const machine = payload.machine ?? payload.key ?? msg.topic;
  const time = payload.time !== undefined ? Date.parse(payload.time) : at;
  return { machine, time: Number.isFinite(time) ? time : at, sensor: payload.sensor };
}

/** All permutations of `items` (k! of them; k is the number of clusters, 3 in the demo). */
function permutations(items) {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/**
 * Agreement of clusters with modes under the one-to-one mapping that agrees best.
 * @param pairs `[cluster, mode]` of every clustered window.
 */
function modeAgreement(pairs) {
  const clusters = [...new Set(pairs.map(([c]) => c))].sort((a, b) => a - b);
  const modes = [...new Set(pairs.map(([, m]) => m))].sort();
  const count = new Map();
  for (const [c, m] of pairs) count.set(`${c} ${m}`, (count.get(`${c} ${m}`) || 0) + 1);
  let best = { agree: -1, mapping: {} };
  // Pad the modes so that every cluster gets one or none when there are more clusters than modes.
  const slots = [...modes, ...new Array(Math.max(0, clusters.length - modes.length)).fill(null)];
  for (const order of permutations(slots)) {
    let agree = 0;
    const mapping = {};
    clusters.forEach((c, i) => {
      mapping[c] = order[i];
      if (order[i] !== null) agree += count.get(`${c} ${order[i]}`) || 0;
    });
    if (agree > best.agree) best = { agree, mapping };
  }
  return {
    agreement: pairs.length ? best.agree / pairs.length : NaN,
    mapping: best.mapping,
    windows: pairs.length,
  };
}

/**
 * The figures of one replay.
 * @param {number} [settleMs] alerts and clusters before this much simulated time are left out of
 *   `late` figures (the first minutes, while models learn).
 */
function figures(run, { settleMs = 60000 } = {}) {
  const alerts = run.alerts.map(readAlert);
  const inFault = (a) =>
    run.faults.some((f) => f.machine === a.machine && a.time > f.since && a.time <= f.until + GRACE_MS);
  const trueAlerts = alerts.filter(inFault);
  const caught = run.faults.filter((f) =>
    alerts.some((a) => a.machine === f.machine && a.time > f.since && a.time <= f.until + GRACE_MS),
  );
  const pairs = run.modes.map(({ msg }) => [msg.cluster, run.modeAt(msg.topic, msg.window.start)]);
  const latePairs = run.modes
    .filter(({ msg }) => msg.window.start >= EPOCH + settleMs)
    .map(({ msg }) => [msg.cluster, run.modeAt(msg.topic, msg.window.start)]);
  const early = alerts.filter((a) => a.time < EPOCH + settleMs);
  return {
    alerts: alerts.length,
    trueAlerts: trueAlerts.length,
    precision: alerts.length ? trueAlerts.length / alerts.length : NaN,
    faults: run.faults.length,
    caught: caught.length,
    recall: run.faults.length ? caught.length / run.faults.length : NaN,
    missed: run.faults.filter((f) => !caught.includes(f)),
    earlyAlerts: early.length,
    earlyTrue: early.filter(inFault).length,
    modes: modeAgreement(pairs),
    lateModes: modeAgreement(latePairs),
  };
}

/** Sums the counts of several runs' figures. */
function pool(list) {
  const sum = (key) => list.reduce((s, f) => s + f[key], 0);
  const agree = (key) => {
    const windows = list.reduce((s, f) => s + f[key].windows, 0);
    const agreeing = list.reduce((s, f) => s + f[key].agreement * f[key].windows, 0);
    return { agreement: agreeing / windows, windows };
  };
  return {
    alerts: sum('alerts'),
    trueAlerts: sum('trueAlerts'),
    precision: sum('trueAlerts') / sum('alerts'),
    faults: sum('faults'),
    caught: sum('caught'),
    recall: sum('caught') / sum('faults'),
    earlyAlerts: sum('earlyAlerts'),
    earlyTrue: sum('earlyTrue'),
    modes: agree('modes'),
    lateModes: agree('lateModes'),
  };
}

const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');

/** One line of figures. */
function describe(f) {
  return (
    `alerts ${f.alerts}, precision ${pct(f.precision)} (${f.trueAlerts} in a fault); ` +
    `faults ${f.faults}, ${pct(f.recall)} raised an alert (${f.caught}); ` +
    `first minute ${f.earlyAlerts} alerts (${f.earlyTrue} true); ` +
    `mode agreement ${pct(f.modes.agreement)} of ${f.modes.windows} windows, ${pct(f.lateModes.agreement)} after the first minute`
  );
}

async function main(argv) {
  const files = [];
  let seconds = 300;
  let seeds = [1, 2, 3];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--seconds') seconds = Number(argv[++i]);
    else if (argv[i] === '--seeds') seeds = argv[++i].split(',').map(Number);
    else files.push(argv[i]);
  }
  if (files.length === 0)
    files.push(
      ...['dashboard2-demo.json', 'dashboard1-demo.json'].map((f) => path.join(repoRoot, 'examples', f)),
    );
  for (const file of files) {
    const flow = JSON.parse(fs.readFileSync(file, 'utf8'));
    console.log(
      `${path.basename(file)}: ${seconds} simulated s from the start of the demo, seeds ${seeds.join(', ')}`,
    );
    const all = [];
    for (const seed of seeds) {
      const f = figures(await replay(flow, { seconds, seed }));
      all.push(f);
      console.log(`  seed ${seed}: ${describe(f)}`);
    }
    if (seeds.length > 1) console.log(`  pooled: ${describe(pool(all))}`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

module.exports = { EPOCH, GRACE_MS, headless, replay, figures, pool, describe, modeAgreement, main };
