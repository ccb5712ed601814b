#!/usr/bin/env python3
"""Writes the shared CIFAR-10 images in the official layouts that the binary folder does not show:
the python batches of `cifar-10-batches-py/` (pickled byte for byte as Python 2's cPickle wrote the
official files, protocol 2), and the two official archives `cifar-10-python.tar.gz` and
`cifar-10-binary.tar.gz`. Tests and the benchmark read them; never used by fpgm itself, and the images
stay out of the repository (they are written to a folder the caller names).

Usage: python3 Tools/make_cifar_layouts.py DATA_DIR OUT_DIR [--test-images N]

DATA_DIR is the shared cifar10 folder (cifar-10-batches-bin/ and python/test_batch.head). With
--test-images N the test batch repeats its images cyclically to N images (for timing a full-size batch).
The script checks that the opcodes of the test batch it writes are those of the official file's head.
"""
import io
import os
import pickletools
import struct
import sys
import tarfile

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


class Python2Pickler:
    """The opcodes cPickle (protocol 2) emits for dicts of strings, int lists and a uint8 ndarray."""

    def __init__(self):
        self.out = io.BytesIO()
        self.memo = 0

    def put(self):
        self.memo += 1
        if self.memo < 256:
            self.out.write(b"q" + bytes([self.memo]))
        else:
            self.out.write(b"r" + struct.pack("<I", self.memo))

    def string(self, value):
        if len(value) < 256:
            self.out.write(b"U" + bytes([len(value)]) + value)
        else:
            self.out.write(b"T" + struct.pack("<I", len(value)) + value)
        self.put()

    def integer(self, value):
        if 0 <= value < 256:
            self.out.write(b"K" + bytes([value]))
        elif 0 <= value < 65536:
            self.out.write(b"M" + struct.pack("<H", value))
        else:
            self.out.write(b"J" + struct.pack("<i", value))

    def sequence(self, items, write):
        """A list appended in batches of 1000, as cPickle's batch_list does."""
        self.out.write(b"]")
        self.put()
        for start in range(0, len(items), 1000):
            batch = items[start:start + 1000]
            if len(batch) == 1:
                write(batch[0])
                self.out.write(b"a")
                continue
            self.out.write(b"(")
            for item in batch:
                write(item)
            self.out.write(b"e")

    def global_name(self, module, name):
        self.out.write(b"c" + module + b"\n" + name + b"\n")
        self.put()

    def uint8_array(self, data, rows, columns):
        self.global_name(b"numpy.core.multiarray", b"_reconstruct")
        self.global_name(b"numpy", b"ndarray")
        self.out.write(b"K\x00\x85")
        self.out.write(b"U\x01b")
        self.out.write(b"\x87R")
        self.put()
        self.out.write(b"(K\x01")
        self.integer(rows)
        self.integer(columns)
        self.out.write(b"\x86")
        self.global_name(b"numpy", b"dtype")
        self.out.write(b"U\x02u1K\x00K\x01\x87R")
        self.put()
        self.out.write(b"(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb")
        self.out.write(b"\x89")
        self.out.write(b"T" + struct.pack("<I", len(data)) + data)
        self.out.write(b"tb")

    def batch(self, label, labels, data, filenames):
        self.out.write(b"\x80\x02}")
        self.put()
        self.out.write(b"(")
        self.string(b"batch_label")
        self.string(label)
        self.string(b"labels")
        self.sequence(labels, self.integer)
        self.string(b"data")
        self.uint8_array(data, len(labels), 3072)
        self.string(b"filenames")
        self.sequence(filenames, self.string)
        self.out.write(b"u.")
        return self.out.getvalue()


def read_binary(path):
    raw = open(path, "rb").read()
    records = [raw[i:i + 3073] for i in range(0, len(raw), 3073)]
    return [r[0] for r in records], b"".join(r[1:] for r in records)


def opcode_shape(data):
    """The opcode names, with each run of int list items as one, and each run of 1000-item batches as one."""
    names = []
    try:
        for op, _, _ in pickletools.genops(io.BytesIO(data)):
            names.append(op.name)
    except ValueError:
        pass  # the head ends in the middle of the image data
    shape = []
    for name in names:
        item = name in ("BININT1", "BININT2")
        if item and shape and shape[-1] == "ITEMS":
            continue
        shape.append("ITEMS" if item else name)
        if shape[-3:] == ["MARK", "ITEMS", "APPENDS"] and shape[-6:-3] == ["MARK", "ITEMS", "APPENDS"]:
            del shape[-3:]
    return shape


def main():
    args = sys.argv[1:]
    test_images = None
    if "--test-images" in args:
        at = args.index("--test-images")
        test_images = int(args[at + 1])
        del args[at:at + 2]
    data_dir, out = args
    binary = os.path.join(data_dir, "cifar-10-batches-bin")
    py = os.path.join(out, "cifar-10-batches-py")
    os.makedirs(py, exist_ok=True)
    names = ["test_batch"] + [f"data_batch_{i}" for i in range(1, 6)]
    for name in names:
        labels, pixels = read_binary(os.path.join(binary, name + ".bin"))
        if name == "test_batch" and test_images:
            count = len(labels)
            labels = [labels[i % count] for i in range(test_images)]
            pixels = b"".join(pixels[(i % count) * 3072:(i % count + 1) * 3072] for i in range(test_images))
        title = b"testing batch 1 of 1" if name == "test_batch" else b"training batch %d of 5" % int(name[-1])
        filenames = [b"%s_%05d.png" % (CLASSES[label].encode(), i) for i, label in enumerate(labels)]
        written = Python2Pickler().batch(title, list(labels), pixels, filenames)
        with open(os.path.join(py, name), "wb") as f:
            f.write(written)
        if name == "test_batch":
            head = open(os.path.join(data_dir, "python", "test_batch.head"), "rb").read()
            ours, theirs = opcode_shape(written), opcode_shape(head)
            if ours[:len(theirs) - 1] != theirs[:-1]:
                sys.exit(f"the written test_batch's opcodes differ from the official head's: {ours[:40]} against {theirs[:40]}")
    meta = Python2Pickler()
    meta.out.write(b"\x80\x02}")
    meta.put()
    meta.out.write(b"(")
    meta.string(b"num_cases_per_batch")
    meta.integer(10000)
    meta.string(b"label_names")
    meta.sequence([c.encode() for c in CLASSES], meta.string)
    meta.string(b"num_vis")
    meta.integer(3072)
    meta.out.write(b"u.")
    with open(os.path.join(py, "batches.meta"), "wb") as f:
        f.write(meta.out.getvalue())
    for archive, folder, source in [("cifar-10-python.tar.gz", "cifar-10-batches-py", py),
                                    ("cifar-10-binary.tar.gz", "cifar-10-batches-bin", binary)]:
        with tarfile.open(os.path.join(out, archive), "w:gz", format=tarfile.GNU_FORMAT) as tar:
            for entry in sorted(os.listdir(source)):
                tar.add(os.path.join(source, entry), arcname=f"{folder}/{entry}")


if __name__ == "__main__":
    main()
