'use strict';
// SKAB, the Skoltech Anomaly Benchmark (a real pump testbed, 8 sensors, one row a second, one fault
// per file), through a real flow of this package's nodes in the bench's Node-RED runtime, by the
// protocol of its public leaderboard: per file, a fresh deploy of
//   ml-standardize (learning warm-up, 400 samples) → ml-pca (Components 0.85, the rest default)
// the file's first 400 rows sent as one batch message, then every later row as one message, in
// order, each output awaited before the next row is sent. Two setups: frozen (later rows carry
// msg.learn = false) and online (ml-pca learnOnlyNormal, later rows learned). A row is flagged by
// msg.pca.alarm where the node sends it, else msg.pca.anomaly.
//
// The data set is GPL-3.0 and never part of this repository or package: it is read from SKAB_DIR
// (default ../shared/skab beside the repository, when there). SKAB_SETUP=frozen|online runs one
// setup; SKAB_PCA / SKAB_STANDARDIZE (JSON) add settings to the nodes of both, e.g.
// SKAB_PCA='{"confidence":0.99}'; SKAB_FILES=1 prints every file's figures too.
const fs = require('node:fs');
const path = require('node:path');
const skab = require('../skab');

const repoRoot = path.resolve(__dirname, '..', '..');
const DEFAULT_DIR = path.resolve(repoRoot, '..', 'shared', 'skab');
/** Longest wait for one message's output: a node that drops or rejects a row fails the run. */
const ROW_TIMEOUT_MS = 10000;

/** The leaderboard (outlier detection, all 34 files of SKAB v0.9, point-wise pooled). */
const LEADERBOARD = [
  ['Conv-AE (best F1)', 0.79, 13.69, 17.77],
  ['MSET', 0.73, 20.82, 20.08],
  ['LSTM-AE', 0.68, 14.24, 35.56],
  ['T² + Q (PCA)', 0.67, 13.95, 36.32],
  ['Isolation forest (best FAR)', 0.4, 6.86, 72.09],
];

const SETUPS = {
  frozen: {
    title: 'frozen: the batch is learned, later rows carry msg.learn = false',
    pca: {},
    learn: false,
  },
  online: {
    title: 'online: ml-pca learnOnlyNormal, later rows learned',
    pca: { learnOnlyNormal: true },
    learn: true,
  },
};

function jsonEnv(name) {
  const text = process.env[name];
  if (!text) return {};
  let value;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${name} is not JSON (${err.message}): e.g. ${name}='{"confidence":0.99}'`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${name} must be a JSON object of node settings, e.g. ${name}='{"confidence":0.99}'`);
  }
  return value;
}

/** The data folder, or `undefined` (after saying how to get the data) when there is none. */
function dataDir() {
  // npm runs scripts in the repository: a relative SKAB_DIR means relative to where it was typed.
  const from = process.env.INIT_CWD || process.cwd();
  const dir = process.env.SKAB_DIR ? path.resolve(from, process.env.SKAB_DIR) : DEFAULT_DIR;
  if (fs.existsSync(dir) && fs.statSync(dir).isDirectory()) {
    const inside = path.relative(repoRoot, dir);
    if (!inside.startsWith('..') && !path.isAbsolute(inside)) {
      console.log(
        `Warning: ${dir} is inside the repository; SKAB is GPL-3.0, keep it out of the repository.`,
      );
    }
    return dir;
  }
  console.log(
    [
      `No SKAB data at ${dir}: skipped.`,
      'SKAB (Skoltech Anomaly Benchmark, GPL-3.0) is not part of this package. To run this benchmark:',
      '  git clone https://github.com/waico/SKAB.git ../SKAB   (beside this repository, not in it)',
      '  SKAB_DIR=../SKAB/data BENCH_ONLY=skab npm run bench',
    ].join('\n'),
  );
  return undefined;
}

/** The nodes between the bench's source and sink for one setup. */
function nodesOf(setup, extra) {
  return [
    {
      type: 'ml-standardize',
      learning: 'warmup',
      warmupSamples: skab.TRAINING_ROWS,
      ...extra.standardize,
    },
    { type: 'ml-pca', components: 0.85, ...setup.pca, ...extra.pca },
  ];
}

/**
 * Watches the nodes' log while a setup runs: an error fails the row being awaited at once (the
 * node sent nothing for it), warnings are counted per text and kept off the console (relearnAfter
 * alone warns dozens of times a run), to be summed up under the setup's table.
 */
