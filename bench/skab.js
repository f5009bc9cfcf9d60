'use strict';
// The pure half of the SKAB benchmark (bench/scenarios/70-skab.js): finding and reading the data
// set's CSV files, turning what ml-pca sent into one verdict per row, and pooling the verdicts into
// the leaderboard's F1, FAR and MAR. No Node-RED here, so that test/unit/bench covers it on
// synthetic labels: the data set itself (GPL-3.0) is never part of this repository.
const fs = require('node:fs');
const path = require('node:path');

/** Rows a file starts with that the protocol learns (normal operation) before scoring the rest. */
const TRAINING_ROWS = 400;

/** The folder of normal operation only: SKAB's own evaluation leaves it out of the pooled figures. */
const ANOMALY_FREE = 'anomaly-free';

/**
 * Every `.csv` below `dir`, at any depth (the public data set nests more folders than the part kept
 * for development), in a stable order: by folder, then by the number in the file name.
 * @param {string} dir
 * @returns {{file: string, group: string, name: string}[]} `group` is the folder relative to `dir`
 *   (`valve1`, `other`, …; `.` for files at the top).
 */
function findCsvFiles(dir) {
  const found = [];
  const walk = (folder) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.toLowerCase().endsWith('.csv')) {
        found.push({ file: full, group: path.relative(dir, folder) || '.', name: entry.name });
      }
    }
  };
  walk(dir);
  const collator = new Intl.Collator('en', { numeric: true });
  return found.sort((a, b) => collator.compare(a.group, b.group) || collator.compare(a.name, b.name));
}

/**
 * Reads one SKAB file: `;`-separated, a header, the first column `datetime`, then the sensors, then
 * `anomaly` (0/1) and `changepoint` when the file has labels (the anomaly-free file has none: every
 * row is normal).
 * @param {string} text the file's content.
 * @param {string} [name] the file, for errors.
 * @returns {{features: string[], rows: number[][], labels: number[]}}
 * @throws Error naming the file, line and column of anything that is not a finite number or a 0/1 label.
 */
function parseSkabCsv(text, name = 'csv') {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length < 2) throw new Error(`${name}: no rows`);
  const header = lines[0].split(';').map((cell) => cell.trim());
  if (header[0] !== 'datetime') {
    throw new Error(`${name}: the first column is "${header[0]}", not "datetime" (is this a SKAB file?)`);
  }
  const anomaly = header.indexOf('anomaly');
  const labelled = anomaly !== -1;
  const end = labelled ? anomaly : header.length;
  const features = header.slice(1, end).filter((column) => column !== 'changepoint');
  if (features.length === 0) throw new Error(`${name}: no sensor columns`);
  const rows = [];
  const labels = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(';');
    if (cells.length !== header.length) {
      throw new Error(`${name}, line ${i + 1}: ${cells.length} columns, the header has ${header.length}`);
    }
    const row = new Array(features.length);
    for (let j = 0; j < features.length; j++) {
      const value = Number(cells[j + 1]);
      if (cells[j + 1].trim() === '' || !Number.isFinite(value)) {
        throw new Error(`${name}, line ${i + 1}: ${features[j]} is "${cells[j + 1]}", not a number`);
      }
      row[j] = value;
    }
    let label = 0;
    if (labelled) {
      label = Number(cells[anomaly]);
      if (label !== 0 && label !== 1) {
        throw new Error(`${name}, line ${i + 1}: anomaly is "${cells[anomaly]}", not 0 or 1`);
      }
    }
    rows.push(row);
    labels.push(label);
  }
  return { features, rows, labels };
}

/**
 * The verdicts one output of ml-pca carries, one per row of the message: `msg.pca.alarm` where the
 * node sends it, else `msg.pca.anomaly`; per-row arrays for a batch.
 * @param {object} msg the message out of ml-pca.
 * @param {number} rows how many rows the message that produced it carried.
 * @returns {{flags: boolean[], field: 'alarm' | 'anomaly'}}
 * @throws Error when the message carries no verdict or not one per row.
 */
function verdicts(msg, rows) {
  const pca = msg && msg.pca;
  if (!pca || typeof pca !== 'object') throw new Error('an output without msg.pca');
  const field = pca.alarm !== undefined ? 'alarm' : 'anomaly';
  const value = pca[field];
  const flags = Array.isArray(value) ? value : rows === 1 ? [value] : null;
  if (!flags || flags.length !== rows || flags.some((flag) => typeof flag !== 'boolean')) {
    throw new Error(`msg.pca.${field} is ${JSON.stringify(value)}: expected ${rows} boolean(s)`);
  }
  return { flags, field };
}

/** An empty point-wise confusion matrix. */
function confusion() {
  return { tp: 0, fp: 0, tn: 0, fn: 0 };
}

/**
 * Adds rows `from` … end of one file to `into`, point-wise.
 * @param {{tp: number, fp: number, tn: number, fn: number}} into
 * @param {ArrayLike<number>} labels 1 = anomalous row.
 * @param {ArrayLike<boolean>} flags the detector's verdict per row, aligned with `labels`.
 * @param {number} [from] the first row counted.
 */
function count(into, labels, flags, from = 0) {
  if (labels.length !== flags.length) {
    throw new Error(`${labels.length} labels but ${flags.length} verdicts: the rows are misaligned`);
  }
  for (let i = from; i < labels.length; i++) {
    if (labels[i] === 1) {
      if (flags[i]) into.tp++;
      else into.fn++;
    } else if (flags[i]) into.fp++;
    else into.tn++;
  }
  return into;
}

/** Sums confusion matrices: the leaderboard pools rows, it does not average files. */
function pool(matrices) {
  const total = confusion();
  for (const m of matrices) {
    total.tp += m.tp;
    total.fp += m.fp;
    total.tn += m.tn;
    total.fn += m.fn;
  }
  return total;
}

/**
 * SKAB's binary metrics of a confusion matrix, as its evaluation computes them: F1 = TP / (TP +
 * (FN + FP) / 2), FAR = FP / (FP + TN) in %, MAR = FN / (FN + TP) in %. `NaN` where a denominator
 * is zero (no normal rows for FAR, no anomalous rows for MAR and F1).
 */
function metrics({ tp, fp, tn, fn }) {
  const ratio = (a, b) => (b === 0 ? NaN : a / b);
  return {
    f1: ratio(tp, tp + (fn + fp) / 2),
    far: 100 * ratio(fp, fp + tn),
    mar: 100 * ratio(fn, fn + tp),
  };
}

module.exports = {
  TRAINING_ROWS,
  ANOMALY_FREE,
  findCsvFiles,
  parseSkabCsv,
  verdicts,
  confusion,
  count,
  pool,
  metrics,
};
