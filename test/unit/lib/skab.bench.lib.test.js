'use strict';
// The scoring half of the SKAB benchmark (bench/skab.js) on synthetic files and labels: no SKAB
// data here (GPL-3.0, read by `BENCH_ONLY=skab npm run bench` from SKAB_DIR only).
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const skab = require('../../../bench/skab');

const HEADER = 'datetime;a;b;c;anomaly;changepoint';

describe('SKAB benchmark scoring (bench/skab.js)', () => {
  describe('parseSkabCsv', () => {
    it('reads the sensors and the anomaly label, CRLF or LF, ignoring changepoint and blank lines', () => {
      const text = [
        HEADER,
        '2020-03-09 10:14:33;1.5;-2;3e2;0.0;0.0',
        '2020-03-09 10:14:34;4;5;6;1.0;1.0',
        '',
      ].join('\r\n');
      const file = skab.parseSkabCsv(text, 'x.csv');
      assert.deepEqual(file.features, ['a', 'b', 'c']);
      assert.deepEqual(file.rows, [
        [1.5, -2, 300],
        [4, 5, 6],
      ]);
      assert.deepEqual(file.labels, [0, 1]);
    });

    it('reads a file without labels (anomaly-free) as all normal', () => {
      const file = skab.parseSkabCsv('datetime;a;b\nt;1;2\nt;3;4\n', 'free.csv');
      assert.deepEqual(file.features, ['a', 'b']);
      assert.deepEqual(file.labels, [0, 0]);
    });

    it('names the file, line and column of a bad cell', () => {
      assert.throws(
        () => skab.parseSkabCsv(`${HEADER}\nt;1;2;3;0;0\nt;1;oops;3;0;0\n`, 'v/1.csv'),
        /v\/1\.csv, line 3: b is "oops", not a number/,
      );
      assert.throws(() => skab.parseSkabCsv(`${HEADER}\nt;1;;3;0;0\n`, 'f'), /line 2: b is ""/);
      assert.throws(() => skab.parseSkabCsv(`${HEADER}\nt;1;2;3;0.5;0\n`, 'f'), /anomaly is "0.5"/);
      assert.throws(
        () => skab.parseSkabCsv(`${HEADER}\nt;1;2;3;0\n`, 'f'),
        /line 2: 5 columns, the header has 6/,
      );
      assert.throws(() => skab.parseSkabCsv('time;a\n1;2\n', 'f'), /not "datetime"/);
      assert.throws(() => skab.parseSkabCsv(HEADER, 'f'), /f: no rows/);
    });
  });

  describe('findCsvFiles', () => {
    let dir;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-ml-skab-'));
      for (const file of [
        'valve1/10.csv',
        'valve1/2.csv',
        'other/deeper/1.csv',
        'anomaly-free/anomaly-free.csv',
      ]) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), HEADER);
      }
      fs.writeFileSync(path.join(dir, 'README.md'), '# not data');
      fs.writeFileSync(path.join(dir, 'top.csv'), HEADER);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('walks every folder at any depth, .csv only, by folder then by number', () => {
      const found = skab.findCsvFiles(dir).map(({ group, name }) => `${group}|${name}`);
      assert.deepEqual(found, [
        '.|top.csv',
        'anomaly-free|anomaly-free.csv',
        `${path.join('other', 'deeper')}|1.csv`,
        'valve1|2.csv',
        'valve1|10.csv',
      ]);
    });
  });

  describe('verdicts', () => {
    it('reads msg.pca.alarm where sent, else msg.pca.anomaly, one per row', () => {
      assert.deepEqual(skab.verdicts({ pca: { anomaly: true } }, 1), { flags: [true], field: 'anomaly' });
      assert.deepEqual(skab.verdicts({ pca: { anomaly: true, alarm: false } }, 1), {
        flags: [false],
        field: 'alarm',
      });
      assert.deepEqual(skab.verdicts({ pca: { anomaly: [true, false, true] } }, 3).flags, [
        true,
        false,
        true,
      ]);
      assert.deepEqual(skab.verdicts({ pca: { anomaly: [true, true], alarm: [false, true] } }, 2).flags, [
        false,
        true,
      ]);
    });

    it('refuses an output that does not carry one boolean per row', () => {
      assert.throws(() => skab.verdicts({ payload: [1] }, 1), /without msg\.pca/);
      assert.throws(() => skab.verdicts({ pca: { anomaly: [true] } }, 2), /expected 2 boolean/);
      assert.throws(() => skab.verdicts({ pca: { anomaly: true } }, 2), /expected 2 boolean/);
      assert.throws(
        () => skab.verdicts({ pca: { alarm: null, anomaly: true } }, 1),
        /msg\.pca\.alarm is null/,
      );
      assert.throws(() => skab.verdicts({ pca: { anomaly: [1, 0] } }, 2), /expected 2 boolean/);
    });
  });

  describe('count, pool and metrics', () => {
    it('counts rows from the first scored one, point-wise', () => {
      const labels = [0, 0, 0, 1, 1, 1, 0, 0];
      const flags = [true, true, false, true, true, false, true, false];
      assert.deepEqual(skab.count(skab.confusion(), labels, flags), { tp: 2, fp: 3, tn: 2, fn: 1 });
      // The first two rows are training rows: not counted.
      assert.deepEqual(skab.count(skab.confusion(), labels, flags, 2), { tp: 2, fp: 1, tn: 2, fn: 1 });
      assert.throws(() => skab.count(skab.confusion(), labels, flags.slice(1)), /misaligned/);
    });

    it("computes SKAB's F1, FAR and MAR", () => {
      const m = skab.metrics({ tp: 6, fp: 2, tn: 8, fn: 4 });
      assert.equal(m.f1, 6 / (6 + (4 + 2) / 2));
      assert.equal(m.far, 20);
      assert.equal(m.mar, 40);
      // The anomaly-free file: FAR only.
      const free = skab.metrics({ tp: 0, fp: 3, tn: 7, fn: 0 });
      assert.equal(free.far, 30);
      assert.ok(Number.isNaN(free.mar));
      assert.ok(Number.isNaN(skab.metrics(skab.confusion()).f1));
    });

    it('pools rows over files, which is not the mean of the files', () => {
      const a = { tp: 9, fp: 1, tn: 9, fn: 1 };
      const b = { tp: 0, fp: 5, tn: 95, fn: 10 };
      const pooled = skab.pool([a, b]);
      assert.deepEqual(pooled, { tp: 9, fp: 6, tn: 104, fn: 11 });
      assert.equal(skab.metrics(pooled).far, (100 * 6) / 110);
      const meanFar = (skab.metrics(a).far + skab.metrics(b).far) / 2;
      assert.notEqual(skab.metrics(pooled).far, meanFar);
    });
  });
});
