#!/usr/bin/env python3
"""Adds the held-out record that `amc train` writes since 12-01 to a checkpoint trained before it.

    python3 bench/add_heldout_record.py IN.amc OUT.amc IMAGES SEED SIZE HASH

IMAGES: the training set's size, SEED: --split-seed, SIZE: --heldout, HASH: the split's 12-digit
hash as a search of that split prints it (search-config.json, heldOutHash). Only for a checkpoint
that was trained with exactly that split: the record says the network never saw those images.
"""
import json
import struct
import sys

src, dst, images, seed, size, digest = sys.argv[1:]
with open(src, "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    body = f.read()
info = json.loads(header["__metadata__"]["amc.info"])
info["heldOut"] = {"images": int(images), "seed": int(seed), "size": int(size), "hash": digest}
header["__metadata__"]["amc.info"] = json.dumps(info)
raw = json.dumps(header, separators=(",", ":")).encode()
raw += b" " * (-len(raw) % 8)
with open(dst, "wb") as f:
    f.write(struct.pack("<Q", len(raw)) + raw + body)
