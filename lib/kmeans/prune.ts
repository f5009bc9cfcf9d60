/** The safety margin of the distance skips in k-means++ and Lloyd. */

/**
 * A margin for the triangle-inequality skips: a centre is skipped only when it is provably farther
 * by more than rounding could blur (relative 1e-9, against rounding errors near 1e-15), so that a
 * skipped comparison is one the full sum would have lost too.
 */
export const PRUNE_MARGIN = 1 + 1e-9;