class NodeLog {
  constructor(context) {
    this.warnings = new Map();
    this.fail = undefined;
    this.stop = context.onLog((entry) => {
      if (entry.type !== 'ml-pca' && entry.type !== 'ml-standardize') return false;
      const text = String(entry.msg && entry.msg.message ? entry.msg.message : entry.msg);
      if (entry.level <= 20) {
        if (this.fail) this.fail(new Error(`${entry.type}: ${text}`));
        return false;
      }
      const key = `${entry.type}: ${text}`;
      if (!this.warnings.has(key)) this.warnings.set(key, { count: 0, nodes: new Set() });
      const warning = this.warnings.get(key);
      warning.count += 1;
      warning.nodes.add(entry.id);
      return true;
    });
  }

  /** `promise`, unless a node logs an error or nothing comes within ROW_TIMEOUT_MS. */
  await(promise, what) {
    let timer;
    const failed = new Promise((_, reject) => {
      this.fail = (err) => reject(new Error(`${what}: ${err.message}`));
      timer = setTimeout(
        () => reject(new Error(`${what}: no output within ${ROW_TIMEOUT_MS / 1000} s`)),
        ROW_TIMEOUT_MS,
      );
    });
    return Promise.race([promise, failed]).finally(() => {
      clearTimeout(timer);
      this.fail = undefined;
    });
  }

  summary(files) {
    return [...this.warnings].map(
      ([text, { count, nodes }]) =>
        `Warned ${count} times, in ${nodes.size} of ${files} files: ${text.length > 110 ? `${text.slice(0, 110)}…` : text}`,
    );
  }
}

/**
 * Runs one file through a fresh deployment: the training rows as one batch, then row by row.
 * @returns {{flags: boolean[], fields: Set<string>, messages: number}}
 */
async function runFile(context, log, nodes, setup, data, label) {
  const [chain] = await context.deploy(context.RED, [nodes]);
  const n = data.rows.length;
  const training = Math.min(skab.TRAINING_ROWS, n);
  const flags = new Array(n);
  const fields = new Set();
  let messages = 0;
  const send = async (first, count, msg) => {
    msg.skabRow = first;
    const arrived = chain.sink.next();
    await chain.source.run(1, () => msg);
    // CSV lines: the header is line 1.
    const lines = count === 1 ? `line ${first + 2}` : `lines ${first + 2}–${first + count + 1}`;
    const out = await log.await(arrived, `${label}, ${lines}`);
    messages += 1;
    if (out.skabRow !== first)
      throw new Error(`${label}, ${lines}: the output is that of line ${out.skabRow + 2}`);
    const { flags: verdicts, field } = skab.verdicts(out, count);
    fields.add(field);
    for (let i = 0; i < count; i++) flags[first + i] = verdicts[i];
  };
  // Copies, so that no node can change the rows the next setup reads.
  await send(0, training, { payload: data.rows.slice(0, training).map((row) => row.slice()) });
  for (let i = training; i < n; i++) {
    const msg = { payload: data.rows[i].slice() };
    if (!setup.learn) msg.learn = false;
    await send(i, 1, msg);
  }
  // A late extra output (two for one input) would land within a turn or two of the last.
  await new Promise((resolve) => setTimeout(resolve, 5));
  if (chain.sink.received !== messages) {
    throw new Error(`${label}: ${chain.sink.received} outputs for ${messages} messages sent`);
  }
  if (flags.some((flag) => typeof flag !== 'boolean')) throw new Error(`${label}: a row has no verdict`);
  return { flags, fields, messages };
}

const fixed = (value, digits) => (Number.isNaN(value) ? '–' : value.toFixed(digits));

function figures(matrix) {
  const { f1, far, mar } = skab.metrics(matrix);
  return `${fixed(f1, 2)} | ${fixed(far, 2)} | ${fixed(mar, 2)}`;
}

const rowsOf = (m) => m.tp + m.fp + m.tn + m.fn;

