#!/usr/bin/env python3
"""Independent accuracy figures for the tests: the trained ResNet-20 and ResNet-56 evaluated with numpy
on the shared CIFAR-10 test images, unpruned, masked by FPGM-only 40%, the official mix (0.7, 0.1) and
L2 40%, each also with batch norms re-estimated on the first 2,000 shared training images (batches of
128, every batch weighted equally, unbiased variance: PyTorch's momentum=None). Never used by fpgm.

Usage: python3 Tools/make_accuracy_fixtures.py WEIGHTS_DIR DATA_DIR
Writes Tests/Fixtures/accuracy/expected.json.

The forward pass is written from the definition of the CIFAR ResNets (akamaster's option-A shortcut,
zeros on both sides), convolutions as im2col products in float64; selection is the official two-step
one of make_fixtures.py; the weights are read by the restricted reader of make_torch_fixtures.py.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import official_selection  # noqa: E402
from make_torch_fixtures import read_legacy_state_dict  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "accuracy")
MEAN = np.array([0.485, 0.456, 0.406]).reshape(1, 3, 1, 1)
STD = np.array([0.229, 0.224, 0.225]).reshape(1, 3, 1, 1)
EPS = 1e-5


def read_batches(folder, names):
    """Images (N, 3, 32, 32) as float64 in [0, 255] and labels from CIFAR-10 binary batch files."""
    raw = np.concatenate([np.fromfile(os.path.join(folder, n), dtype=np.uint8).reshape(-1, 3073) for n in names])
    return raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float64), raw[:, 0].astype(np.int64)


def conv3x3(x, w, stride):
    """3x3 convolution, padding 1, as one matrix product over unfolded patches."""
    n, c, h, _ = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = (h - 1) // stride + 1
    patches = np.empty((n, c, 3, 3, out, out))
    for ky in range(3):
        for kx in range(3):
            patches[:, :, ky, kx] = padded[:, :, ky:ky + stride * out:stride, kx:kx + stride * out:stride]
    columns = patches.transpose(0, 4, 5, 1, 2, 3).reshape(n * out * out, c * 9)
    result = columns @ w.reshape(w.shape[0], -1).T
    return result.reshape(n, out, out, -1).transpose(0, 3, 1, 2)


class Network:
    def __init__(self, state, depth):
        self.s = {k[len("module."):]: v.astype(np.float64) for k, v in state.items()}
        self.blocks = [(stage, b) for stage in (1, 2, 3) for b in range((depth - 2) // 6)]
        self.stats = None

    def norm(self, name, z):
        """Batch norm: running statistics, or batch statistics recorded in self.stats when training."""
        g, b = self.s[name + ".weight"], self.s[name + ".bias"]
        if self.stats is None:
            mean, var = self.s[name + ".running_mean"], self.s[name + ".running_var"]
        else:
            mean, var = z.mean(axis=(0, 2, 3)), z.var(axis=(0, 2, 3))
            m = z.shape[0] * z.shape[2] * z.shape[3]
            self.stats.setdefault(name, []).append((mean, var * m / (m - 1)))
        return (z - mean.reshape(1, -1, 1, 1)) / np.sqrt(var.reshape(1, -1, 1, 1) + EPS) * g.reshape(1, -1, 1, 1) + b.reshape(1, -1, 1, 1)

    def forward(self, images):
        x = (images / 255 - MEAN) / STD
        x = np.maximum(self.norm("bn1", conv3x3(x, self.s["conv1.weight"], 1)), 0)
        for stage, b in self.blocks:
            p = f"layer{stage}.{b}."
            stride = 2 if stage > 1 and b == 0 else 1
            h = np.maximum(self.norm(p + "bn1", conv3x3(x, self.s[p + "conv1.weight"], stride)), 0)
            h = self.norm(p + "bn2", conv3x3(h, self.s[p + "conv2.weight"], 1))
            if stride == 2:
                planes = h.shape[1]
                shortcut = np.pad(x[:, :, ::2, ::2], ((0, 0), (planes // 4, planes // 4), (0, 0), (0, 0)))
            else:
                shortcut = x
            x = np.maximum(h + shortcut, 0)
        pooled = x.mean(axis=(2, 3))
        return pooled @ self.s["linear.weight"].T + self.s["linear.bias"]

    def correct(self, images, labels):
        predictions = np.concatenate([self.forward(images[i:i + 250]).argmax(axis=1) for i in range(0, len(images), 250)])
        return int((predictions == labels).sum())

    def masked(self, rate_norm, rate_dist, criterion):
        other = Network.__new__(Network)
        other.s, other.blocks, other.stats = dict(self.s), self.blocks, None
        pruned = 0
        for name in [k for k, v in self.s.items() if v.ndim == 4]:
            w = self.s[name]
            n = w.shape[0]
            if criterion == "fpgm":
                by_norm, by_dist = official_selection(w.astype(np.float32), rate_norm, rate_dist)
                chosen = by_norm + by_dist
            else:  # l2: the int(N * rate) smallest L2 norms
                norms = np.linalg.norm(w.reshape(n, -1), axis=1)
                chosen = sorted(int(i) for i in norms.argsort(kind="stable")[:int(n * rate_dist)])
            w = w.copy()
            w[chosen] = 0
            other.s[name] = w
            pruned += len(chosen)
        return other, pruned

    def recalibrated(self, images):
        other = Network.__new__(Network)
        other.s, other.blocks, other.stats = dict(self.s), self.blocks, {}
        for i in range(0, len(images), 128):
            other.forward(images[i:i + 128])
        for name, batches in other.stats.items():
            other.s[name + ".running_mean"] = np.mean([m for m, _ in batches], axis=0)
            other.s[name + ".running_var"] = np.mean([v for _, v in batches], axis=0)
        other.stats = None
        return other


def main():
    weights, data = sys.argv[1], sys.argv[2]
    folder = os.path.join(data, "cifar-10-batches-bin")
    test, labels = read_batches(folder, ["test_batch.bin"])
    train, _ = read_batches(folder, [f"data_batch_{i}.bin" for i in range(1, 6)])
    calibration = train[:2000]
    result = {"test_images": len(test), "recalibration_images": len(calibration), "networks": {}}
    for file, depth in [("resnet20-12fca82f.th", 20), ("resnet56-4bfd9763.th", 56)]:
        net = Network(read_legacy_state_dict(os.path.join(weights, file)), depth)
        entry = {"unpruned": net.correct(test, labels), "pruned": {}}
        for key, rate_norm, rate_dist, criterion in [("fpgm", 1.0, 0.4, "fpgm"), ("mix", 0.7, 0.1, "fpgm"), ("l2", 1.0, 0.4, "l2")]:
            masked, count = net.masked(rate_norm, rate_dist, criterion)
            entry["pruned"][key] = {
                "rate_norm": rate_norm, "rate_dist": rate_dist, "criterion": criterion, "pruned_filters": count,
                "masked": masked.correct(test, labels),
                "recalibrated": masked.recalibrated(calibration).correct(test, labels),
            }
            print(file, key, entry["pruned"][key], flush=True)
        result["networks"][f"resnet{depth}"] = entry
    os.makedirs(ROOT, exist_ok=True)
    with open(os.path.join(ROOT, "expected.json"), "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
