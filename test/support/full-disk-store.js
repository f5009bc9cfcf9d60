'use strict';
// A Node-RED context store plugin for tests: kept in memory like the `memory` store, but its
// writes fail with ENOSPC ("no space left on device") while the file `config.fullFlag` exists,
// as a disk that fills up and is freed again. Each successful write dumps every scope to
// `config.dump` (JSON), so a test can see what was stored.
const fs = require('node:fs');

function enospc() {
  const err = new Error('ENOSPC: no space left on device, write');
  err.code = 'ENOSPC';
  return err;
}

class FullDiskStore {
  constructor(config) {
    this.config = config || {};
    this.scopes = new Map();
  }

  open() {
    return Promise.resolve();
  }

  close() {
    return Promise.resolve();
  }

  scope(name) {
    if (!this.scopes.has(name)) this.scopes.set(name, new Map());
    return this.scopes.get(name);
  }

  get(scope, key, callback) {
    const values = this.scope(scope);
    const keys = Array.isArray(key) ? key : [key];
    const results = keys.map((k) => values.get(k));
    if (typeof callback !== 'function') return Array.isArray(key) ? results : results[0];
    callback(null, ...results);
  }

  set(scope, key, value, callback) {
    const done = typeof callback === 'function' ? callback : () => {};
    if (this.config.fullFlag && fs.existsSync(this.config.fullFlag)) {
      setImmediate(() => done(enospc()));
      return;
    }
    const values = this.scope(scope);
    const keys = Array.isArray(key) ? key : [key];
    const list = Array.isArray(key) ? value : [value];
    keys.forEach((k, i) => (list[i] === undefined ? values.delete(k) : values.set(k, list[i])));
    if (this.config.dump) {
      const all = {};
      for (const [name, entries] of this.scopes) all[name] = Object.fromEntries(entries);
      fs.writeFileSync(this.config.dump, JSON.stringify(all));
    }
    setImmediate(() => done(null));
  }

  keys(scope, callback) {
    const names = [...this.scope(scope).keys()];
    if (typeof callback !== 'function') return names;
    callback(null, names);
  }

  delete(scope) {
    this.scopes.delete(scope);
    return Promise.resolve();
  }

  clean() {
    return Promise.resolve();
  }
}

module.exports = (config) => new FullDiskStore(config);
