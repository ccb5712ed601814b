#!/usr/bin/env python3
"""Writes the paper notebook's analyses as a Jupyter notebook, done the usual way (numpy, scipy,
matplotlib), for `fpgm-bench jupyter` to time with `jupyter nbconvert --execute`. Never used by fpgm.

Usage: python3 Tools/jupyter_paper.py OUT.ipynb WEIGHTS_DIR RESULTS.json

The notebook loads the trained ResNet-56 and ResNet-20 with the restricted reader of
make_torch_fixtures.py, then computes what notebooks/fpgm-paper.md shows: per-layer norm statistics,
the Fig. 3 densities (Gaussian KDE and rug, linear and log axes, trained and at initialisation), g(x)
against g'(x) with the Weiszfeld geometric median on every conv layer, the FLOPs columns of Tables 1, 2
and 4 in the paper convention, the filters chosen by FPGM, the norms and random choice, the two mixes
and the three distances, and the mask-freeze check. It writes RESULTS.json (norms and the FPGM-only
choice) so that the benchmark can check it against fpgm before timing.
"""
import json
import os
import sys

import nbformat

CELLS = [
    """
import json, math, sys
import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from scipy import stats
from scipy.spatial import distance
sys.path.insert(0, TOOLS)
from make_torch_fixtures import read_legacy_state_dict
""",
    """
def convs(path):
    state = read_legacy_state_dict(path)
    return {k[len("module."):-len(".weight")]: v.astype(np.float32) for k, v in state.items() if v.ndim == 4}

resnet56 = convs(WEIGHTS + "/resnet56-4bfd9763.th")
resnet20 = convs(WEIGHTS + "/resnet20-12fca82f.th")
print(len(resnet56), "conv layers in ResNet-56,", len(resnet20), "in ResNet-20")
""",
    """
def norm_table(layers):
    rows = []
    for name, w in layers.items():
        n = np.linalg.norm(w.reshape(w.shape[0], -1).astype(np.float64), axis=1)
        rows.append((name, w.shape[0], n.min(), n.max(), n.mean(), n.std(), n.std() < 0.1 * n.mean(), n.min() > 1e-3))
    return rows

for name, layers in [("ResNet-56", resnet56), ("ResNet-20", resnet20)]:
    print(name)
    for row in norm_table(layers):
        print("%-16s %3d %.4f %.4f %.4f %.4f %s %s" % row)
""",
    """
def density(ax, values, log):
    x = np.log10(values) if log else values
    kde = stats.gaussian_kde(x)
    grid = np.linspace(x.min() - 3 * kde.factor * x.std(), x.max() + 3 * kde.factor * x.std(), 200)
    ax.plot(10 ** grid if log else grid, kde(grid))
    ax.plot(values, np.zeros_like(values), "|", color="k")
    if log:
        ax.set_xscale("log")
    ax.set_xlabel("L2 norm of a filter")
    ax.set_ylabel("density")

def norms(w):
    return np.linalg.norm(w.reshape(w.shape[0], -1).astype(np.float64), axis=1)

rng = np.random.default_rng(1)
def initial(w):
    n, c, k, _ = w.shape
    return rng.normal(0, math.sqrt(2.0 / (k * k * n)), w.shape)

figure, axes = plt.subplots(3, 2, figsize=(10, 10))
for row, (name, log) in enumerate([("conv1", False), ("conv1", True), ("layer3.8.conv2", False)]):
    density(axes[row][0], norms(resnet56[name]), log)
    density(axes[row][1], norms(resnet56["layer3.8.conv2"]) if row < 2 else norms(initial(resnet56["conv1"])), log)
    axes[row][0].set_title(name)
figure.tight_layout()
figure.savefig("densities.svg")
plt.show()
""",
    """
def weiszfeld(points, tolerance=1e-10, steps=1000):
    y = points.mean(axis=0)
    for _ in range(steps):
        d = np.linalg.norm(points - y, axis=1)
        if np.any(d < 1e-15):
            return y
        next_y = (points / d[:, None]).sum(axis=0) / (1 / d).sum()
        if np.linalg.norm(next_y - y) <= tolerance * max(1, np.linalg.norm(y)):
            return next_y
        y = next_y
    return y

rows = []
for name, w in resnet56.items():
    x = w.reshape(w.shape[0], -1).astype(np.float64)
    g = distance.cdist(x, x, "euclidean").sum(axis=1)
    g_prime = np.array([sum(np.linalg.norm(x[i] - x[j]) for j in range(len(x)) if j != i) for i in range(len(x))])
    median = weiszfeld(x)
    nearest = int(np.argmin(np.linalg.norm(x - median, axis=1)))
    rows.append((name, float(np.max(np.abs(g - g_prime) / g)), int(np.argmin(g)), int(np.argmin(g_prime)), nearest))
print("max |g - g'| / g:", max(r[1] for r in rows), "identical argmins:", sum(r[2] == r[3] for r in rows), "of", len(rows))
print("relaxed choice = nearest to the median in", sum(r[2] == r[4] for r in rows), "layers")
""",
    """
def cifar_macs(depth, keep=1.0):
    n = (depth - 2) // 6
    macs = 3 * 16 * keep * 9 * 32 * 32
    width, size = 16, 32
    for stage, out in enumerate([16, 32, 64]):
        for block in range(n):
            stride = 2 if stage > 0 and block == 0 else 1
            size //= stride
            reads_stem = stage == 0 and block == 0
            macs += width * (keep if reads_stem else 1) * out * keep * 9 * size * size
            macs += out * keep * out * keep * 9 * size * size
            width = out
    return macs

printed = {(20, 0.3): 42.2, (20, 0.4): 54.0, (32, 0.3): 41.5, (32, 0.4): 53.2, (56, 0.4): 52.6,
           (110, 0.3): 40.8, (110, 0.4): 52.3}
for (depth, rate), paper in printed.items():
    base = cifar_macs(depth)
    print("ResNet-%d at %.0f%%: %.1f%% (paper %.1f%%)" % (depth, rate * 100, 100 * (1 - cifar_macs(depth, 1 - rate) / base), paper))

figure, ax = plt.subplots()
ax.bar([str(d) for d in (20, 32, 56, 110)], [100 * (1 - cifar_macs(d, 0.6) / cifar_macs(d)) for d in (20, 32, 56, 110)])
ax.set_xlabel("network")
ax.set_ylabel("FLOPs reduction (%)")
figure.savefig("flops.svg")
plt.show()
""",
    """
def select(w, rate_norm, rate_dist, metric="euclidean"):
    n = w.shape[0]
    x = w.reshape(n, -1).astype(np.float64)
    order = np.linalg.norm(x, axis=1).argsort(kind="stable")
    pruned_num = int(n * (1 - rate_norm))
    large = order[pruned_num:]
    sums = np.abs(distance.cdist(x[large], x[large], metric)).sum(axis=0)
    small = sums.argsort(kind="stable")[: int(n * rate_dist)]
    return sorted(int(i) for i in order[:pruned_num]) + sorted(int(large[i]) for i in small)

def smallest(values, k):
    return sorted(int(i) for i in np.argsort(values, kind="stable")[:k])

shown = ["conv1", "layer1.0.conv1", "layer2.0.conv1", "layer3.0.conv1", "layer3.8.conv2"]
fpgm_only = {name: select(w, 1.0, 0.4) for name, w in resnet56.items()}
for name in shown:
    w = resnet56[name]
    n = w.shape[0]
    x = w.reshape(n, -1).astype(np.float64)
    l2 = smallest(np.linalg.norm(x, axis=1), int(n * 0.4))
    l1 = smallest(np.abs(x).sum(axis=1), int(n * 0.4))
    random = sorted(int(i) for i in np.random.default_rng(0).permutation(n)[: int(n * 0.4)])
    print(name, "fpgm", fpgm_only[name], "l2 overlap", len(set(l2) & set(fpgm_only[name])), "l1", l1, "random", random)
    print("  mix", select(w, 0.7, 0.1), "text mix", select(w, 0.9, 0.3))
    print("  l1 distance", select(w, 1.0, 0.4, "cityblock"), "cosine", select(w, 1.0, 0.4, "cosine"))
""",
    """
rng = np.random.default_rng(7)
same = 0
for name, w in resnet56.items():
    chosen = select(w, 1.0, 0.4)
    frozen = w.copy()
    frozen[chosen] = 0
    kept = [i for i in range(w.shape[0]) if i not in chosen]
    frozen[kept] += rng.normal(0, 1e-3, frozen[kept].shape).astype(np.float32)
    same += select(frozen, 1.0, 0.4) == chosen
print("the same filters chosen again in", same, "of", len(resnet56), "layers")
""",
    """
with open(RESULTS, "w") as f:
    json.dump({"norms": {name: norms(w).tolist() for name, w in resnet56.items()}, "fpgm_only": fpgm_only}, f)
""",
]


def main():
    out, weights, results = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    tools = os.path.dirname(os.path.abspath(__file__))
    notebook = nbformat.v4.new_notebook()
    setup = f"TOOLS = {tools!r}\nWEIGHTS = {weights!r}\nRESULTS = {results!r}\n"
    notebook.cells = [nbformat.v4.new_markdown_cell("# FPGM, the paper's analyses the Jupyter way"),
                      nbformat.v4.new_code_cell(setup)] + [nbformat.v4.new_code_cell(c.strip()) for c in CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, out)


if __name__ == "__main__":
    main()
