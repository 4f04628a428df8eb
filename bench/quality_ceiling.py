"""How far above the hand-crafted policies any search got (issue 12, docs/BENCHMARKS.md "The ceiling").

Every episode of every issue-12 search of a network (AMC and random search, all seeds, all
lengths) scored on the same 1000 held-out images (one split for all runs); those within the 25 %
MAC budget are ranked, and the best are set beside the baselines each search scored.

usage: python3 bench/quality_ceiling.py
"""
import glob
import json
import statistics

RUNS = {
    "ResNet-20": ["bench/results/quality/r20-m25-*"],
    "Plain-20": ["bench/results/quality/p20-r8/*"],
    "ResNet-56": ["bench/results/quality/r56-m25/*", "bench/results/quality/r56-m25-e600/*"],
}

print("| network | searches | episodes within budget | distinct policies | best held-out | 10th best | "
      "shallow (range over searches) | uniform | AMC's chosen policy |")
print("|---|---:|---:|---:|---:|---:|---|---|---|")
for network, patterns in RUNS.items():
    folders = sorted(f for p in patterns for f in glob.glob(p) if glob.glob(f + "/episodes.jsonl"))
    episodes = [json.loads(line) for f in folders for line in open(f + "/episodes.jsonl")]
    within = [e for e in episodes if e["macsFraction"] <= 0.25 + 1e-9 and e["top1"] is not None]
    distinct = {}
    for e in within:
        distinct[tuple(e["channels"])] = max(distinct.get(tuple(e["channels"]), 0), e["top1"])
    ranked = sorted(distinct.values(), reverse=True)
    baselines = {}
    for f in folders:
        try:
            results = json.load(open(f + "/results.json"))["results"]
        except FileNotFoundError:
            continue
        for r in results:
            baselines.setdefault(r["name"].split(" ")[0], []).append(r.get("heldOut", r.get("heldOutTop1")))

    def show(name):
        values = baselines.get(name, [])
        return f"{100 * min(values):.1f}–{100 * max(values):.1f}" if values else "–"

    print(f"| {network} | {len(folders)} | {len(within)} | {len(distinct)} | {100 * ranked[0]:.1f} | {100 * ranked[9]:.1f} | "
          f"{show('shallow')} | {show('uniform')} | {show('AMC')} |")
