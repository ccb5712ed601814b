#!/usr/bin/env python3
"""Converts a NumPy .npz of float32 arrays into a torch >= 1.6 zip checkpoint, without torch, using
the same pickle structures as Tools/make_torch_fixtures.py. For benchmarks only.

Usage: npz_to_torch.py IN.npz OUT.pt
"""
import collections
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_torch_fixtures as torchlike  # noqa: E402  (registers the stand-in torch modules)


class ArrayStorage(torchlike.Storage):
    """A float32 storage backed by a numpy array (no per-element Python floats)."""

    def __init__(self, key, array):
        super().__init__(key, "float32", [])
        self.array = np.ascontiguousarray(array, dtype="<f4").ravel()

    @property
    def numel(self):
        return self.array.size

    def raw(self):
        return self.array.tobytes()


def main():
    source, target = sys.argv[1], sys.argv[2]
    arrays = np.load(source)
    state = collections.OrderedDict()
    for index, name in enumerate(arrays.files):
        array = arrays[name]
        strides = [int(np.prod(array.shape[axis + 1:])) for axis in range(array.ndim)]
        state[name] = torchlike.Tensor(ArrayStorage(str(index), array), 0, array.shape, strides)
    torchlike.write_zip(target, {"state_dict": torchlike.with_metadata(state)}, "archive")


if __name__ == "__main__":
    main()
