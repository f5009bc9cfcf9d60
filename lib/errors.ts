/**
 * A sample that cannot be used: wrong type, non-finite value, missing feature, wrong length,
 * empty or ragged batch. The message says what was wrong and how to fix it.
 */
export class SampleError extends Error {
  override name = 'SampleError';
}

/**
 * A model (from `msg.model`, a context store or a merge) that is malformed or does not fit the
 * node's settings. The message says which field is wrong and what was expected.
 */
export class ModelError extends Error {
  override name = 'ModelError';
}
