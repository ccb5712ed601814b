#!/usr/bin/env python3
"""Writes PyTorch-format test fixtures without torch: Python's pickle and zipfile writing the same
structures torch.save writes, plus hostile pickles, and an independent restatement of the official
FPGM selection on a trained checkpoint.

Run from the repository root: python3 Tools/make_torch_fixtures.py [SHARED_WEIGHTS_DIR]
Needs numpy and scipy; the tests read only the files this writes (commit them).

Tests/Fixtures/torch/
  zip-archive.pt, zip-model.pt    torch >= 1.6 zip files (top folders 'archive/' and 'resnet_checkpoint/')
  zip-streamed.pt                 the same written as a stream: zero sizes in the local headers, data
                                  descriptors and zip64 records
  legacy.pt                       the legacy format of torch 0.4-1.5 (_rebuild_tensor_v2, BUILD _metadata)
  toplevel.pt                     a state dict saved without a 'state_dict' wrapper, legacy 0.3 style
  same.safetensors, same-stored.npz, same-deflated.npz   the same tensors in the other formats
  expected.json                   every tensor's values
  hostile/*.pt                    pickles that call os.system, builtins.eval, subprocess.Popen, nest deeply,
                                  or refer to memo entries that do not exist
  select-resnet56.json            the official selection on weights/resnet56-4bfd9763.th (if the weights are given)
  norms-resnet56.json             the L2-norm statistics of its conv layers, computed with numpy
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "torch")

# Stand-ins for the torch objects pickle names, registered as modules so that pickle writes
# GLOBAL 'torch._utils _rebuild_tensor_v2' and 'torch FloatStorage' exactly as torch does.
torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
torch._utils = torch_utils
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils

STORAGE_TYPES = {"float32": ("FloatStorage", 4), "float64": ("DoubleStorage", 8), "float16": ("HalfStorage", 2),
                 "bfloat16": ("BFloat16Storage", 2), "int64": ("LongStorage", 8)}
for _name, _ in STORAGE_TYPES.values():
    _cls = type(_name, (), {"__module__": "torch"})
    setattr(torch, _name, _cls)


def _rebuild_tensor(storage, offset, size, stride):
    raise RuntimeError("never called")


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks):
    raise RuntimeError("never called")


def _rebuild_parameter(data, requires_grad, backward_hooks):
    raise RuntimeError("never called")


for _f in (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_parameter):
    _f.__module__ = "torch._utils"
    _f.__qualname__ = _f.__name__
    setattr(torch_utils, _f.__name__, _f)


class Storage:
    """A storage: raw little-endian bytes of one dtype, saved through a persistent id."""

    def __init__(self, key, dtype, values):
        self.key, self.dtype, self.values = key, dtype, values

    @property
    def numel(self):
        return len(self.values)

    def raw(self):
        if self.dtype == "bfloat16":
            return (np.asarray(self.values, dtype=np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
        return np.asarray(self.values, dtype=np.dtype(self.dtype).newbyteorder("<")).tobytes()


class Tensor:
    """A tensor: a view (offset, size, stride) of a storage."""

    def __init__(self, storage, offset, size, stride, version=2, parameter=False):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)
        self.version, self.parameter = version, parameter

    def __reduce_ex__(self, protocol):
        if self.version == 1:
            return (_rebuild_tensor, (self.storage, self.offset, self.size, self.stride))
        rebuilt = (_rebuild_tensor_v2, (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict()))
        if self.parameter:
            return (_rebuild_parameter, (RebuiltTensor(rebuilt), True, collections.OrderedDict()))
        return rebuilt

    def values(self):
        flat = np.asarray(self.storage.values, dtype=np.float64)
        if self.storage.dtype == "bfloat16":
            flat = (np.asarray(self.storage.values, dtype=np.float32).view(np.uint32) >> 16 << 16).astype(np.uint32).view(np.float32).astype(np.float64)
        elif self.storage.dtype == "float16":
            flat = np.asarray(self.storage.values, dtype=np.float16).astype(np.float64)
        out = np.lib.stride_tricks.as_strided(flat[self.offset:], shape=self.size,
                                              strides=tuple(s * 8 for s in self.stride)) if self.size else flat[self.offset:self.offset + 1].reshape(())
        return np.array(out, order="C")


class RebuiltTensor:
    def __init__(self, reduced):
        self.reduced = reduced

    def __reduce_ex__(self, protocol):
        return self.reduced


class TorchPickler(pickle.Pickler):
    def __init__(self, file, location, legacy):
        super().__init__(file, protocol=2)
        self.location, self.legacy, self.seen = location, legacy, {}

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            self.seen[obj.key] = obj
            storage_type = getattr(torch, STORAGE_TYPES[obj.dtype][0])
            if self.legacy:
                return ("storage", storage_type, obj.key, self.location, obj.numel, None)
            return ("storage", storage_type, obj.key, self.location, obj.numel)
        return None


def state_dict():
    """The tensors every format holds: float32 conv and BN, a Long num_batches_tracked, Half and
    BFloat16 storages, a parameter, and two views sharing one storage (one with offset and stride)."""
    rng = np.random.default_rng(3)
    conv = Storage("0", "float32", [float(x) for x in rng.standard_normal(4 * 3 * 3 * 3).astype(np.float32)])
    bn = Storage("1", "float32", [float(x) for x in (rng.random(4) + 0.5).astype(np.float32)])
    steps = Storage("2", "int64", [42])
    half = Storage("3", "float16", [0.5, -2.0, 65504.0, 6.103515625e-05, 0.0, 1.0])
    bf16 = Storage("4", "bfloat16", [1.0, -0.15625, 3.0e38, 1.0e-3])
    shared = Storage("5", "float32", [float(i) for i in range(20)])
    fc = Storage("6", "float64", [float(x) for x in rng.standard_normal(8)])
    tensors = collections.OrderedDict()
    tensors["conv.weight"] = Tensor(conv, 0, (4, 3, 3, 3), (27, 9, 3, 1), parameter=True)
    tensors["bn.running_var"] = Tensor(bn, 0, (4,), (1,))
    tensors["bn.num_batches_tracked"] = Tensor(steps, 0, (), ())
    tensors["half.values"] = Tensor(half, 0, (2, 3), (3, 1))
    tensors["bf16.values"] = Tensor(bf16, 0, (4,), (1,))
    tensors["view.whole"] = Tensor(shared, 0, (4, 5), (5, 1))
    tensors["view.strided"] = Tensor(shared, 3, (3, 2), (5, 2))
    tensors["fc.weight"] = Tensor(fc, 0, (2, 4), (4, 1))
    return tensors


def with_metadata(tensors):
    out = collections.OrderedDict(tensors)
    out._metadata = collections.OrderedDict([("", {"version": 1}), ("bn", {"version": 2})])
    return out


class Unseekable(io.RawIOBase):
    """A write-only stream without seek, so that zipfile writes data descriptors and leaves the
    sizes in the local headers zero, as streaming writers do."""

    def __init__(self, target):
        self.target = target

    def writable(self):
        return True

    def write(self, data):
        return self.target.write(data)


def write_zip(path, obj, folder, streamed=False):
    buffer = io.BytesIO()
    pickler = TorchPickler(buffer, "cpu", legacy=False)
    pickler.dump(obj)
    entries = [(f"{folder}/data.pkl", buffer.getvalue()), (f"{folder}/byteorder", b"little")]
    entries += [(f"{folder}/data/{key}", pickler.seen[key].raw()) for key in sorted(pickler.seen, key=int)]
    entries.append((f"{folder}/version", b"3\n"))
    with open(path, "wb") as raw:
        target = Unseekable(raw) if streamed else raw
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, data in entries:
                info = zipfile.ZipInfo(name, date_time=(2019, 6, 16, 0, 0, 0))  # fixed, for identical files
                if streamed:
                    with archive.open(info, "w", force_zip64=True) as entry:
                        entry.write(data)
                else:
                    archive.writestr(info, data)


def write_legacy(path, obj, version):
    buffer = io.BytesIO()
    for header in (0x1950A86A20F9469CFC6C, 1001,
                   {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(header, buffer, protocol=2)
    pickler = TorchPickler(buffer, "cuda:0", legacy=True)
    pickler.dump(obj)
    keys = sorted(pickler.seen, key=int)
    pickle.dump(keys, buffer, protocol=2)
    for key in keys:
        storage = pickler.seen[key]
        buffer.write(struct.pack("<q", storage.numel))
        buffer.write(storage.raw())
    with open(path, "wb") as f:
        f.write(buffer.getvalue())


def write_hostile():
    folder = os.path.join(ROOT, "hostile")
    os.makedirs(folder, exist_ok=True)

    def call(module, name, argument, protocol_global=True):
        """A pickle that calls module.name(argument): GLOBAL (protocol 2) or STACK_GLOBAL (protocol 4)."""
        text = argument.encode()
        if protocol_global:
            target = b"c" + module.encode() + b"\n" + name.encode() + b"\n"
        else:
            target = (b"\x8c" + bytes([len(module)]) + module.encode() + b"\x94"
                      + b"\x8c" + bytes([len(name)]) + name.encode() + b"\x94\x93\x94")
        return (b"\x80\x02}q\x00X\n\x00\x00\x00state_dictq\x01" + target
                + b"X" + struct.pack("<I", len(text)) + text + b"\x85R" + b"s.")

    cases = {
        "os-system.pt": call("os", "system", "echo pwned"),
        "builtins-eval.pt": call("builtins", "eval", "1 + 1"),
        "subprocess-popen.pt": call("subprocess", "Popen", "true"),
        "os-system-stack-global.pt": call("os", "system", "echo pwned", protocol_global=False),
    }
    for name, data in cases.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    nested = b"\x80\x02" + b"]" * 200_000 + b"a" * 199_999 + b"."
    with open(os.path.join(folder, "deeply-nested-lists.pt"), "wb") as f:
        f.write(nested)
    tuples = b"\x80\x02)" + b"\x85" * 200_000 + b"."
    with open(os.path.join(folder, "deeply-nested-tuples.pt"), "wb") as f:
        f.write(tuples)
    storage = Storage("0", "float32", [1.0] * 20)
    for name, tensor in [("negative-shape.pt", Tensor(storage, 0, (-4,), (1,))),
                         ("overflowing-shape.pt", Tensor(storage, 0, (2 ** 62, 4), (4, 1))),
                         ("beyond-storage.pt", Tensor(storage, 5, (4, 5), (5, 1)))]:
        write_zip(os.path.join(folder, name), {"w.weight": tensor}, "archive")

    class Huge(Storage):
        numel = 2 ** 40
    write_zip(os.path.join(folder, "storage-size-beyond-file.pt"), {"w.weight": Tensor(Huge("0", "float32", [1.0] * 4), 0, (4,), (1,))}, "archive")
    with open(os.path.join(folder, "two-gigabyte-string.pt"), "wb") as f:
        f.write(b"\x80\x02X" + struct.pack("<I", 2 ** 31) + b"abc.")
    with open(os.path.join(folder, "memo-out-of-range.pt"), "wb") as f:
        f.write(b"\x80\x02}q\x00h\x07.")
    with open(os.path.join(folder, "long-memo-out-of-range.pt"), "wb") as f:
        f.write(b"\x80\x02}q\x00j\xff\xff\xff\x7f.")


def write_expected(tensors):
    expected = {}
    for name, tensor in tensors.items():
        values = tensor.values()
        expected[name] = {"shape": list(values.shape), "dtype": tensor.storage.dtype,
                          "values": [float(x) for x in values.ravel()]}
    with open(os.path.join(ROOT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    arrays = {name: t.values().astype(np.float32 if t.storage.dtype in ("bfloat16",) else
                                         np.dtype(t.storage.dtype)) for name, t in tensors.items()}
    np.savez(os.path.join(ROOT, "same-stored.npz"), **arrays)
    np.savez_compressed(os.path.join(ROOT, "same-deflated.npz"), **arrays)
    codes = {"float32": "F32", "float64": "F64", "float16": "F16", "int64": "I64"}
    header, blobs, offset = {}, [], 0
    for name, array in arrays.items():
        data = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": codes[str(array.dtype)], "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(os.path.join(ROOT, "same.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


class RestrictedUnpickler(pickle.Unpickler):
    """Reads a legacy torch file's object pickle without torch. With `storages` None it only walks
    the pickle (to reach the storage key list after it); otherwise tensors become numpy arrays."""

    def __init__(self, file, storages):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            if self.storages is None:
                return lambda *args: None
            return lambda storage, offset, size, stride, *rest: np.lib.stride_tricks.as_strided(
                storage[offset:], shape=size, strides=tuple(s * 4 for s in stride)).copy()
        if module == "torch" and name == "FloatStorage":
            return name
        raise pickle.UnpicklingError(f"refused {module}.{name}")

    def persistent_load(self, pid):
        return None if self.storages is None else self.storages[pid[2]]


def read_legacy_state_dict(path):
    """The 'state_dict' of a legacy torch file of float32 storages, as numpy arrays."""
    with open(path, "rb") as f:
        for _ in range(3):
            pickle.load(f)
        start = f.tell()
        RestrictedUnpickler(f, None).load()
        keys = pickle.load(f)
        storages = {}
        for key in keys:
            (numel,) = struct.unpack("<q", f.read(8))
            storages[key] = np.frombuffer(f.read(numel * 4), dtype="<f4")
        f.seek(start)
        return RestrictedUnpickler(f, storages).load()["state_dict"]


def official_selection(weight, rate_norm, rate_dist):
    from scipy.spatial import distance
    n = weight.shape[0]
    vec = weight.reshape(n, -1)
    norm = np.linalg.norm(vec, 2, 1)
    pruned_num = int(n * (1 - rate_norm))
    order = norm.argsort(kind="stable")
    large = order[pruned_num:]
    sums = np.sum(np.abs(distance.cdist(vec[large].astype(np.float64), vec[large].astype(np.float64), "euclidean")), axis=0)
    small = sums.argsort(kind="stable")[: int(n * rate_dist)]
    return sorted(int(i) for i in order[:pruned_num]), sorted(int(large[i]) for i in small)


def norms_fixture(weights_dir):
    """Per conv layer of the trained ResNet-56: min, max, mean and population std of the filters' L2 norms."""
    state = read_legacy_state_dict(os.path.join(weights_dir, "resnet56-4bfd9763.th"))
    layers = []
    for name, array in state.items():
        if array.ndim != 4:
            continue
        norms = np.linalg.norm(array.reshape(array.shape[0], -1).astype(np.float64), axis=1)
        layers.append({"name": name[len("module."):-len(".weight")], "min": float(norms.min()), "max": float(norms.max()),
                       "mean": float(norms.mean()), "std": float(norms.std())})
    with open(os.path.join(ROOT, "norms-resnet56.json"), "w") as f:
        json.dump({"file": "resnet56-4bfd9763.th", "layers": layers}, f, indent=1)
        f.write("\n")


