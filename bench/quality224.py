#!/usr/bin/env python3
"""The tables of docs/BENCHMARKS.md "A network where 4x hurts" from bench/quality224.sh's folder.

    python3 bench/quality224.py OUT SEED...

Test top-1 per method and seed before fine-tuning (the searches' own test evaluation) and after
the short fine-tune (bench/quality-finetune.sh's JSON), with mean and spread; then the median
held-out top-1 of the episodes per block of 50, DDPG / random search.
"""
import json
import os
import statistics
import sys

out, seeds = sys.argv[1], sys.argv[2:]


def rows(folder):
    with open(os.path.join(folder, "results.json")) as f:
        return {r["name"]: r for r in json.load(f)["results"]}


def search_row(results, prefix):
    return next(r for n, r in results.items() if n.startswith(prefix))


def before(method, seed):
    if method == "random search":
        return search_row(rows(f"{out}/random{seed}"), "random search")
    results = rows(f"{out}/ddpg{seed}")
    return search_row(results, "AMC") if method == "AMC (DDPG)" else results[method]


def after(method, seed):
    folder, tag = {"AMC (DDPG)": ("ddpg", "best"), "random search": ("random", "best")}.get(method, ("base", method))
    path = f"{out}/ft/{folder}/{tag}-s{seed}-finetune.json"
    try:
        with open(path) as f:
            return json.load(f)["testTop1"]
    except (OSError, ValueError):
        return None  # not run, or still running


def line(values):
    present = [v for v in values if v is not None]
    cells = " / ".join("–" if v is None else f"{100 * v:.2f}" for v in values)
    if len(present) < 2:
        return f"{cells} | | "
    return f"{cells} | {100 * statistics.mean(present):.2f} | {100 * (max(present) - min(present)):.2f}"


methods = ["AMC (DDPG)", "shallow", "uniform", "deep", "random search"]
print(f"| method | MACs % | before fine-tuning, seeds {' / '.join(seeds)} | mean | spread | after the short fine-tune | mean | spread |")
print("|---|---|---|---:|---:|---|---:|---:|")
for m in methods:
    b = [before(m, s) for s in seeds]
    macs = sorted({round(100 * r["macsFraction"], 1) for r in b})
    span = f"{macs[0]}" if len(macs) == 1 else f"{macs[0]}–{macs[-1]}"
    print(f"| {m} | {span} "
          f"| {line([r['testTop1'] for r in b])} | {line([after(m, s) for s in seeds])} |")

print()
print("| seed | median held-out top-1 per 50 episodes, DDPG | random search |")
print("|---|---|---|")
for s in seeds:
    def blocks(folder):
        with open(f"{out}/{folder}{s}/episodes.jsonl") as f:
            top1 = [json.loads(l)["top1"] for l in f]
        return " / ".join(f"{100 * statistics.median(top1[i:i + 50]):.1f}" for i in range(0, len(top1), 50))
    print(f"| {s} | {blocks('ddpg')} | {blocks('random')} |")

# The seeds share nothing but the base network, so the baselines move with the seed's scoring and
# calibration images as much as AMC does: AMC's lead on the same seed is the comparison that
# removes that, and its worst seed says whether AMC is ahead on every one.
print()
print("| AMC minus | before fine-tuning, per seed | mean | worst seed | after the short fine-tune | mean | worst seed |")
print("|---|---|---:|---:|---|---:|---:|")
for m in methods[1:]:
    def leads(top1):
        d = [None if top1("AMC (DDPG)", s) is None or top1(m, s) is None else top1("AMC (DDPG)", s) - top1(m, s)
             for s in seeds]
        present = [v for v in d if v is not None]
        cells = " / ".join("–" if v is None else f"{100 * v:+.2f}" for v in d)
        return f"{cells} | {100 * statistics.mean(present):+.2f} | {100 * min(present):+.2f}" if present else f"{cells} | | "
    print(f"| {m} | {leads(lambda k, s: before(k, s)['testTop1'])} | {leads(after)} |")
