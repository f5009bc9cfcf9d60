'use strict';
// Tests load the compiled package. STREAM_ML_DIST lets a second build live elsewhere
// (for example while another build of dist/ is running).
const path = require('node:path');

const distRoot = process.env.STREAM_ML_DIST
  ? path.resolve(process.env.STREAM_ML_DIST)
  : path.resolve(__dirname, '..', '..', 'dist');

/** Requires a compiled module by its path below dist/, e.g. `dist('lib/moments')`. */
module.exports = function dist(relative) {
  return require(path.join(distRoot, relative));
};
module.exports.root = distRoot;
