"""Prints the search benchmark table of docs/BENCHMARKS.md from bench/results/search/<model>-{amc,random}.

usage: python3 bench/collect_search_results.py resnet20 plain20
"""
import json
import statistics
import sys
from pathlib import Path

root = Path(__file__).resolve().parent / "results" / "search"
print("| model | policy | MACs % | params % | held-out top-1 (1000 imgs) | test top-1, no fine-tuning | search wall time | s / episode (median) |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for model in sys.argv[1:]:
    for run in ("amc", "random"):
        d = root / f"{model}-{run}"
        if not (d / "results.json").exists():
            print(f"| {model} | {run}: not run | | | | | | |")
            continue
        results = json.load(open(d / "results.json"))["results"]
        episodes = [json.loads(l) for l in open(d / "episodes.jsonl")]
        wall = sum(e["seconds"] for e in episodes)
        med = statistics.median(e["seconds"] for e in episodes)
        for r in results:
            if run == "random" and r["name"] == "original":
                continue
            timing = f"{wall / 60:.1f} min | {med:.2f}" if r["name"].startswith(("AMC", "random")) else " | "
            print(f"| {model} | {r['name']} | {100 * r['macsFraction']:.1f} | {100 * r['paramsFraction']:.1f} | "
                  f"{100 * r.get('heldOut', r.get('heldOutTop1')):.2f} | {100 * r['testTop1']:.2f} | {timing} |")
