#!/usr/bin/env node
'use strict';
// A sensor simulator for the demo: several machines, each publishing its readings on separate MQTT
// topics `factory/<machine>/<sensor>` as JSON numbers (temp °C, current A, vib mm/s, pressure bar),
// every `period` ms.
//
// Each machine runs in one of a few operating modes (idle, milling, pressing) and switches now and
// then, so k-means finds one cluster per mode. Within a mode the readings share a latent load, so
// temp, current, vib and pressure are correlated, as on a real machine. Faults are injected now and
// then on one machine at a time:
//   stuck        one sensor flatlines at 0 (a dead transmitter),
//   correlation  the current climbs as if under heavy load while the other sensors do not,
//   spike        one sensor reads 80% high for a few seconds.
// The ground truth is published on `sim/<machine>/fault` (JSON: {fault, sensor, active, since})
// and the operating mode on `sim/<machine>/mode`, when they change and again every 5 s (not as
// retained messages: aedes 1.2 does not always forward a retained publish to `+` subscribers).
//
// Everything random comes from a seeded PRNG, and `tick()` computes one round of readings without
// timers or a broker, so tests can replay the exact same stream.
//
// Command line (shipped in the package as `stream-ml-simulator`; it needs nothing but Node.js):
//   stream-ml-simulator [--url mqtt://127.0.0.1:1883] [--seed 1] [--period 250]
const SENSORS = ['temp', 'current', 'vib', 'pressure'];

/** Mean readings of each operating mode, and how strongly the latent load moves each sensor. */
const MODES = {
  idle: { temp: 32, current: 2, vib: 0.6, pressure: 1.2 },
  milling: { temp: 58, current: 11, vib: 3.6, pressure: 3.0 },
  pressing: { temp: 47, current: 15, vib: 1.2, pressure: 8.0 },
};
const LOAD_GAIN = { temp: 1.6, current: 0.9, vib: 0.25, pressure: 0.4 };
const NOISE = { temp: 0.4, current: 0.25, vib: 0.12, pressure: 0.08 };
const FAULTS = ['stuck', 'correlation', 'spike'];
/** When the first fault comes after `start()` (range, s). */
const FIRST_FAULT = [80, 90];

