#!/usr/bin/env python3
"""Writes the test fixtures under Tests/Fixtures from seeded numpy data.

Run from the repository root: python3 Tools/make_fixtures.py
Needs numpy and scipy; the tests read only the files this writes (commit them).

selection/  layers.npz holds conv-shaped random layers and a layer of near-duplicate filters;
            expected.json holds, for several (rate_norm, rate_dist), the filters the official
            FPGM code (he-y/filter-pruning-geometric-median, pruning_cifar10.py, Mask.get_filter_codebook
            and Mask.get_filter_similar) prunes, restated here in numpy, and the Euclidean distance
            sums of scipy's cdist for every layer.
readers/    the same small tensors as .npy, stored .npz, deflated .npz and .safetensors (written here
            byte by byte from the format description), and expected.json with their values.
"""
import json
import os
import struct

import numpy as np
from scipy.spatial import distance

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures")


def official_selection(weight, rate_norm, rate_dist):
    """The official two steps: int(N*(1-rate_norm)) smallest L2 norms, then int(N*rate_dist)
    smallest sums of Euclidean distances among the norm survivors (one-shot top-k)."""
    n = weight.shape[0]
    vec = weight.reshape(n, -1)
    norm = np.linalg.norm(vec.astype(np.float32), 2, 1)  # torch.norm on float32 weights
    pruned_num = int(n * (1 - rate_norm))
    order = norm.argsort(kind="stable")
    norm_index = order[:pruned_num]
    large_index = order[pruned_num:]
    survivors = vec[large_index].astype(np.float64)
    similar_sum = np.sum(np.abs(distance.cdist(survivors, survivors, "euclidean")), axis=0)
    small = similar_sum.argsort(kind="stable")[: int(n * rate_dist)]
    dist_index = [int(large_index[i]) for i in small]
    return sorted(int(i) for i in norm_index), sorted(dist_index)


def selection_fixtures():
    rng = np.random.default_rng(20190616)
    layers = {}
    for name, shape in [("conv_16x3", (16, 3, 3, 3)), ("conv_16x16", (16, 16, 3, 3)),
                        ("conv_32x16", (32, 16, 3, 3)), ("conv_64x32", (64, 32, 3, 3)),
                        ("conv_64x64", (64, 64, 3, 3))]:
        std = np.sqrt(2.0 / (shape[2] * shape[3] * shape[0]))
        layers[name] = (rng.standard_normal(shape) * std).astype(np.float32)
    base = rng.standard_normal((1, 32, 3, 3)).astype(np.float32)
    scales = np.logspace(-5, -3, 48).astype(np.float32).reshape(48, 1, 1, 1)
    layers["near_duplicates"] = (base + scales * rng.standard_normal((48, 32, 3, 3)).astype(np.float32)).astype(np.float32)
    os.makedirs(os.path.join(ROOT, "selection"), exist_ok=True)
    np.savez(os.path.join(ROOT, "selection", "layers.npz"), **layers)

    rates = [(1.0, 0.4), (0.7, 0.1), (0.9, 0.3), (1.0, 0.3), (1.0, 0.1)]
    expected = {"rates": [], "distance_sums": {}}
    for name, weight in layers.items():
        vec = weight.reshape(weight.shape[0], -1).astype(np.float64)
        expected["distance_sums"][name] = [float(x) for x in distance.cdist(vec, vec, "euclidean").sum(axis=0)]
    for rate_norm, rate_dist in rates:
        entry = {"rate_norm": rate_norm, "rate_dist": rate_dist, "layers": []}
        for name, weight in layers.items():
            by_norm, by_dist = official_selection(weight, rate_norm, rate_dist)
            entry["layers"].append({"name": name, "pruned_norm": by_norm, "pruned_dist": by_dist})
        expected["rates"].append(entry)
    with open(os.path.join(ROOT, "selection", "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


def write_safetensors(path, tensors, metadata):
    codes = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("float16"): "F16",
             np.dtype("int64"): "I64", np.dtype("uint16"): "BF16"}
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": codes[array.dtype], "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def reader_fixtures():
    rng = np.random.default_rng(7)
    conv = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    running_var = (rng.random(4) + 0.5).astype(np.float32)
    fc = rng.standard_normal((2, 4)).astype(np.float64)
    half = np.array([0.5, -2.0, 65504.0, 6.103515625e-05, 5.960464477539063e-08, 0.0], dtype=np.float16)
    steps = np.array(12345, dtype=np.int64)
    tensors = {"conv.weight": conv, "bn.running_var": running_var, "fc.weight": fc,
               "half.values": half, "bn.num_batches_tracked": steps}
    folder = os.path.join(ROOT, "readers")
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, "conv.weight.npy"), conv)
    np.save(os.path.join(folder, "fortran.npy"), np.asfortranarray(rng.standard_normal((3, 5)).astype(np.float32)))
    np.savez(os.path.join(folder, "stored.npz"), **tensors)
    np.savez_compressed(os.path.join(folder, "deflated.npz"), **tensors)
    bf16_source = np.array([1.0, -0.15625, 3.0e38, 1.0e-3], dtype=np.float32)
    bf16_bits = (bf16_source.view(np.uint32) >> 16).astype(np.uint16)
    write_safetensors(os.path.join(folder, "tensors.safetensors"), {**tensors, "bf16.values": bf16_bits},
                      {"format": "pt", "source": "make_fixtures.py"})
    fortran = np.load(os.path.join(folder, "fortran.npy"))
    expected = {name: {"shape": list(a.shape), "values": [float(x) for x in a.astype(np.float64).ravel()]}
                for name, a in tensors.items()}
    expected["fortran"] = {"shape": list(fortran.shape), "values": [float(x) for x in np.ascontiguousarray(fortran).ravel()]}
    bf16 = (bf16_bits.astype(np.uint32) << 16).view(np.float32)
    expected["bf16.values"] = {"shape": [4], "values": [float(x) for x in bf16]}
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


def generator_fixture():
    """The first outputs of SplitMix64-seeded xoshiro256** (Blackman and Vigna) for seed 42, and the
    first Box-Muller normals from them, restated from the published algorithms."""
    mask = (1 << 64) - 1
    state = 42

    def splitmix():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    s = [splitmix() for _ in range(4)]

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & mask

    def xoshiro():
        result = (rotl((s[1] * 5) & mask, 7) * 9) & mask
        t = (s[1] << 17) & mask
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    outputs = [xoshiro() for _ in range(5)]
    normals = []
    for _ in range(3):
        u1 = ((xoshiro() >> 11) + 0.5) * 2.0 ** -53
        u2 = ((xoshiro() >> 11) + 0.5) * 2.0 ** -53
        normals.append(float(np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2)))
    with open(os.path.join(ROOT, "generator.json"), "w") as f:
        json.dump({"seed": 42, "outputs": [str(x) for x in outputs], "normals": normals}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    selection_fixtures()
    reader_fixtures()
    generator_fixture()
