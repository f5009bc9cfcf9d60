'use strict';
// The Node-RED process the fuzz suite attacks: a real runtime (localfilesystem context store in a
// temporary user directory, this package installed as a user would have it), driven over IPC by
// test/support/fuzz-harness.js, which watches it from outside: a crash or a hang of this process
// is what the suite must detect, so nothing here may be trusted to report it.
//
// argv: userDir, mode ('messages' | 'settings'), seed, excluded families (comma-separated).
// Messages mode deploys every target of fuzz-generator.js once and runs case after case;
// settings mode deploys one node with one hostile setting per case.
const http = require('node:http');
const path = require('node:path');
const gen = require('./fuzz-generator');

const [userDir, mode, seedArg, excludedArg] = process.argv.slice(2);
const seed = Number(seedArg) >>> 0;
const excluded = new Set((excludedArg || '').split(',').filter(Boolean));
const RED = require('node-red');

const BUS = Symbol.for('stream-ml.fuzz.bus');
/** Everything each sink received, in order. */
const received = new Map();
let outcomeWaiter = null;
const nodeLogs = [];
/** Warnings and errors each node logged, in all. */
const logCounts = new Map();

globalThis[BUS] = (sinkId, msg) => {
  if (!received.has(sinkId)) received.set(sinkId, []);
  received.get(sinkId).push(msg);
  if ((sinkId === 'catch-sink' || sinkId === 'complete-sink') && outcomeWaiter) {
    const waiter = outcomeWaiter;
    outcomeWaiter = null;
    waiter(sinkId === 'catch-sink' ? { error: msg.error || { message: '(no msg.error)' } } : { error: null });
  }
};

const sink = (id) => received.get(id) || [];

/** Error messages that come from the JavaScript engine rather than from a check of ours. */
const RAW_ERROR =
  /Maximum call stack|Do not know how to serialize|Invalid typed array length|Invalid array length|Invalid string length|Cannot read propert|Cannot convert|is not a function|is not iterable|is not defined|is a Object|(undefined|null) is not (an object|a function|iterable)|out of memory/i;
const MAX_ERROR_LENGTH = 1000;

const PROTOTYPES = { Object: Object.prototype, Array: Array.prototype, Function: Function.prototype };
const prototypeSnapshot = () =>
  Object.entries(PROTOTYPES)
    .map(([name, proto]) => `${name}:${Reflect.ownKeys(proto).map(String).sort().join(',')}`)
    .join(';');
const cleanPrototypes = prototypeSnapshot();

