"""Prints the deploy benchmark table of docs/BENCHMARKS.md from bench/results/deploy/<model>-<policy>-*.json
(written by bench/deploy-bench.sh MODEL prepare, then MODEL time).

usage: python3 bench/collect_deploy_results.py resnet20 plain20 mobilenet
"""
import json
import sys
from pathlib import Path

root = Path(__file__).resolve().parent / "results" / "deploy"
names = {"amc": "AMC, 50 % MACs", "latency": "AMC, 50 % latency", "uniform": "uniform, 50 % MACs"}
names.update({f"latency{n}": f"AMC, {n} % latency" for n in range(10, 100)})


def load(path):
    return json.load(open(path)) if path.exists() else None


def timing(bench):
    if bench is None:
        return "not timed", ""
    net, base = bench["results"][0], bench["results"][1]
    lat, b = net["latency"], base["latency"]
    return (f"{lat['median']:.3f} ({lat['p10']:.3f}–{lat['p90']:.3f}) vs {b['median']:.3f}",
            f"**{net['speedup']:.2f}×**")


print("| model | policy | MACs | MAC reduction | params | test top-1: base / pruned / after FT | "
      "1 thread: ms (p10–p90) vs base | speed-up | speed-up ÷ MAC reduction | 2 threads: ms vs base | speed-up |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for model in sys.argv[1:]:
    latency = sorted(p.name[len(model) + 1:] for p in root.glob(f"{model}-latency*") if p.is_dir())
    for policy in ["amc", *latency, "uniform"]:
        prune = load(root / f"{model}-{policy}-prune.json")
        if prune is None:
            continue
        ft = load(root / f"{model}-{policy}-ft.json")
        base, pruned = prune["rows"][0], prune["rows"][1]
        reduction = base["macs"] / pruned["macs"]
        t1 = load(root / f"{model}-{policy}-bench-t1.json")
        t2 = load(root / f"{model}-{policy}-bench-t2.json")
        ms1, s1 = timing(t1)
        ms2, s2 = timing(t2)
        ratio = f"{t1['results'][0]['speedup'] / reduction:.2f}" if t1 else ""
        after = f"{100 * ft['testTop1']:.2f}" if ft else "–"
        print(f"| {model} | {names[policy]} | {pruned['macs'] / 1e6:.2f} M | {reduction:.2f}× | "
              f"{pruned['params'] / 1e3:.0f} K | {100 * base['testTop1']:.2f} / {100 * pruned['testTop1']:.2f} / **{after}** | "
              f"{ms1} | {s1} | {ratio} | {ms2} | {s2} |")
