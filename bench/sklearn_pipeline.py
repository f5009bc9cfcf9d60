"""Bench only (never a test or product dependency): scikit-learn's side of `npm run bench`.

Reads rows written by bench/scenarios/50-sklearn.js (raw little-endian float64, n x d) and times
StandardScaler, PCA(2), KMeans(3, k-means++, n_init=10) with distances, and the whole seed pipeline
StandardScaler().fit_transform -> PCA(2).fit_transform -> KMeans(3).fit_transform, each stage on
the previous stage's output, `repeats` times. Prints one JSON object: wall and CPU milliseconds per run.

usage: sklearn_pipeline.py FILE N D REPEATS
"""

import gc
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler


def timed(run, repeats):
    """Wall and CPU milliseconds of each run (CPU summed over threads)."""
    wall, cpu = [], []
    run()  # untimed, as on the Node side (where it lets V8 compile the loops)
    for _ in range(repeats):
        gc.collect()
        begin, begin_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append((time.perf_counter() - begin) * 1000)
        cpu.append((time.process_time() - begin_cpu) * 1000)
    return {"wall": wall, "cpu": cpu}


def main():
    path, n, d, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    x = np.fromfile(path, dtype="<f8").reshape(n, d)
    z = StandardScaler().fit_transform(x)
    y = PCA(n_components=2).fit_transform(z)

    def kmeans(rows):
        return KMeans(n_clusters=3, init="k-means++", n_init=10, random_state=0).fit_transform(rows)

    def pipeline():
        return kmeans(PCA(n_components=2).fit_transform(StandardScaler().fit_transform(x)))

    result = {
        "version": sklearn.__version__,
        "scaler": timed(lambda: StandardScaler().fit_transform(x), repeats),
        "pca": timed(lambda: PCA(n_components=2).fit_transform(z), repeats),
        "kmeans": timed(lambda: kmeans(y), repeats),
        "pipeline": timed(pipeline, repeats),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