/** The path of the first NaN or ±Infinity in `value`, or null. */
function nonFinite(value, where = 'msg', seen = new Set(), depth = 0) {
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${where} = ${value}`;
  if (value === null || typeof value !== 'object' || seen.has(value) || depth > 64) return null;
  seen.add(value);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    if (typeof value[0] === 'bigint') return null;
    for (let i = 0; i < value.length; i++)
      if (!Number.isFinite(value[i])) return `${where}[${i}] = ${value[i]}`;
    return null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = nonFinite(value[i], `${where}[${i}]`, seen, depth + 1);
      if (found) return found;
    }
    return null;
  }
  // A request or response object of an HTTP flow is not ours to inspect.
  for (const key of Object.keys(value)) {
    if (key === 'req' || key === 'res' || key === '_msgid') continue;
    const found = nonFinite(value[key], `${where}.${key}`, seen, depth + 1);
    if (found) return found;
  }
  return null;
}

const settle = () => new Promise((resolve) => setImmediate(() => setImmediate(() => setTimeout(resolve, 1))));

/** Where two JSON texts first differ, with some context either side. */
function firstDifference(was, now) {
  let at = 0;
  while (at < was.length && was[at] === now[at]) at++;
  const from = Math.max(0, at - 100);
  return `at character ${at} of ${was.length}: …${was.slice(from, at + 60)}… became …${now.slice(from, at + 60)}…`;
}

/** Sends `msg` into node `id` and resolves with its outcome: `{error}` (null when done()). */
async function deliver(id, msg, timeoutMs = 15000) {
  const node = RED.nodes.getNode(id);
  if (!node) throw new Error(`node ${id} is not deployed`);
  const outcome = new Promise((resolve) => {
    const timer = setTimeout(() => {
      outcomeWaiter = null;
      resolve({ timeout: true, error: null });
    }, timeoutMs);
    outcomeWaiter = (result) => {
      clearTimeout(timer);
      resolve(result);
    };
  });
  try {
    node.receive(msg);
  } catch (err) {
    // Node-RED delivers to the node synchronously: what escapes here escaped the node's handler.
    outcomeWaiter = null;
    await settle();
    return { thrown: `node.receive threw: ${String(err && err.stack).slice(0, 600)}`, error: null };
  }
  const result = await outcome;
  await settle();
  return result;
}

/** What reached `sinks` while `action` ran. */
async function during(sinks, action) {
  const marks = sinks.map((id) => sink(id).length);
  const result = await action();
  return { result, got: sinks.map((id, i) => sink(id).slice(marks[i])) };
}

// ---- messages mode -------------------------------------------------------------------------

const targets = gen.TARGETS;
const targetIds = targets.flatMap((t) => (t.twin ? [t.id, `${t.id}-twin`] : [t.id]));

function messageFlows() {
  const flows = [{ id: 'tab', type: 'tab', label: 'fuzz' }];
  for (const t of targets) {
    flows.push({
      id: t.id,
      type: t.type,
      z: 'tab',
      ...t.config,
      wires: [[`${t.id}-out`], [`${t.id}-models`]],
    });
    flows.push({ id: `${t.id}-out`, type: 'fuzz-sink', z: 'tab', wires: [] });
    flows.push({ id: `${t.id}-models`, type: 'fuzz-sink', z: 'tab', wires: [] });
    if (t.twin) {
      flows.push({ id: `${t.id}-twin`, type: t.type, z: 'tab', ...t.config, wires: [[`${t.id}-twin-out`]] });
      flows.push({ id: `${t.id}-twin-out`, type: 'fuzz-sink', z: 'tab', wires: [] });
    }
  }
  flows.push(
    { id: 'fz-catch', type: 'catch', z: 'tab', scope: targetIds, uncaught: false, wires: [['catch-sink']] },
    { id: 'catch-sink', type: 'fuzz-sink', z: 'tab', wires: [] },
    {
      id: 'fz-complete',
      type: 'complete',
      z: 'tab',
      scope: targetIds,
      uncaught: false,
      wires: [['complete-sink']],
    },
    { id: 'complete-sink', type: 'fuzz-sink', z: 'tab', wires: [] },
  );
  return flows.map((n) => (n.type === 'tab' ? n : { x: 100, y: 100, ...n }));
}

/** Per target: its event-time stream clock. */
const states = new Map(targets.map((t) => [t.id, { streamTime: gen.BASE_TIME }]));

/** The exported models of a learner: `{text, list, problem}`. */
async function exportModels(target) {
  const { result, got } = await during([`${target.id}-out`, `${target.id}-models`], () =>
    deliver(target.id, { export: true }),
  );
  // By key: which key was used last (the order of export) is no part of any model.
  const list = got[1]
    .map((m) => ({ topic: m.topic, payload: m.payload }))
    .sort((a, b) => (String(a.topic) < String(b.topic) ? -1 : String(a.topic) > String(b.topic) ? 1 : 0));
  let problem = null;
  if (result.thrown) problem = `msg.export: ${result.thrown}`;
  else if (result.timeout) problem = 'msg.export got no done() within 15 s';
  else if (result.error) problem = `msg.export failed: ${result.error.message}`;
  else if (got[0].length > 0) problem = `msg.export sent ${got[0].length} message(s) on output 1`;
  problem ??= nonFinite(list, 'exported models');
  let text;
  try {
    text = JSON.stringify(list);
  } catch (err) {
    problem ??= `the exported models cannot be written as JSON: ${err.message}`;
    text = `(unserialisable: ${err.message})`;
  }
  return { text, list, problem };
}

/** A valid message to a target (and its twin), which must go through. */
async function sendValid(target, msg, failures) {
  const copy = target.twin ? structuredClone(msg) : null;
  const { result, got } = await during([`${target.id}-out`, `${target.id}-models`], () =>
    deliver(target.id, msg),
  );
  if (result.thrown) failures.push(`valid message ${gen.preview(msg)}: ${result.thrown}`);
  else if (result.timeout) failures.push(`valid message ${gen.preview(msg)} got no done() within 15 s`);
  else if (result.error)
    failures.push(`valid message ${gen.preview(msg)} was rejected: ${result.error.message}`);
  for (const out of got.flat()) {
    const bad = nonFinite(out);
    if (bad) failures.push(`a valid message produced ${bad}`);
  }
  if (copy) {
    const twin = await deliver(`${target.id}-twin`, copy);
    if (twin.error || twin.timeout)
      failures.push(`twin rejected a valid message: ${twin.error?.message ?? 'timeout'}`);
  }
}

/** Flushes a window and its twin; reports when they differ (a hostile message changed state). */
async function compareTwins(target, failures, compare) {
  const a = await during([`${target.id}-out`], () => deliver(target.id, { flush: true }));
  if (!target.twin) return;
  const b = await during([`${target.id}-twin-out`], () => deliver(`${target.id}-twin`, { flush: true }));
  // Windows on arrival time (or counting) carry the clock's reading, which differs between the twins.
  const times = (w) => (target.eventTime || !w ? w : { ...w, start: undefined, end: undefined });
  const show = (got) =>
    JSON.stringify(got[0].map((m) => ({ payload: m.payload, window: times(m.window), topic: m.topic })));
  for (const got of [a.got, b.got]) {
    const bad = nonFinite(got[0]);
    if (bad) failures.push(`a flushed window holds ${bad}`);
  }
  if (compare && show(a.got) !== show(b.got)) {
    failures.push(
      `window state changed: after the message its windows flush as ${show(a.got).slice(0, 300)}, ` +
        `a twin that never saw it as ${show(b.got).slice(0, 300)}`,
    );
  }
}

/** The (target, family) pairs, all of which the first cases visit once. */
const cover = [];
for (const family of gen.FAMILIES) {
  if (excluded.has(family.name)) continue;
  for (const target of targets) if (family.applies(target)) cover.push([target, family]);
}

function describeMessage(msg) {
  const parts = [];
  for (const key of Reflect.ownKeys(msg)) parts.push(`${String(key)}: ${gen.preview(msg[key])}`);
  return `{${parts.join(', ')}}`;
}

async function warmup() {
  const failures = [];
  for (const target of targets)
    await warmTarget(target, gen.caseRandom(seed, -1 - targets.indexOf(target)), failures);
  return failures;
}

async function warmTarget(target, rng, failures) {
  {
    const state = states.get(target.id);
    for (const key of target.keys || [undefined]) {
      // A first batch large enough to fit every model (PCA's default warm-up is 20 samples).
      const rows = target.shape === 'scalar' || target.shape === 'reading' ? 1 : 80;
      for (let i = 0; i < (rows === 1 ? 30 : 1); i++) {
        const msg = gen.validMessage(rng, target, state, { batch: false });
        if (rows > 1) msg.payload = Array.from({ length: rows }, () => gen.validRow(rng, target));
        if (key !== undefined) msg.topic = key;
        await sendValid(target, msg, failures);
      }
    }
  }
}

async function runCase(index) {
  const begin = Date.now();
  const finish = (result) => ({ ...result, ms: Date.now() - begin });
  const rng = gen.caseRandom(seed, index);
  let target;
  let family;
  if (index < cover.length) [target, family] = cover[index];
  else {
    target = rng.pick(targets);
    const families = gen.FAMILIES.filter((f) => !excluded.has(f.name) && f.applies(target));
    family = rng.pick(families);
  }
  const failures = [];
  const state = states.get(target.id);
  const valid = (opts) => gen.validMessage(rng, target, state, opts);
  const learner = gen.isLearner(target);

  // Valid traffic first, so that models and windows hold something to protect.
  const before = learner ? null : undefined;
  for (let i = 0, n = 1 + rng.int(3); i < n; i++) await sendValid(target, valid(), failures);

  let exportedBefore = before;
  if (learner) {
    exportedBefore = await exportModels(target);
    if (exportedBefore.problem) failures.push(`before the message: ${exportedBefore.problem}`);
  }
  let exportedTopic;
  const made = family.make(rng, {
    target,
    state,
    index,
    valid,
    // A model of one of the target's own keys, loaded back under that key: a hostile value the
    // loader ignores must then leave the export exactly as it was.
    exported: (r) => {
      const list = exportedBefore ? exportedBefore.list : [];
      const own = list.filter((m) => !target.keys || target.keys.includes(m.topic));
      const entry = own.length ? r.pick(own) : list.length ? r.pick(list) : null;
      exportedTopic = entry ? entry.topic : undefined;
      return entry ? entry.payload : null;
    },
    exportedKey: () => exportedTopic,
  });
  if (!made) {
    const description = `${family.name} on ${target.id}: no model to derive a case from`;
    return finish({ index, target: target.id, family: family.name, skipped: true, description, failures });
  }
  const { msg, expect, field, note, pre = [], maxSent, maxLogs } = made;
  const logsBefore = logCounts.get(target.id) || 0;
  const description =
    `${family.name} on ${target.id}: ${note ? `${note} ` : ''}${describeMessage(msg)}`.slice(0, 400);
  // Should the runtime die or hang on this case, the driver outside must still be able to name it.
  process.send({ type: 'progress', description });
  // Messages that set the scene (a reset, an odd first sample): any outcome, on both twins.
  for (const before of pre) {
    for (const id of target.twin ? [target.id, `${target.id}-twin`] : [target.id]) {
      const outcome = await deliver(id, structuredClone(before));
      if (outcome.thrown || outcome.timeout)
        failures.push(`${describeMessage(before)}: ${outcome.thrown || 'no done()'}`);
    }
  }
  if (pre.length > 0 && learner) exportedBefore = await exportModels(target);

  const { result, got } = await during([`${target.id}-out`, `${target.id}-models`], () =>
    deliver(target.id, msg),
  );
  const accepted = !result.error && !result.timeout && !result.thrown;
  if (result.thrown) failures.push(result.thrown);
  else if (result.timeout) failures.push('neither done() nor done(err) within 15 s');
  if (result.error) {
    const text = String(result.error.message);
    if (expect === 'accept') failures.push(`rejected a valid message: ${text.slice(0, 300)}`);
    else {
      if (field && !field.test(text))
        failures.push(`the error does not name ${field.source}: ${text.slice(0, 300)}`);
      if (text.length > MAX_ERROR_LENGTH) failures.push(`the error is ${text.length} characters long`);
      if (RAW_ERROR.test(text)) failures.push(`the error is a raw engine error: ${text.slice(0, 300)}`);
    }
    const sent = got[0].length + got[1].length;
    if (sent > 0) failures.push(`rejected, yet sent ${sent} message(s)`);
  } else if (accepted && maxSent !== undefined && got[0].length > maxSent) {
    failures.push(`accepted, and sent ${got[0].length} messages (at most ${maxSent} expected)`);
  } else if (accepted && expect === 'reject') {
    failures.push(`accepted (done() without error); expected done(err) naming ${field.source}`);
  }
  for (const out of got.flat()) {
    const bad = nonFinite(out);
    if (bad) failures.push(`output holds ${bad}`);
  }

  if (learner) {
    const after = await exportModels(target);
    if (after.problem) failures.push(`after the message: ${after.problem}`);
    const mustBeSame = !accepted || expect === 'unchanged';
    if (mustBeSame && after.text !== exportedBefore.text) {
      failures.push(`the exported model changed: ${firstDifference(exportedBefore.text, after.text)}`);
    }
    // Keys made only by hostile messages are dropped again, so that later cases stay fast; a
    // model too large to save must first meet the save timer and the store's flush.
    if (
      accepted &&
      target.keys &&
      msg.topic !== undefined &&
      !target.keys.includes(msg.topic) &&
      typeof msg.topic === 'string' &&
      (msg.topic.length > 100 || msg.topic.startsWith('wide-'))
    ) {
      if (Array.isArray(msg.payload) && msg.payload.length > 1e6)
        await new Promise((r) => setTimeout(r, 2500));
      const reset = await deliver(target.id, { reset: true, topic: msg.topic });
      if (reset.error)
        failures.push(`msg.reset of key ${gen.preview(msg.topic)} failed: ${reset.error.message}`);
    }
  } else {
    if (accepted && target.twin) {
      // An accepted message goes to the twin too, so both stay comparable.
      const twin = await deliver(`${target.id}-twin`, msg);
      if (twin.error) failures.push(`accepted by the node, but its twin rejected it: ${twin.error.message}`);
    }
    await compareTwins(target, failures, true);
  }
  const logged = (logCounts.get(target.id) || 0) - logsBefore;
  if (maxLogs !== undefined && logged > maxLogs) {
    failures.push(`logged ${logged} warnings or errors for one burst (at most ${maxLogs} expected)`);
  }
  if (prototypeSnapshot() !== cleanPrototypes) {
    failures.push(`a prototype changed: ${prototypeSnapshot()}`);
    for (const proto of Object.values(PROTOTYPES)) {
      for (const key of Reflect.ownKeys(proto)) if (!cleanPrototypes.includes(String(key))) delete proto[key];
    }
  }
  return finish({ index, target: target.id, family: family.name, expect, accepted, description, failures });
}

/**
 * After a failing case the target may hold a poisoned model or window: forget everything and warm
 * it up again, so that one defect is reported once, not by every later case on that target.
 */
async function recover(target, index, failed) {
  // First let the save timer meet whatever a failed case left behind: a poisoned model that
  // crashes the runtime when it is saved must be seen crashing, not be reset away.
  if (failed) await new Promise((resolve) => setTimeout(resolve, 1200));
  for (const id of target.twin ? [target.id, `${target.id}-twin`] : [target.id]) {
    await deliver(id, { reset: true });
  }
  const rng = gen.caseRandom(seed, -1000 - index);
  const ignored = [];
  await warmTarget(target, rng, ignored);
}

/** Waits out the save timers, redeploys (a save and a restore) and compares every model. */
async function checkpoint() {
  const failures = [];
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const before = new Map();
  // Keys come back in the order they were saved, not in the order of their last use.
  const sorted = async (target) => {
    const exported = await exportModels(target);
    exported.list.sort((a, b) =>
      String(a.topic) < String(b.topic) ? -1 : String(a.topic) > String(b.topic) ? 1 : 0,
    );
    if (!exported.problem) exported.text = JSON.stringify(exported.list);
    return exported;
  };
  for (const target of targets.filter(gen.isLearner)) before.set(target.id, await sorted(target));
  nodeLogs.length = 0;
  await redeploy(messageFlows());
  for (const target of targets.filter(gen.isLearner)) {
    const after = await sorted(target);
    const was = before.get(target.id);
    if (after.problem) failures.push(`${target.id} after a redeploy: ${after.problem}`);
    if (after.text !== was.text) {
      const keys = (e) =>
        e.list
          .map((m) => String(m.topic))
          .sort()
          .join(', ');
      failures.push(
        `${target.id}: models differ after a redeploy (save and restore): keys before [${keys(was).slice(0, 200)}], ` +
          `after [${keys(after).slice(0, 200)}]; ${firstDifference(was.text, after.text)}`,
      );
    }
  }
  const warnings = nodeLogs.splice(0).filter((log) => /not used|could not|cannot/.test(log.text));
  for (const log of warnings) failures.push(`${log.id} warned after a redeploy: ${log.text.slice(0, 300)}`);
  return failures;
}

async function redeploy(flows) {
  const started = new Promise((resolve) => RED.events.once('flows:started', resolve));
  await RED.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
  await started;
}

// ---- settings mode -------------------------------------------------------------------------

const settingCases = gen.settingCases();

/**
 * Deploys one node per hostile setting of `indexes` (one flow), then sends each a valid message:
 * each must have reported its setting at deploy and must fail every message naming it.
 */
async function runSettings(indexes) {
  nodeLogs.length = 0;
  const ids = indexes.map((index) => `s${index}`);
  const flows = [{ id: 'tab', type: 'tab', label: 'settings' }];
  for (const index of indexes) {
    const config = { ...settingCases[index].config };
    for (const key of Object.keys(config)) if (config[key] === undefined) delete config[key];
    flows.push({
      id: `s${index}`,
      type: settingCases[index].type,
      z: 'tab',
      ...config,
      wires: [[`s${index}-out`], [`s${index}-out`]],
    });
    flows.push({ id: `s${index}-out`, type: 'fuzz-sink', z: 'tab', wires: [] });
  }
  flows.push(
    { id: 'fz-catch', type: 'catch', z: 'tab', scope: ids, uncaught: false, wires: [['catch-sink']] },
    { id: 'catch-sink', type: 'fuzz-sink', z: 'tab', wires: [] },
    {
      id: 'fz-complete',
      type: 'complete',
      z: 'tab',
      scope: ids,
      uncaught: false,
      wires: [['complete-sink']],
    },
    { id: 'complete-sink', type: 'fuzz-sink', z: 'tab', wires: [] },
  );
  await redeploy(flows.map((n) => (n.type === 'tab' ? n : { x: 100, y: 100, ...n })));
  const results = [];
  for (const index of indexes) {
    const c = settingCases[index];
    const id = `s${index}`;
    const failures = [];
    // The editor's label may name it ("Features"): the setting's name, in any case.
    const name = new RegExp(c.setting === 'clusters' ? 'clusters|"k"' : c.setting, 'i');
    const atStart = nodeLogs.filter((log) => log.id === id && log.level <= 20);
    if (!atStart.some((log) => name.test(log.text))) {
      failures.push(
        `not reported at deploy${atStart.length ? ` (logged: ${atStart[0].text.slice(0, 200)})` : ''}`,
      );
    }
    const msg = { payload: [1, 2, 3], topic: 'k0', time: gen.BASE_TIME };
    const { result, got } = await during([`${id}-out`], () => deliver(id, msg));
    if (result.thrown) failures.push(result.thrown);
    else if (result.timeout) failures.push('a message got neither done() nor done(err) within 15 s');
    else if (!result.error) failures.push('a message went through: the node runs with the hostile setting');
    else {
      const text = String(result.error.message);
      if (!name.test(text)) failures.push(`the error does not name the setting: ${text.slice(0, 300)}`);
      if (RAW_ERROR.test(text)) failures.push(`the error is a raw engine error: ${text.slice(0, 300)}`);
      if (got[0].length > 0) failures.push(`rejected, yet sent ${got[0].length} message(s)`);
    }
    if (prototypeSnapshot() !== cleanPrototypes) failures.push(`a prototype changed: ${prototypeSnapshot()}`);
    const config = { ...c.config };
    for (const key of Object.keys(config)) if (config[key] === undefined) delete config[key];
    results.push({
      index,
      target: c.type,
      family: `setting-${c.setting}`,
      description: `${c.type} with ${JSON.stringify(config)}`,
      failures,
    });
  }
  return results;
}

// ---- the runtime ---------------------------------------------------------------------------

async function main() {
  RED.init(http.createServer(), {
    userDir,
    flowFile: 'flows.json',
    nodesDir: [path.join(__dirname, 'fuzz-nodes')],
    contextStorage: {
      default: { module: 'localfilesystem', config: { flushInterval: 1 } },
      memory: { module: 'memory' },
    },
    httpAdminRoot: false,
    httpNodeRoot: false,
    credentialSecret: false,
    logging: {
      console: { level: 'off', metrics: false, audit: false },
      fuzz: {
        level: 'warn',
        metrics: false,
        audit: false,
        handler: () => (entry) => {
          if (entry.id && entry.level <= 30)
            nodeLogs.push({ id: entry.id, level: entry.level, text: String(entry.msg) });
          if (entry.id) logCounts.set(entry.id, (logCounts.get(entry.id) || 0) + 1);
          if (nodeLogs.length > 1000) nodeLogs.splice(0, 500);
        },
      },
    },
  });
  const started = new Promise((resolve) => RED.events.once('flows:started', resolve));
  await RED.start();
  await started;
  if (mode === 'messages') await redeploy(messageFlows());
  process.on('message', async (message) => {
    try {
      if (message.type === 'warmup') process.send({ type: 'warmed', failures: await warmup() });
      else if (message.type === 'case') {
        const result = await runCase(message.index);
        // A loaded model that was accepted may differ in shape from the valid traffic's.
        const loaded = result.accepted && /^(model|peer)-/.test(result.family);
        if (result.failures.length > 0 || loaded) {
          await recover(
            targets.find((t) => t.id === result.target),
            message.index,
            result.failures.length > 0,
          );
        }
        process.send({ type: 'result', result });
      } else if (message.type === 'settings')
        process.send({ type: 'results', results: await runSettings(message.indexes) });
      else if (message.type === 'checkpoint') process.send({ type: 'checked', failures: await checkpoint() });
      else if (message.type === 'stop') {
        await RED.stop();
        process.send({ type: 'stopped' }, () => process.exit(0));
      }
    } catch (err) {
      process.send({ type: 'broken', error: err.stack || String(err) });
    }
  });
  process.send({
    type: 'started',
    covers: cover.length,
    settings: settingCases.map((c) => `setting-${c.setting}`),
    version: RED.version(),
  });
}

main().catch((err) => {
  process.send({ type: 'broken', error: err.stack || String(err) }, () => process.exit(1));
});
