#!/usr/bin/env python3
"""Writes the embedded Fashion-MNIST subset: the first TRAIN images of the training set and the
first TEST images of the test set, as gzipped IDX files with the same header layout as the
originals (only the count changes). Output is byte-for-byte reproducible (gzip level 9, mtime 0,
no file name in the gzip header), so re-running it must leave `git status` clean."""
import gzip
import struct
import sys
from pathlib import Path

SOURCE = Path("/usr/share/datasets/fashion-mnist")
TRAIN, TEST = 6000, 1000


def write_subset(stem: str, count: int, out_dir: Path) -> None:
    for kind, header_ints in (("images-idx3", 4), ("labels-idx1", 2)):
        raw = gzip.open(SOURCE / f"{stem}-{kind}-ubyte.gz", "rb").read()
        header = list(struct.unpack(f">{header_ints}i", raw[: 4 * header_ints]))
        item = 1 if header_ints == 2 else header[2] * header[3]
        assert count <= header[1], f"{stem} has only {header[1]} items"
        header[1] = count
        body = raw[4 * header_ints : 4 * header_ints + count * item]
        data = struct.pack(f">{header_ints}i", *header) + body
        with open(out_dir / f"{stem}-{kind}-ubyte.gz", "wb") as f:
            with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=f, mtime=0) as gz:
                gz.write(data)


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    write_subset("train", TRAIN, out)
    write_subset("t10k", TEST, out)
