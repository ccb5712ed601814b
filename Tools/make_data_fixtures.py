#!/usr/bin/env python3
"""Hostile CIFAR-10 data for the refusal tests: small archives and pickles that a reader must refuse
with one sentence naming the file and the entry or record. Never used by fpgm.

Usage: python3 Tools/make_data_fixtures.py    (writes Tests/Fixtures/data/)
"""
import gzip
import io
import os
import struct
import tarfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "data")


def record(label, value):
    return bytes([label]) + bytes([value % 256]) * 3072


def tar_bytes(members, compress=False):
    """A tar of (TarInfo, data or None) members in GNU format."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    raw = buffer.getvalue()
    return gzip.compress(raw, mtime=0) if compress else raw


def member(name, data=b"", kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mtime = kind, link, 0
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    return info, data if kind == tarfile.REGTYPE else None


def python_batch(dtype=b"u1", extra=b""):
    """A one-image python batch in the official opcodes, with another dtype or a call before it."""
    data = bytes(range(256)) * 12
    out = b"\x80\x02" + extra + b"}q\x01(U\x06labelsq\x02]q\x03K\x03aU\x04dataq\x04"
    out += b"cnumpy.core.multiarray\n_reconstruct\nq\x05cnumpy\nndarray\nq\x06K\x00\x85U\x01b\x87Rq\x07"
    out += b"(K\x01K\x01M\x00\x0c\x86cnumpy\ndtype\nq\x08U" + bytes([len(dtype)]) + dtype + b"K\x00K\x01\x87Rq\x09"
    out += b"(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89T" + struct.pack("<I", len(data)) + data + b"tbu."
    return out


def main():
    os.makedirs(ROOT, exist_ok=True)
    batch = record(3, 7) + record(8, 9)
    files = {
        "two-records.bin": batch,
        "truncated.bin": batch[:-100],
        "label-12.bin": record(3, 1) + record(12, 2),
        "one-record.py-batch": python_batch(),
        "os-system.py-batch": b"\x80\x02cos\nsystem\nU\x0aecho hackedq\x01\x85R.",
        "object-array.py-batch": python_batch(dtype=b"O8"),
        "dotdot.tar": tar_bytes([member("../x/test_batch.bin", batch)]),
        "absolute.tar": tar_bytes([member("/tmp/test_batch.bin", batch)]),
        "symlink.tar": tar_bytes([member("cifar-10-batches-bin/test_batch.bin", kind=tarfile.SYMTYPE, link="/etc/passwd")]),
        "good.tar.gz": tar_bytes([member("cifar-10-batches-bin/", kind=tarfile.DIRTYPE),
                                  member("cifar-10-batches-bin/test_batch.bin", batch)], compress=True),
    }
    files["truncated.tar.gz"] = files["good.tar.gz"][:len(files["good.tar.gz"]) // 2]
    # A 10 GB entry: the header declares it (GNU base-256 size); only a few bytes follow.
    info = tarfile.TarInfo("cifar-10-batches-bin/test_batch.bin")
    info.size, info.mtime = 10 * 10**9, 0
    files["huge-entry.tar"] = info.tobuf(format=tarfile.GNU_FORMAT) + b"\0" * 1024
    for name, data in files.items():
        with open(os.path.join(ROOT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
