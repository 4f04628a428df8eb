#!/usr/bin/env python3
"""Where a DDPG search's learning curve falls back: per block of episodes, the median held-out
top-1, sigma, the critic's mean Q and the median raw action and realised keep ratio per group.

    python3 bench/quality_drift.py SEARCH_FOLDER [FIRST] [BLOCK]

FIRST: the first episode shown (default: the first learning episode); BLOCK: episodes per row
(default 10). Reads the search's episodes.jsonl; prints Markdown.
"""
import json
import statistics
import sys

folder = sys.argv[1]
with open(f"{folder}/episodes.jsonl") as f:
    episodes = [json.loads(line) for line in f]
first = int(sys.argv[2]) if len(sys.argv) > 2 else next(i for i, e in enumerate(episodes) if e["phase"] != "warmup")
block = int(sys.argv[3]) if len(sys.argv) > 3 else 10
groups = len(episodes[0]["keep"])


def median(rows, key):
    values = [key(e) for e in rows if key(e) is not None]
    return statistics.median(values) if values else float("nan")


print(f"| episodes | top-1 % | sigma | Q | what | " + " | ".join(f"g{g}" for g in range(groups)) + " |")
print("|---|---:|---:|---:|---|" + "---:|" * groups)
for start in range(first, len(episodes), block):
    rows = episodes[start:start + block]
    def cells(key):
        return " | ".join(f"{median(rows, lambda e, g=g: e[key][g]):.2f}" for g in range(groups))
    print(f"| {start}–{start + len(rows) - 1} | {100 * median(rows, lambda e: e['top1']):.1f} "
          f"| {rows[0]['sigma']:.3f} | {median(rows, lambda e: e['meanQ']):.2f} | raw | {cells('rawActions')} |")
    print(f"| | | | | keep | {cells('keep')} |")
