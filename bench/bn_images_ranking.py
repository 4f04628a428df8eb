#!/usr/bin/env python3
"""How many BN images a search episode needs: searches that scored the same policies (random
search, same seed) with different --bn-images, each set beside a reference run.

    python3 bench/bn_images_ranking.py REFERENCE_DIR LABEL=DIR [LABEL=DIR ...]

Prints a Markdown table: the BN pass's and the episode's median seconds, the median episode's
held-out top-1, the Spearman rank correlation and mean absolute difference of the episodes'
top-1 against the reference, how many of the reference's top 5 each run also ranks in its top 5,
and the reference's score of the policy each run ranks first.
"""
import json
import statistics
import sys


def load(folder):
    with open(f"{folder}/episodes.jsonl") as f:
        return [json.loads(line) for line in f]


def ranks(values):
    order = sorted(range(len(values)), key=lambda i: values[i])
    r = [0] * len(values)
    for k, i in enumerate(order):
        r[i] = k
    return r


def spearman(a, b):
    ra, rb = ranks(a), ranks(b)
    n = len(a)
    return 1 - 6 * sum((x - y) ** 2 for x, y in zip(ra, rb)) / (n * (n * n - 1))


def top(values, k):
    return set(sorted(range(len(values)), key=lambda i: -values[i])[:k])


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    reference = load(sys.argv[1])
    ref = [e["top1"] for e in reference]
    print("| BN images | BN s (median) | episode s (median) | median episode top-1 | Spearman vs reference "
          "| mean abs. difference (points) | reference's top 5 in its top 5 | its first policy, scored by the reference |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for arg in sys.argv[2:]:
        label, folder = arg.split("=", 1)
        run = load(folder)
        if [e["channels"] for e in run] != [e["channels"] for e in reference]:
            sys.exit(f"{folder} scored other policies than the reference: run both with --agent random and the same --seed")
        t = [e["top1"] for e in run]
        bn = statistics.median(e["times"]["batchNorm"] for e in run)
        total = statistics.median(e["times"]["total"] for e in run)
        first = max(range(len(t)), key=lambda i: t[i])
        print(f"| {label} | {bn:.2f} | {total:.2f} | {100 * statistics.median(t):.1f} | {spearman(t, ref):.3f} "
              f"| {100 * statistics.mean(abs(a - b) for a, b in zip(t, ref)):.2f} | {len(top(t, 5) & top(ref, 5))} "
              f"| {100 * ref[first]:.1f} (best {100 * max(ref):.1f}) |")


main()
