#!/usr/bin/python3
"""Makes a synthetic 224x224 image folder (train/ and test/, one sub-folder per class, PNG) for the
memory measurements of docs/BENCHMARKS.md ("Peak memory of every command at 224x224"). The images
are seeded noise over a class-coloured gradient: the measurements are about time and memory, so
what the images show does not matter, only their size and count.

    /usr/bin/python3 bench/Memory224/make_folder.py /tmp/folder224 --classes 10 --train 20 --test 10
"""
import argparse
import os
import struct
import zlib

import numpy as np


def png(path, rgb):
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        f.write(chunk(b"IEND", b""))


def main():
    a = argparse.ArgumentParser()
    a.add_argument("out")
    a.add_argument("--classes", type=int, default=10)
    a.add_argument("--train", type=int, default=20, help="training images per class")
    a.add_argument("--test", type=int, default=10, help="test images per class")
    a.add_argument("--size", type=int, default=224)
    a.add_argument("--seed", type=int, default=0)
    args = a.parse_args()
    rng = np.random.default_rng(args.seed)
    s = args.size
    ramp = np.linspace(0, 1, s, dtype=np.float32)
    for split, per_class in (("train", args.train), ("test", args.test)):
        for c in range(args.classes):
            folder = os.path.join(args.out, split, f"class{c:03d}")
            os.makedirs(folder, exist_ok=True)
            colour = rng.uniform(40, 215, size=3).astype(np.float32)
            for i in range(per_class):
                base = colour[None, None, :] * (0.6 + 0.4 * ramp[:, None, None] * ramp[None, :, None])
                img = base + rng.normal(0, 25, size=(s, s, 3))
                png(os.path.join(folder, f"{i:05d}.png"), np.clip(img, 0, 255).astype(np.uint8))


if __name__ == "__main__":
    main()
