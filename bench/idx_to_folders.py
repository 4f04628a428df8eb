#!/usr/bin/env python3
"""Writes an IDX data set (e.g. Fashion-MNIST) as image folders (train/ and test/, one sub-folder per
class, grayscale PNGs at their own size), taking the first N images of each class, so that `amc`
can read them with --image-size (e.g. 224: upscaled small images, a real task at a large input).
No dependencies beyond the standard library.

    bench/idx_to_folders.py /usr/share/datasets/fashion-mnist OUT TRAIN_PER_CLASS TEST_PER_CLASS [SKIP]

SKIP: leave out the first SKIP training images of each class, e.g. a validation folder of images
a folder written with TRAIN_PER_CLASS = SKIP never held (the test images are not skipped).
"""
import gzip, os, struct, sys, zlib


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, dims = struct.unpack(">HBB", data[:4])
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def png(width, height, pixels):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def write(source, prefix, out, per_class, skip=0):
    (count, height, width), images = read_idx(os.path.join(source, f"{prefix}-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(source, f"{prefix}-labels-idx1-ubyte.gz"))
    taken, skipped = {}, {}
    size = height * width
    for i in range(count):
        label = labels[i]
        if skipped.get(label, 0) < skip:
            skipped[label] = skipped.get(label, 0) + 1
            continue
        if taken.get(label, 0) >= per_class:
            continue
        taken[label] = taken.get(label, 0) + 1
        folder = os.path.join(out, f"{label:02d}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{i:05d}.png"), "wb") as f:
            f.write(png(width, height, images[i * size:(i + 1) * size]))
    return sum(taken.values())


if __name__ == "__main__":
    source, out, train_n, test_n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    skip = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    print("train:", write(source, "train", os.path.join(out, "train"), train_n, skip))
    print("test:", write(source, "t10k", os.path.join(out, "test"), test_n))