/** mulberry32: a small, fast, seeded PRNG with uniform output in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return function random() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function round(value, digits = 3) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

class Simulator {
  /**
   * @param {object} [options]
   * @param {number} [options.seed=1] PRNG seed: the same seed gives the same stream.
   * @param {string[]} [options.machines=['m1','m2','m3']]
   * @param {number} [options.period=250] ms between two rounds of readings.
   * @param {number} [options.modeSeconds=[20, 60]] how long a machine stays in a mode (range, s).
   * @param {number} [options.faultSeconds=[25, 45]] time between two faults (range, s); null: none.
   * @param {number} [options.faultDuration=[4, 8]] how long a fault lasts (range, s).
   * @param {number} [options.start=0] time of the first tick, ms (for `tick()` without a clock).
   * @param {string[]} [options.faults=['stuck','correlation','spike']] the kinds of fault injected.
   * @param {number} [options.faultSeed] seed of a PRNG of its own for when, where and which faults
   *   come (the readings keep theirs): the same readings with other faults. By default the faults
   *   draw from the readings' PRNG.
   */
  constructor(options = {}) {
    this.seed = options.seed ?? 1;
    this.random = mulberry32(this.seed);
    this.machines = options.machines || ['m1', 'm2', 'm3'];
    this.period = options.period ?? 250;
    this.modeSeconds = options.modeSeconds || [20, 60];
    this.faultSeconds = options.faultSeconds === undefined ? [25, 45] : options.faultSeconds;
    this.faultDuration = options.faultDuration || [3, 8];
    this.time = options.start ?? 0;
    this.faults = options.faults || FAULTS;
    for (const kind of this.faults) {
      if (!FAULTS.includes(kind))
        throw new Error(`unknown fault ${JSON.stringify(kind)}: one of ${FAULTS.join(', ')}`);
    }
    this.faultRandom = options.faultSeed === undefined ? this.random : mulberry32(options.faultSeed);
    const modes = Object.keys(MODES);
    this.state = new Map(
      this.machines.map((machine, i) => [
        machine,
        {
          mode: modes[i % modes.length],
          modeUntil: this.time + this.between(this.modeSeconds) * 1000,
          load: 0,
          fault: null,
        },
      ]),
    );
    this.nextFault = this.faultSeconds
      ? this.time + this.between(this.faultSeconds, this.faultRandom) * 1000
      : Infinity;
    this.timer = null;
  }

  between([low, high], random = this.random) {
    return low + (high - low) * random();
  }

  /** A standard normal deviate (Box-Muller). */
  normal() {
    const u = 1 - this.random();
    const v = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  pick(list, random = this.random) {
    return list[Math.floor(random() * list.length)];
  }

  /**
   * Advances the simulation by one period and returns what to publish, in order:
   * `[{topic, payload, retain}]` with payload a JSON string.
   */
  tick() {
    const now = this.time;
    const out = [];
    const modes = Object.keys(MODES);
    if (now >= this.nextFault) {
      const healthy = this.machines.filter((m) => !this.state.get(m).fault);
      if (healthy.length > 0) {
        const random = this.faultRandom;
        const machine = this.pick(healthy, random);
        const kind = this.pick(this.faults, random);
        const sensor = kind === 'correlation' ? 'current' : this.pick(SENSORS, random);
        const until = now + this.between(this.faultDuration, random) * 1000;
        const fault = { fault: kind, sensor, active: true, since: now, until };
        this.state.get(machine).fault = fault;
        out.push(this.truth(machine, fault));
      }
      this.nextFault = now + this.between(this.faultSeconds, this.faultRandom) * 1000;
    }
    for (const machine of this.machines) {
      const s = this.state.get(machine);
      if (s.fault && now >= s.fault.until) {
        s.fault = null;
        out.push(this.truth(machine, null));
      }
      if (now >= s.modeUntil) {
        const others = modes.filter((m) => m !== s.mode);
        s.mode = this.pick(others);
        s.modeUntil = now + this.between(this.modeSeconds) * 1000;
        out.push({ topic: `sim/${machine}/mode`, payload: JSON.stringify(s.mode), retain: false });
      }
      // The latent load wanders slowly (AR(1)), moving every sensor of the machine together.
      s.load = 0.95 * s.load + 0.3 * this.normal();
      const mean = MODES[s.mode];
      for (const sensor of SENSORS) {
        let value = mean[sensor] + LOAD_GAIN[sensor] * s.load + NOISE[sensor] * this.normal();
        const f = s.fault;
        if (f && f.sensor === sensor) {
          if (f.fault === 'stuck') value = 0;
          else if (f.fault === 'correlation')
            value = MODES.pressing.current + 5 + NOISE.current * this.normal();
          else if (f.fault === 'spike') value *= 1.8;
        }
        out.push({
          topic: `factory/${machine}/${sensor}`,
          payload: JSON.stringify(round(value)),
          retain: false,
        });
      }
    }
    this.time += this.period;
    return out;
  }

  truth(machine, fault) {
    const payload = fault
      ? { fault: fault.fault, sensor: fault.sensor, active: true, since: fault.since }
      : { fault: 'none', sensor: null, active: false, since: this.time };
    return { topic: `sim/${machine}/fault`, payload: JSON.stringify(payload), retain: false };
  }

  /** The current mode and fault of every machine, and the faulted sensor. */
  snapshot() {
    return Object.fromEntries(
      [...this.state].map(([machine, s]) => [
        machine,
        { mode: s.mode, fault: s.fault && s.fault.fault, sensor: s.fault && s.fault.sensor },
      ]),
    );
  }

  /**
   * Sets the clock to `now` and schedules the first fault and mode switches from there, as `start()`
   * does, so that a test replaying `tick()` from `begin(t)` sees the stream `npm start` publishes.
   */
  begin(now) {
    this.time = now;
    // The first fault comes soon after the demo's models have learned enough to judge (about 75 s
    // of windows), so a visitor sees one caught.
    if (this.faultSeconds) this.nextFault = this.time + this.between(FIRST_FAULT, this.faultRandom) * 1000;
    for (const s of this.state.values()) s.modeUntil = this.time + this.between(this.modeSeconds) * 1000;
    return this;
  }

  /**
   * Publishes a round every `period` ms on an mqtt.js client (its own clock: the simulated time
   * follows the wall clock from the start). Call `stop()` to end.
   */
  start(client) {
    this.begin(Date.now());
    let rounds = 0;
    const round = () => {
      this.time = Date.now();
      const out = this.tick();
      // The state of every machine, every 5 s, for subscribers that joined late.
      if (rounds++ % Math.max(1, Math.round(5000 / this.period)) === 0) {
        for (const [machine, s] of this.state) {
          out.push({ topic: `sim/${machine}/mode`, payload: JSON.stringify(s.mode), retain: false });
          out.push(this.truth(machine, s.fault));
        }
      }
      for (const { topic, payload, retain } of out) {
        if (client.connected) client.publish(topic, payload, { retain });
      }
    };
    this.timer = setInterval(round, this.period);
    return this;
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

const USAGE = `Usage: stream-ml-simulator [--url mqtt://127.0.0.1:1883] [--seed 1] [--period 250]

Publishes three simulated machines (m1, m2, m3) on factory/<machine>/<sensor> (temp, current, vib,
pressure; JSON numbers) every period ms, with a fault injected now and then; the ground truth on
sim/<machine>/fault and sim/<machine>/mode. The url defaults to $MQTT_URL, else
mqtt://127.0.0.1:$MQTT_PORT (1883). mqtts:// and mqtt://user:password@host work too.`;

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (name === 'help' || name === 'h') return { help: true };
    if (!['url', 'seed', 'period'].includes(name) || i + 1 >= argv.length) {
      return { error: `unknown or incomplete option ${argv[i]}` };
    }
    args[name] = argv[++i];
  }
  return args;
}

if (require.main === module) {
  const { connect } = require('./publisher');
  const args = parseArgs(process.argv.slice(2));
  if (args.help || args.error) {
    if (args.error) console.error(`stream-ml-simulator: ${args.error}`);
    console.log(USAGE);
    process.exit(args.error ? 2 : 0);
  }
  const url = args.url || process.env.MQTT_URL || `mqtt://127.0.0.1:${process.env.MQTT_PORT || 1883}`;
  const seed = Number(args.seed ?? 1);
  const period = Number(args.period ?? 250);
  if (!Number.isInteger(seed) || !(period >= 10 && period <= 3600000)) {
    console.error('stream-ml-simulator: --seed must be an integer and --period 10 … 3600000 ms');
    process.exit(2);
  }
  const simulator = new Simulator({ seed, period });
  const client = connect(url, { clientId: `stream-ml-simulator-${process.pid}` });
  let started = false;
  client.on('connect', () => {
    console.log(`simulator: publishing ${simulator.machines.length} machines on ${url} (factory/+/+)`);
    if (!started) simulator.start(client);
    started = true;
  });
  client.on('error', (err) => console.error(`simulator: ${url}: ${err.message}`));
  const stop = () => {
    simulator.stop();
    client.end(false, {}, () => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

module.exports = { Simulator, mulberry32, SENSORS, MODES, FAULTS };