/** Runs every file in one setup and prints its table; returns the pooled confusion matrices. */
async function runSetup(context, name, files, extra) {
  const setup = SETUPS[name];
  const nodes = nodesOf(setup, extra);
  console.log(`\n### ${setup.title}`);
  console.log(`nodes: ${nodes.map((node) => JSON.stringify(node)).join(' → ')}`);
  const groups = new Map();
  const fields = new Set();
  const perFile = [];
  let messages = 0;
  const begin = process.hrtime.bigint();
  const log = new NodeLog(context);
  for (const file of files) {
    const label = `${file.group}/${file.name}`;
    const result = await runFile(context, log, nodes, setup, file.data, label).catch((err) => {
      log.stop();
      throw err;
    });
    messages += result.messages;
    for (const field of result.fields) fields.add(field);
    const training = Math.min(skab.TRAINING_ROWS, file.data.rows.length);
    const later = skab.count(skab.confusion(), file.data.labels, result.flags, training);
    if (!groups.has(file.group)) groups.set(file.group, { files: 0, later: [] });
    const group = groups.get(file.group);
    group.files += 1;
    group.later.push(later);
    perFile.push([label, later]);
  }
  const seconds = Number(process.hrtime.bigint() - begin) / 1e9;
  log.stop();

  if (process.env.SKAB_FILES) {
    console.log('\n| file | rows scored | anomalous | F1 | FAR % | MAR % |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const [label, m] of perFile) {
      console.log(`| ${label} | ${rowsOf(m)} | ${m.tp + m.fn} | ${figures(m)} |`);
    }
  }
  const faults = [...groups].filter(([group]) => !group.includes(skab.ANOMALY_FREE));
  const free = [...groups].filter(([group]) => group.includes(skab.ANOMALY_FREE));
  const pooledLater = skab.pool(faults.flatMap(([, g]) => g.later));
  console.log('\n| folder | files | rows scored | anomalous | F1 | FAR % | MAR % |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [group, g] of faults) {
    const m = skab.pool(g.later);
    console.log(`| ${group} | ${g.files} | ${rowsOf(m)} | ${m.tp + m.fn} | ${figures(m)} |`);
  }
  const faultFiles = faults.reduce((sum, [, g]) => sum + g.files, 0);
  console.log(
    `| **pooled, ${faultFiles} fault files** | ${faultFiles} | ${rowsOf(pooledLater)} | ${pooledLater.tp + pooledLater.fn} | ${figures(pooledLater)} |`,
  );
  for (const [group, g] of free) {
    const m = skab.pool(g.later);
    console.log(
      `| ${group} (normal only, not pooled) | ${g.files} | ${rowsOf(m)} | 0 | – | ${fixed(skab.metrics(m).far, 2)} | – |`,
    );
  }
  console.log(
    `\nRows scored: every row after a file's first ${skab.TRAINING_ROWS} (those are learned), as the` +
      ' leaderboard scores them.',
  );
  console.log(
    `Verdict read from msg.pca.${[...fields].join(' and msg.pca.')}; ${messages} messages, one output each,` +
      ` in ${seconds.toFixed(1)} s (${Math.round(messages / seconds)} messages/s, a deploy per file).`,
  );
  for (const line of log.summary(files.length)) console.log(line);
  return { later: pooledLater };
}

module.exports = {
  title: 'SKAB (real pump testbed): standardize → pca, leaderboard protocol',
  async extra(context) {
    const extra = { pca: jsonEnv('SKAB_PCA'), standardize: jsonEnv('SKAB_STANDARDIZE') };
    const only = process.env.SKAB_SETUP;
    if (only && !SETUPS[only]) {
      throw new Error(
        `SKAB_SETUP is "${only}": one of ${Object.keys(SETUPS).join(', ')} (or unset for both)`,
      );
    }
    const dir = dataDir();
    if (!dir) return;
    const files = skab.findCsvFiles(dir).map((file) => ({
      ...file,
      data: skab.parseSkabCsv(fs.readFileSync(file.file, 'utf8'), path.relative(dir, file.file)),
    }));
    if (files.length === 0) {
      console.log(`No .csv files below ${dir}: skipped (SKAB_DIR should name SKAB's data folder).`);
      return;
    }
    const faultFiles = files.filter((file) => !file.group.includes(skab.ANOMALY_FREE)).length;
    console.log(
      `Data: ${dir}, ${files.length} files (${faultFiles} with faults, pooled; anomaly-free reported` +
        ` apart, its FAR only). Per file a fresh deploy; the first ${skab.TRAINING_ROWS} rows one batch` +
        ' message, every later row one message, each output awaited.',
    );
    const results = [];
    for (const name of only ? [only] : Object.keys(SETUPS)) {
      results.push([name, await runSetup(context, name, files, extra)]);
    }

    console.log('\n### Beside the leaderboard (fault files pooled point-wise; leaderboard: all 34 files)');
    console.log('| detector | F1 | FAR % | MAR % |');
    console.log('|---|---:|---:|---:|');
    for (const [name, result] of results) {
      console.log(`| **stream-ml ${name}** (this run, rows after training) | ${figures(result.later)} |`);
    }
    for (const [name, f1, far, mar] of LEADERBOARD) {
      console.log(`| ${name} | ${f1.toFixed(2)} | ${far.toFixed(2)} | ${mar.toFixed(2)} |`);
    }
    if (results.length > 1) {
      const [best] = [...results].sort(
        ([, a], [, b]) =>
          skab.metrics(b.later).f1 - skab.metrics(a.later).f1 ||
          skab.metrics(a.later).far - skab.metrics(b.later).far,
      );
      const { f1, far } = skab.metrics(best[1].later);
      console.log(`\nBetter setup: ${best[0]} (F1 ${fixed(f1, 2)} at FAR ${fixed(far, 2)}%).`);
    }
  },
};
