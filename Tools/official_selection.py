#!/usr/bin/env python3
"""The official FPGM selection, timed: for benchmarks only, never used by fpgm itself.

Usage: official_selection.py WEIGHTS.npz RATE_NORM RATE_DIST REPEATS

Loads the conv weights of an .npz (every 4-D array except projection shortcuts, in file order) and
selects filters exactly as he-y/filter-pruning-geometric-median does (Mask.get_filter_codebook, then
Mask.get_filter_similar: L2 norms, scipy cdist 'euclidean' among the norm survivors, one-shot top-k).
Prints JSON: the selection time of each repeat in seconds (loading excluded) and the pruned filters.
"""
import json
import sys
import time

import numpy as np
from scipy.spatial import distance


def select(weight, rate_norm, rate_dist):
    n = weight.shape[0]
    vec = weight.reshape(n, -1)
    norm = np.linalg.norm(vec, 2, 1)
    pruned_num = int(n * (1 - rate_norm))
    order = norm.argsort()
    large_index = order[pruned_num:]
    survivors = vec[large_index]
    similar_sum = np.sum(np.abs(distance.cdist(survivors, survivors, "euclidean")), axis=0)
    small = similar_sum.argsort()[: int(n * rate_dist)]
    return sorted(int(i) for i in order[:pruned_num]) + sorted(int(large_index[i]) for i in small)


def main():
    path, rate_norm, rate_dist, repeats = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    archive = np.load(path)
    layers = [(name, archive[name]) for name in archive.files
              if archive[name].ndim == 4 and "downsample" not in name]
    times, pruned = [], {}
    for _ in range(repeats):
        start = time.perf_counter()
        pruned = {name[: -len(".weight")] if name.endswith(".weight") else name: sorted(select(w, rate_norm, rate_dist))
                  for name, w in layers}
        times.append(time.perf_counter() - start)
    json.dump({"seconds": times, "pruned": pruned}, sys.stdout)


if __name__ == "__main__":
    main()
