'use strict';
// The fuzz suite's seeded generator: the nodes it drives (targets), valid traffic for each, and
// families of hostile messages and settings. Everything is a pure function of (seed, case index),
// so a failure replays from its seed. It runs inside the Node-RED process under test, because some
// values cannot cross a process boundary unchanged (arrays of another realm, `__proto__` own keys,
// symbols, functions).
const vm = require('node:vm');

/** mulberry32: a small, fast, well-mixed 32-bit PRNG. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The random stream of one case: independent of every other case's draws. */
function caseRandom(seed, index) {
  const next = mulberry32((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const rng = {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
  };
  return rng;
}

const BASE_TIME = Date.UTC(2026, 0, 1);

/** The limits contract's default maximum dimension per node type (docs/limits.md). */
const DEFAULT_MAX_DIMENSION = {
  'ml-standardize': 10000,
  'ml-pca': 128,
  'ml-kmeans': 10000,
  'ml-window': 10000,
};

/**
 * The nodes under test, deployed side by side. `shape` says what a valid sample is; windows on
 * event time (or counting) get a twin that sees only the valid traffic, so that an ignored hostile
 * message must leave them in the same state (compared by flushing both).
 */
const TARGETS = [
  { id: 'std', type: 'ml-standardize', config: {}, shape: 'array', d: 3 },
  {
    id: 'std-keyed',
    type: 'ml-standardize',
    config: { method: 'minmax', keyProperty: 'topic', maxKeys: '6' },
    shape: 'object',
    d: 3,
    keys: ['k0', 'k1'],
  },
  { id: 'pca', type: 'ml-pca', config: {}, shape: 'array', d: 3 },
  // A learner whose input carries peers' shares, for the forged-share family.
  {
    id: 'pca-shared',
    type: 'ml-pca',
    config: { receiveShares: true, instance: 'fuzz-self' },
    shape: 'array',
    d: 3,
  },
  {
    id: 'pca-keyed',
    type: 'ml-pca',
    config: { keyProperty: 'topic', components: '0.9', refitEvery: '10', halfLife: '200' },
    shape: 'array',
    d: 4,
    keys: ['k0', 'k1'],
  },
  { id: 'km', type: 'ml-kmeans', config: { k: '3', clusters: '3' }, shape: 'array', d: 2 },
  {
    id: 'km-given',
    type: 'ml-kmeans',
    config: {
      k: '3',
      clusters: '3',
      init: 'given',
      centers: '[[0,0],[5,5],[10,10]]',
      keyProperty: 'topic',
      learning: 'warmup',
      warmupSamples: '50',
    },
    shape: 'array',
    d: 2,
    keys: ['k0', 'k1'],
  },
  {
    id: 'win-count',
    type: 'ml-window',
    config: { mode: 'count', size: '5', step: '2' },
    shape: 'array',
    d: 3,
    twin: true,
  },
  {
    id: 'win-time',
    type: 'ml-window',
    config: {
      mode: 'time',
      size: '100',
      step: '50',
      timeProperty: 'time',
      lateness: '20',
      emit: 'aggregate',
      aggregates: 'mean,max,std',
      emitEmpty: true,
    },
    shape: 'array',
    d: 3,
    twin: true,
    eventTime: true,
  },
  {
    id: 'win-session',
    type: 'ml-window',
    config: { mode: 'session', gap: '500', timeProperty: 'time', groupBy: 'key', keyProperty: 'topic' },
    shape: 'object',
    d: 3,
    twin: true,
    eventTime: true,
    keys: ['k0', 'k1'],
  },
  {
    id: 'win-align',
    type: 'ml-window',
    config: { mode: 'time', size: '100', timeProperty: 'time', groupBy: 'align', features: 'temp,hum' },
    shape: 'reading',
    d: 1,
    twin: true,
    eventTime: true,
  },
  // Arrival time: an hour-long window, so that no timer closes it while the suite runs.
  {
    id: 'win-arrival',
    type: 'ml-window',
    config: { mode: 'time', size: '3600000', emit: 'vector' },
    shape: 'scalar',
    d: 1,
  },
];

const LEARNERS = new Set(['ml-standardize', 'ml-pca', 'ml-kmeans']);
const isLearner = (target) => LEARNERS.has(target.type);
const FEATURES = ['a', 'b', 'c', 'd'];

/** One valid value of a target's sample shape (rows near a few centres, so k-means has clusters). */
function validRow(rng, target) {
  const centre = rng.int(3) * 5;
  const values = Array.from({ length: target.d }, (_, j) => centre + rng.normal() * (1 + j) + j);
  if (target.shape === 'object') return Object.fromEntries(values.map((v, j) => [FEATURES[j], v]));
  if (target.shape === 'scalar' || target.shape === 'reading') return values[0];
  return values;
}

/** A valid message for a target: one sample (sometimes a small batch), its key and event time. */
function validMessage(rng, target, state, { batch = rng.chance(0.15), advance = true } = {}) {
  let payload;
  if (batch && target.shape !== 'scalar' && target.shape !== 'reading') {
    payload = Array.from({ length: 2 + rng.int(8) }, () => validRow(rng, target));
  } else {
    payload = validRow(rng, target);
  }
  const msg = { payload };
  if (target.keys) msg.topic = rng.pick(target.keys);
  if (target.shape === 'reading') msg.topic = `m1/${rng.pick(['temp', 'hum'])}`;
  if (target.eventTime) {
    // A hostile time replaces this one: then stream time must not move on.
    if (advance) state.streamTime += 5 + rng.int(40);
    msg.time = state.streamTime;
  }
  return msg;
}

/** A short, one-line description of a value for repro lines (never the whole of a big value). */
function preview(value, depth = 0) {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function') return 'function';
  if (typeof value === 'string')
    return value.length > 40 ? `"${value.slice(0, 20)}…" (${value.length} chars)` : JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (depth > 2) return '…';
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.length})`;
  if (Array.isArray(value)) {
    const realm = value instanceof Array ? '' : 'realm:';
    if (value.length > 6)
      return `${realm}[${value
        .slice(0, 3)
        .map((v) => preview(v, depth + 1))
        .join(',')},… ×${value.length}]`;
    return `${realm}[${Array.from(value, (v) => preview(v, depth + 1)).join(',')}]`;
  }
  if (value instanceof Date || value instanceof Map) return value.constructor.name;
  const keys = Reflect.ownKeys(value).map(String);
  const shown = keys.slice(0, 5).map((k) => `${k}:${preview(value[k], depth + 1)}`);
  return `{${shown.join(',')}${keys.length > 5 ? `,… ${keys.length} keys` : ''}}`;
}

/** Numbers that are never a sample. */
const NON_FINITE = [NaN, Infinity, -Infinity];
/** Values of every JavaScript kind that is not a finite number. */
function notANumber(rng) {
  return rng.pick([
    ...NON_FINITE,
    '1.5',
    '',
    'NaN',
    null,
    true,
    Symbol('x'),
    1n,
    () => 1,
    new Date(0),
    {},
    [],
    new Map([[1, 2]]),
  ]);
}

/**
 * A deeply nested array or object (a stack overflow for naive recursion). Node-RED's own Catch
 * node deep-clones the message and overflows near 3000 levels, so deeper values test the runtime,
 * not this package.
 */
const DEPTH = 1500;
function deep(levels, leaf = 1, asObject = false) {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = asObject ? { x: value } : [value];
  return value;
}

/** A control value that is neither a boolean nor a documented string. */
function hostileFlag(rng) {
  return rng.pick([0, 1, NaN, null, 'yes', 'no', '', 'TRUE ', {}, [], [true], Symbol('t'), 1n, () => true]);
}

const crossRealm = (source) => vm.runInNewContext(source);

/** Replaces one value of a valid row (array or object) by `value`. */
function withValue(rng, row, value) {
  if (Array.isArray(row)) {
    const copy = row.slice();
    copy[rng.int(copy.length)] = value;
    return copy;
  }
  if (row && typeof row === 'object') {
    const copy = { ...row };
    copy[rng.pick(Object.keys(copy))] = value;
    return copy;
  }
  return value;
}

/**
 * Hostile message families. `make(rng, ctx)` returns the message and what must happen:
 *  - expect: 'reject' (done(err) naming `field`, nothing sent, model and windows unchanged),
 *    'accept' (no error), 'either' (a clear rejection as above, or acceptance), or
 *    'unchanged' (either, but the model must be unchanged even when accepted);
 *  - field: a RegExp the error message must match.
 * Every outcome is also checked for process liveness, NaN/Infinity in outputs and models, and a
 * clean Object.prototype. `applies(target)` picks the targets a family is thrown at.
 */
const FAMILIES = [
  {
    name: 'sample-not-a-number',
    applies: () => true,
    make(rng, { valid }) {
      const payload = rng.chance(0.5) ? notANumber(rng) : withValue(rng, valid().payload, notANumber(rng));
      return { msg: { ...valid(), payload }, expect: 'reject', field: /msg\.payload/ };
    },
  },
  {
    name: 'sample-huge-magnitude',
    // A finite value whose square overflows: a limit rejects it, or overflow-safe arithmetic
    // learns it; either way nothing may turn NaN or infinite, now or at the next save.
    applies: () => true,
    make(rng, { valid }) {
      const big = rng.pick([1e308, -1e308, 1e200, -1e200, 1.4e154, 1e160, Number.MAX_VALUE]);
      const base = valid();
      return {
        msg: { ...base, payload: withValue(rng, base.payload, big) },
        expect: 'either',
        field: /msg\.payload/,
      };
    },
  },
  {
    name: 'sample-negative-zero',
    applies: () => true,
    make(rng, { valid }) {
      const base = valid({ batch: false });
      return { msg: { ...base, payload: withValue(rng, base.payload, -0) }, expect: 'accept' };
    },
  },
  {
    name: 'batch-with-one-bad-row',
    applies: (t) => t.shape === 'array' || t.shape === 'object',
    make(rng, { target, valid }) {
      const base = valid({ batch: false });
      const rows = Array.from({ length: 2 + rng.int(30) }, () => valid({ batch: false }).payload);
      const bad = rng.pick([
        () => withValue(rng, rows[0], rng.pick(NON_FINITE)),
        () => (Array.isArray(rows[0]) ? rows[0].slice(1) : 5),
        () => (Array.isArray(rows[0]) ? [...rows[0], 1] : [1, 2, 3]),
        () => 'row',
        () => null,
        () => [],
        () =>
          target.shape === 'object'
            ? Object.values(rows[0])
            : Object.fromEntries(rows[0].map((v, j) => [FEATURES[j], v])),
      ])();
      rows.splice(rng.int(rows.length + 1), 0, bad);
      return { msg: { ...base, payload: rows }, expect: 'reject', field: /msg\.payload/ };
    },
  },
  {
    name: 'batch-empty-or-ragged',
    applies: (t) => t.shape === 'array',
    make(rng, { valid }) {
      const base = valid({ batch: false });
      const row = base.payload;
      const payload = rng.pick([
        [],
        [[]],
        [row, row.slice(1)],
        [row, [...row, 1]],
        [[row]],
        [row, [row]],
        new Array(5),
      ]);
      return { msg: { ...base, payload }, expect: 'reject', field: /msg\.payload/ };
    },
  },
  {
    name: 'batch-large-valid',
    // 20 000 valid rows with a bad one at the end: the whole batch is rejected, nothing learned.
    applies: (t) => t.shape === 'array',
    make(rng, { valid }) {
      const base = valid({ batch: false });
      const rows = Array.from({ length: 20000 }, () => valid({ batch: false }).payload);
      rows.push(withValue(rng, rows[0], NaN));
      return { msg: { ...base, payload: rows }, expect: 'reject', field: /msg\.payload/ };
    },
  },
  {
    name: 'sample-wrong-width',
    applies: (t) => t.shape === 'array',
    make(rng, { target, valid }) {
      const base = valid({ batch: false });
      const width = rng.pick([1, 2, 3, 7, 100000].filter((w) => w !== target.d));
      const payload = Array.from({ length: width }, (_, j) => j + rng.next());
      return { msg: { ...base, payload }, expect: 'reject', field: /msg\.payload/ };
    },
  },
  {
    name: 'new-key-huge-dimension',
    // A new key whose first sample is 1e5 (or, rarely, 4e6) features wide: a dimension limit
    // rejects it, or it is learned and must still be saved and restored without harm.
    applies: (t) => isLearner(t) && t.keys !== undefined,
    make(rng, { target, valid, index }) {
      const base = valid({ batch: false });
      const width = target.type === 'ml-standardize' && rng.chance(0.2) ? 4e6 : 1e5;
      const payload = new Array(width);
      for (let j = 0; j < width; j++) payload[j] = (j % 97) + rng.next();
      const expect = target.type === 'ml-pca' ? 'reject' : 'either';
      return {
        msg: { ...base, topic: `wide-${index}`, payload },
        expect,
        field: /msg\.payload|dimension|features/,
      };
    },
  },
  {
    name: 'new-key-over-default-dimension',
    // One feature more than the node's default maximum dimension (the limits contract: PCA 128,
    // so that a refit stays short; 10 000 for the others): refused before anything is allocated.
    applies: (t) => t.keys !== undefined && (isLearner(t) || t.shape === 'array'),
    make(rng, { target, valid, index }) {
      const base = valid({ batch: false });
      const width = (DEFAULT_MAX_DIMENSION[target.type] ?? 10000) + 1;
      const payload = Array.from({ length: width }, (_, j) => (j % 13) + rng.next());
      const msg = { ...base, topic: `over-${index}`, payload };
      return { msg, expect: 'reject', field: /msg\.payload|dimension|features/, note: `${width} features` };
    },
  },
  {
    name: 'sample-nested',
    applies: (t) => t.shape !== 'scalar' && t.shape !== 'reading',
    make(rng, { target, valid }) {
      const base = valid({ batch: false });
      const payload = rng.pick([
        () => withValue(rng, base.payload, [1]),
        () => withValue(rng, base.payload, { x: 1 }),
        () => [[base.payload]],
        () => deep(DEPTH, 1, rng.chance(0.5)),
        () => (target.shape === 'object' ? { ...base.payload, a: { b: 1 } } : [base.payload, { a: [1] }]),
      ])();
      return { msg: { ...base, payload }, expect: 'reject', field: /msg\.payload/ };
    },
  },
  {
    name: 'sample-typed-array',
    applies: (t) => t.shape === 'array',
    make(rng, { target, valid }) {
      const base = valid({ batch: false });
      const kind = rng.int(4);
      if (kind === 0) return { msg: { ...base, payload: Float64Array.from(base.payload) }, expect: 'accept' };
      if (kind === 1) {
        const payload = Float32Array.from(base.payload);
        payload[rng.int(payload.length)] = rng.pick(NON_FINITE);
        return { msg: { ...base, payload }, expect: 'reject', field: /msg\.payload/ };
      }
      if (kind === 2) {
        return {
          msg: { ...base, payload: new BigInt64Array(target.d) },
          expect: 'reject',
          field: /msg\.payload/,
        };
      }
      return { msg: { ...base, payload: Buffer.from('1,2,3,4') }, expect: 'reject', field: /msg\.payload/ };
    },
  },
  {
    name: 'sample-proto-keys',
    // JSON.parse makes `__proto__` an own key: it must never reach a prototype.
    applies: (t) => t.shape !== 'reading',
    make(rng, { target, valid }) {
      const base = valid({ batch: false });
      const hostile = rng.pick([
        '{"__proto__":{"polluted":1}}',
        '{"constructor":{"prototype":{"polluted":1}}}',
        '{"__proto__":5}',
        '{"prototype":{"polluted":1},"__defineGetter__":2}',
      ]);
      const extra = JSON.parse(hostile);
      if (target.shape === 'object') {
        // Extra fields beside the schema's are ignored; a hostile one must be, too.
        return {
          msg: { ...base, payload: Object.assign(JSON.parse(hostile), base.payload) },
          expect: 'either',
          field: /msg\.payload/,
        };
      }
      return { msg: { ...base, payload: extra }, expect: 'reject', field: /msg\.payload/ };
    },
  },
  {
    name: 'sample-cross-realm',
    applies: (t) => t.shape === 'array' || t.shape === 'object',
    make(rng, { target, valid }) {
      const base = valid({ batch: false });
      const good = rng.chance(0.5);
      const row = good ? base.payload : withValue(rng, base.payload, NaN);
      const source =
        target.shape === 'object'
          ? `(${JSON.stringify(row).replace(/null/g, 'NaN')})`
          : `[${Object.values(row).map(String).join(',')}]`;
      return {
        msg: { ...base, payload: crossRealm(source) },
        expect: good ? 'accept' : 'reject',
        field: /msg\.payload/,
      };
    },
  },
  {
    name: 'sample-huge-string',
    applies: () => true,
    make(rng, { valid }) {
      const payload = rng.pick(['x', '1,', '{"a":'])[0].repeat(1e6);
      return { msg: { ...valid({ batch: false }), payload }, expect: 'reject', field: /msg\.payload/ };
    },
  },
  {
    name: 'sample-missing',
    applies: () => true,
    make(rng, { valid }) {
      const msg = valid({ batch: false });
      delete msg.payload;
      if (rng.chance(0.5)) msg.payload = undefined;
      return { msg, expect: 'reject', field: /msg\.payload/ };
    },
  },
  {
    name: 'control-wrong-type',
    applies: () => true,
    make(rng, { target, valid }) {
      const fields = isLearner(target) ? ['reset', 'learn', 'export'] : ['reset', 'flush'];
      const field = rng.pick(fields);
      const msg = rng.chance(0.5) ? valid({ batch: false }) : {};
      if (target.keys && msg.topic === undefined && rng.chance(0.5)) msg.topic = rng.pick(target.keys);
      msg[field] = hostileFlag(rng);
      return { msg, expect: 'reject', field: new RegExp(`msg\\.${field}`) };
    },
  },
  {
    name: 'control-learn-false-string',
    // "false" is either refused or means false: it is never learned.
    applies: (t) => isLearner(t),
    make(rng, { valid }) {
      return {
        msg: { ...valid({ batch: false }), learn: rng.pick(['false', 'False']) },
        expect: 'unchanged',
        field: /msg\.learn/,
      };
    },
  },
  {
    name: 'key-wrong-type',
    applies: (t) => t.keys !== undefined,
    make(rng, { valid }) {
      const topic = rng.pick([
        NaN,
        Infinity,
        -Infinity,
        {},
        [],
        ['k0'],
        true,
        Symbol('k'),
        1n,
        () => 'k0',
        new Date(0),
      ]);
      return { msg: { ...valid({ batch: false }), topic }, expect: 'reject', field: /msg\.topic/ };
    },
  },
  {
    name: 'key-hostile-name',
    // Keys that are names of Object.prototype, numbers or empty: valid keys, kept apart.
    applies: (t) => t.keys !== undefined,
    make(rng, { valid }) {
      const topic = rng.pick([
        '__proto__',
        'constructor',
        'prototype',
        'hasOwnProperty',
        'toString',
        '__defineGetter__',
        12345,
        1e21,
        -0,
        '',
      ]);
      return { msg: { ...valid({ batch: false }), topic }, expect: 'accept' };
    },
  },
  {
    name: 'key-flood',
    // A burst of one-off keys past maxKeys: the least recently used are dropped, with a warning
    // per burst rather than one per key (each warning travels to every open editor).
    applies: (t) => isLearner(t) && t.keys !== undefined,
    make(rng, { valid, index }) {
      const pre = Array.from({ length: 60 }, (_, i) => ({
        ...valid({ batch: false }),
        topic: `flood-${index}-${i}`,
      }));
      return {
        pre,
        msg: valid({ batch: false }),
        expect: 'accept',
        maxLogs: 3,
        note: `${pre.length} new keys, then`,
      };
    },
  },
  {
    name: 'key-very-long',
    applies: (t) => t.keys !== undefined,
    make(rng, { valid }) {
      const topic = rng.pick(['k', '€', '/']).repeat(rng.pick([1e4, 1e6]));
      return { msg: { ...valid({ batch: false }), topic }, expect: 'either', field: /msg\.topic/ };
    },
  },
  {
    name: 'model-not-a-model',
    applies: (t) => isLearner(t),
    make(rng, { target }) {
      const model = rng.pick([
        5,
        'model',
        'x'.repeat(1e6),
        [],
        null,
        true,
        NaN,
        1n,
        Symbol('m'),
        () => ({}),
        deep(DEPTH, 1, true),
      ]);
      const msg = { model };
      if (target.keys) msg.topic = rng.pick(target.keys);
      return { msg, expect: 'reject', field: /model/ };
    },
  },
  {
    name: 'model-bad-type-tag',
    applies: (t) => isLearner(t),
    make(rng, { target, exported, exportedKey }) {
      const model = structuredClone(exported(rng));
      if (!model) return null;
      model.type = rng.pick([
        'ml-window',
        target.type === 'ml-pca' ? 'ml-kmeans' : 'ml-pca',
        '',
        1,
        null,
        {},
        [],
        1n,
        NaN,
        'x'.repeat(1e6),
        deep(DEPTH, 'ml-pca', true),
        JSON.parse('{"__proto__":{"polluted":1}}'),
      ]);
      const msg = { model };
      if (target.keys) msg.topic = exportedKey();
      return { msg, expect: 'reject', field: /model/ };
    },
  },
  {
    name: 'model-poisoned-number',
    // One number of a valid exported model replaced: NaN, ±Infinity, text, null, negatives and
    // huge values. A non-number is refused, or sits in a field the loader recomputes (scale from
    // var) and so leaves the model as it was; a number may be accepted only if everything the
    // model then produces stays finite.
    applies: (t) => isLearner(t),
    make(rng, { target, exported, exportedKey }) {
      const model = structuredClone(exported(rng));
      if (!model) return null;
      const paths = numericPaths(model);
      if (paths.length === 0) return null;
      const path = rng.pick(paths);
      const value = rng.pick([NaN, Infinity, -Infinity, '1', null, {}, [], -1, -1e300, 1e300, 1e308, 1.5, 0]);
      setPath(model, path, value);
      const numeric = typeof value === 'number' && Number.isFinite(value);
      const msg = { model };
      if (target.keys) msg.topic = exportedKey();
      return {
        msg,
        expect: numeric ? 'either' : 'unchanged',
        field: /model/,
        note: `model.${path.join('.')}=${preview(value)}`,
      };
    },
  },
  {
    name: 'model-wrong-shape',
    applies: (t) => isLearner(t),
    make(rng, { target, exported, exportedKey }) {
      const model = structuredClone(exported(rng));
      if (!model) return null;
      const arrays = arrayPaths(model);
      if (arrays.length === 0) return null;
      const path = rng.pick(arrays);
      const array = getPath(model, path);
      const how = rng.int(4);
      if (how === 0) array.pop();
      else if (how === 1) array.push(array.length > 0 ? structuredClone(array[0]) : 1);
      else if (how === 2) setPath(model, path, 7);
      else setPath(model, path, new Array(1e5).fill(1));
      const msg = { model };
      if (target.keys) msg.topic = exportedKey();
      return {
        msg,
        expect: 'either',
        field: /model/,
        note: `model.${path.join('.')} ${['shortened', 'lengthened', '=7', '1e5 long'][how]}`,
      };
    },
  },
  {
    name: 'model-bad-header',
    applies: (t) => isLearner(t),
    make(rng, { target, exported, exportedKey }) {
      const model = structuredClone(exported(rng));
      if (!model) return null;
      const field = rng.pick(['version', 'n_samples_seen', 'features', 'n_features_in']);
      const value = rng.pick([
        ...NON_FINITE,
        -1,
        2.5,
        '1',
        null,
        {},
        ['a', 'a', 'b'],
        ['__proto__', 'b', 'c'],
        'x'.repeat(1e5),
        99,
      ]);
      model[field] = value;
      // A number of samples in range, or a version the loader happens to accept, may be valid;
      // nothing that is not a number or a list of distinct names may load.
      const expect =
        typeof value === 'number' && Number.isFinite(value)
          ? 'either'
          : field === 'features'
            ? 'either'
            : 'reject';
      const msg = { model };
      if (target.keys) msg.topic = exportedKey();
      return { msg, expect, field: /model/, note: `model.${field}=${preview(value)}` };
    },
  },
  {
    name: 'model-negative-variance',
    applies: (t) => t.type === 'ml-standardize' && t.config.method !== 'minmax',
    make(rng, { target, exported, exportedKey }) {
      const model = structuredClone(exported(rng));
      if (!model || !Array.isArray(model.var)) return null;
      model.var[rng.int(model.var.length)] = rng.pick([-1, -1e-300, -1e300]);
      const msg = { model };
      if (target.keys) msg.topic = exportedKey();
      return { msg, expect: 'reject', field: /model|var/ };
    },
  },
  {
    name: 'model-huge-samples-seen',
    // n_samples_seen 1e300: refused, or the T² limit and every other output stay finite.
    applies: (t) => isLearner(t),
    make(rng, { target, exported, exportedKey }) {
      const model = structuredClone(exported(rng));
      if (!model) return null;
      model.n_samples_seen = rng.pick([1e300, 1e20, Number.MAX_SAFE_INTEGER + 2]);
      const msg = { model };
      if (target.keys) msg.topic = exportedKey();
      if (rng.chance(0.5)) msg.payload = validRow(rng, target);
      return { msg, expect: 'either', field: /model/ };
    },
  },
  {
    name: 'share-forged',
    // A model JSON with an instance header claiming a huge count and shifted means, as anyone who
    // may publish on the broker can send it. A node that does not receive shares takes it for a bad
    // sample naming receiveShares; one that does refuses it (topic, count cap, weight against the
    // rest) or, claiming its own id, ignores it: models and outputs stay as they were.
    applies: (t) => isLearner(t),
    make(rng, { target, exported, exportedKey, index }) {
      const base = exported(rng);
      if (!base) return null;
      const receiving = target.config.receiveShares === true;
      const self = receiving && rng.chance(0.3);
      const instance = self ? target.config.instance : rng.pick(['intruder', `fuzz-${index}`, 'i2']);
      const key = target.keys ? (exportedKey() ?? '') : '';
      const model = structuredClone(base);
      Object.assign(model, {
        instance,
        key,
        n_samples_seen: rng.pick([1e15, Number.MAX_SAFE_INTEGER, 2 ** 50]),
      });
      if (Array.isArray(model.mean)) model.mean = model.mean.map(() => 1e6);
      const level = key === '' ? '_' : encodeURIComponent(key);
      const topic = rng.pick([`stream-ml/models/${instance}/${level}`, 'factory-rows/m1', undefined]);
      const msg = { payload: model };
      if (target.keys) msg.topic = key;
      else if (topic !== undefined) msg.topic = topic;
      // As a core mqtt in delivers it unparsed: text is read as a share on the share topics only.
      if (!target.keys && rng.chance(0.3)) {
        msg.topic = `stream-ml/models/${instance}/_`;
        msg.payload = JSON.stringify(model);
      }
      const note = `instance=${instance} n=${model.n_samples_seen} topic=${preview(msg.topic)}`;
      if (!receiving) return { msg, expect: 'reject', field: /receiveShares/, note };
      if (self) return { msg, expect: 'unchanged', note };
      return { msg, expect: 'reject', field: /share|samples|model/, note };
    },
  },
  {
    name: 'peer-hostile',
    applies: (t) => isLearner(t),
    make(rng, { target, exported, exportedKey }) {
      const model = exported(rng);
      if (!model) return null;
      const peer = rng.pick(['', 5, {}, null, NaN, ['a']]);
      const msg = { model: structuredClone(model), peer };
      if (target.keys) msg.topic = exportedKey();
      return { msg, expect: 'reject', field: /msg\.peer/ };
    },
  },
  {
    name: 'time-invalid',
    // Event times outside the valid Date range or the horizon around stream time, and garbage.
    applies: (t) => t.eventTime === true,
    make(rng, { valid, state }) {
      const msg = valid({ batch: false, advance: false });
      msg.time = rng.pick([
        1.7e18,
        -1.7e18,
        state.streamTime * 1e6,
        1e300,
        -1e300,
        ...NON_FINITE,
        8.64e15 + 1,
        'garbage',
        '2026-13-45T99:99:99Z',
        '',
        '1e400',
        {},
        [],
        true,
        1n,
        Symbol('t'),
        state.streamTime + 1e11,
        state.streamTime + 3e13,
      ]);
      return { msg, expect: 'reject', field: /msg\.time/, note: `time=${preview(msg.time)}` };
    },
  },
  {
    name: 'time-jump',
    // A stream that starts at the epoch (a device that booted in 1970), then the clock syncs:
    // the jump is refused, or the windows it closes (and the empty ones in between, with
    // emitEmpty) are bounded; it never enumerates billions of windows.
    applies: (t) => t.eventTime === true,
    make(rng, { valid, state }) {
      const first = valid({ batch: false, advance: false });
      first.time = rng.pick([0, 1000, -1e6]);
      const msg = valid({ batch: false, advance: false });
      return {
        pre: [{ reset: true }, first],
        msg,
        expect: 'either',
        field: /msg\.time/,
        maxSent: 2000,
        note: `time ${first.time} then ${state.streamTime}`,
      };
    },
  },
  {
    name: 'sample-shadowing-names',
    // Fields named after Object.prototype's methods would make the object sent on throw wherever
    // it is turned into text or a number: a new key's first sample with one is a bad sample, and
    // an aligned reading whose topic ends in one is a bad reading.
    applies: (t) => (t.shape === 'object' && t.keys !== undefined) || t.shape === 'reading',
    make(rng, { target, valid, index }) {
      const base = valid({ batch: false });
      const name = rng.pick(['toString', 'valueOf', 'hasOwnProperty', 'toLocaleString', 'isPrototypeOf']);
      if (target.shape === 'reading') {
        return { msg: { ...base, topic: `m1/${name}` }, expect: 'reject', field: /msg\.topic|feature/ };
      }
      const payload = { ...base.payload, [name]: rng.normal() };
      return { msg: { ...base, topic: `shadow-${index}`, payload }, expect: 'reject', field: /msg\.payload/ };
    },
  },
  {
    name: 'time-gap-ten-minutes',
    // Ten minutes of silence in event time: every window in between closes at once (with
    // emitEmpty, thousands of empty ones, skipped as one run beyond 1000); the stream goes on.
    applies: (t) => t.eventTime === true,
    make(rng, { valid, state }) {
      const msg = valid({ batch: false, advance: false });
      state.streamTime += 10 * 60_000;
      msg.time = state.streamTime;
      return { msg, expect: 'accept', maxSent: 2000, note: 'a 10-minute gap' };
    },
  },
  {
    name: 'time-far-past',
    // Far behind stream time: refused, or reported as late; never a window of its own.
    applies: (t) => t.eventTime === true,
    make(rng, { valid, state }) {
      const msg = valid({ batch: false, advance: false });
      msg.time = rng.pick([0, 1, state.streamTime - 1e11, -8.64e15, new Date(0).toISOString()]);
      return { msg, expect: 'unchanged', field: /msg\.time/, note: `time=${preview(msg.time)}` };
    },
  },
];

/** Paths of the numbers in a model (depth-first). */
function numericPaths(value, path = [], out = []) {
  if (typeof value === 'number') out.push(path);
  else if (Array.isArray(value)) value.forEach((v, i) => numericPaths(v, [...path, i], out));
  else if (value && typeof value === 'object')
    for (const k of Object.keys(value)) numericPaths(value[k], [...path, k], out);
  return out;
}

/** Paths of the arrays in a model. */
function arrayPaths(value, path = [], out = []) {
  if (Array.isArray(value)) {
    if (path.length > 0) out.push(path);
    value.forEach((v, i) => arrayPaths(v, [...path, i], out));
  } else if (value && typeof value === 'object') {
    for (const k of Object.keys(value)) arrayPaths(value[k], [...path, k], out);
  }
  return out;
}

function getPath(value, path) {
  return path.reduce((v, k) => v[k], value);
}

function setPath(value, path, leaf) {
  getPath(value, path.slice(0, -1))[path[path.length - 1]] = leaf;
}

/**
 * Hostile settings per node type, each checked at deploy: the node must refuse them (red status,
 * every message then fails with an error naming the setting). `base` completes a setting that is
 * only wrong together with others.
 */
const SETTINGS = {
  learner: [
    ['maxKeys', [1e12, 0, -1, 1.5, 'abc', 'Infinity', '1e400']],
    ['warmupSamples', [1e12, 0, -5, 2.5, 'x']],
    ['learning', ['sometimes', 1]],
    ['whileWarmingUp', ['keep']],
    ['store', ['nosuchstore']],
    ['property', ['a..b', 'payload[', '__proto__', 'a.constructor.prototype', "payload['__proto__']"]],
    ['keyProperty', ['[[', 'topic.', 'constructor', 'topic["constructor"]']],
    ['features', ['a,a', '__proto__,b', 'a,toString', 'valueOf']],
    ['halfLife', [-1, 'forever', 'NaN']],
    ['maxDimension', [0, -1, 1e9, 2.5, 'x']],
  ],
  'ml-standardize': [
    ['method', ['robust']],
    ['withMean', ['maybe']],
  ],
  'ml-pca': [
    ['components', [0, -1, 1e6, 'abc', 2.5, 'NaN']],
    ['components', [5], { features: 'a,b' }],
    ['refitEvery', [0, -1, 1e300]],
    ['confidence', [1, 0.1, 'x', 2]],
    ['whiten', ['maybe']],
    // Beyond what an export or a save can refit within the stall budget.
    ['maxDimension', [161, 1024]],
  ],
  'ml-kmeans': [
    ['clusters', [1e6, 0, -1, 2.5], { k: undefined }],
    ['init', ['random']],
    ['centers', ['[[1,2],[3]]', 'not json', '[[1e400,1]]', '[]'], { init: 'given', clusters: '2', k: '2' }],
    ['seed', ['x', -1]],
    ['restarts', [0, 1e9]],
  ],
  'ml-window': [
    ['mode', ['sliding']],
    ['size', [0, -1, 1.5, 1e300, 'x']],
    ['size', [1e15], { mode: 'time', step: '1' }],
    ['maxSamples', [1e12, 0, -1]],
    ['step', [20], { mode: 'count', size: '10' }],
    ['gap', [0, -1, 1e300], { mode: 'session' }],
    ['lateness', [1e300, -1, 'x'], { mode: 'time', timeProperty: 'time' }],
    ['emit', ['everything']],
    ['aggregates', ['mean,foo', 'constructor'], { emit: 'aggregate' }],
    ['groupBy', ['topic']],
    ['timeProperty', ['a..b', '__proto__']],
    ['property', ['a..b', '__proto__', "payload['__proto__']"]],
    ['features', ['a,a', '__proto__', 'toString']],
    // Empty windows for a million keys every second: beyond the bound on their rate.
    ['maxKeys', [1e6], { mode: 'time', size: '1000', emitEmpty: true, groupBy: 'key', keyProperty: 'topic' }],
    ['maxDimension', [0, 1e9, 'x']],
  ],
};

/** Every hostile setting as a list of deployable cases, in a fixed order. */
function settingCases() {
  const cases = [];
  for (const type of ['ml-standardize', 'ml-pca', 'ml-kmeans', 'ml-window']) {
    const own = SETTINGS[type];
    const shared = type === 'ml-window' ? [] : SETTINGS.learner;
    for (const [name, values, base] of [...shared, ...own]) {
      for (const value of values) {
        const config = { ...(base || {}), [name]: value };
        // k-means reads `clusters`, and a legacy `k`: hostile clusters must not be hidden by k.
        if (type === 'ml-kmeans' && name === 'clusters') config.k = value;
        cases.push({ type, setting: name, value, config });
      }
    }
  }
  return cases;
}

module.exports = {
  mulberry32,
  caseRandom,
  TARGETS,
  FAMILIES,
  BASE_TIME,
  isLearner,
  validMessage,
  validRow,
  preview,
  settingCases,
};