def selection_fixture(weights_dir):
    state = read_legacy_state_dict(os.path.join(weights_dir, "resnet56-4bfd9763.th"))
    convs = [(name[len("module."):-len(".weight")], array) for name, array in state.items()
             if array.ndim == 4]
    expected = {"file": "resnet56-4bfd9763.th", "runs": []}
    for rate_norm, rate_dist in [(0.7, 0.1), (1.0, 0.4)]:
        layers = []
        for name, weight in convs:
            by_norm, by_dist = official_selection(weight, rate_norm, rate_dist)
            layers.append({"name": name, "filters": int(weight.shape[0]), "pruned_norm": by_norm, "pruned_dist": by_dist})
        expected["runs"].append({"rate_norm": rate_norm, "rate_dist": rate_dist, "layers": layers})
    with open(os.path.join(ROOT, "select-resnet56.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(ROOT, exist_ok=True)
    tensors = state_dict()
    write_zip(os.path.join(ROOT, "zip-archive.pt"), {"state_dict": with_metadata(tensors), "epoch": 7}, "archive")
    write_zip(os.path.join(ROOT, "zip-model.pt"), with_metadata(tensors), "resnet_checkpoint")
    write_zip(os.path.join(ROOT, "zip-streamed.pt"), with_metadata(tensors), "archive", streamed=True)
    write_legacy(os.path.join(ROOT, "legacy.pt"), {"state_dict": with_metadata(tensors), "best_prec1": 91.5}, 2)
    v1 = collections.OrderedDict((name, Tensor(t.storage, t.offset, t.size, t.stride, version=1)) for name, t in tensors.items())
    write_legacy(os.path.join(ROOT, "toplevel.pt"), v1, 1)
    write_expected(tensors)
    write_hostile()
    if len(sys.argv) > 1:
        selection_fixture(sys.argv[1])
        norms_fixture(sys.argv[1])
