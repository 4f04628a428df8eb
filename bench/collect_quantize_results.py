#!/usr/bin/env python3
"""Markdown tables of bench/results/quantize (bench/quantize-bench.sh, bench/quantize224.sh)."""
import json, os, sys

res = os.environ.get("RES") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "quantize")

def load(name):
    path = os.path.join(res, name)
    return json.load(open(path)) if os.path.exists(path) and os.path.getsize(path) > 0 else None

def speedup(prefix, net, t):
    d = load(f"{prefix}-{net}-bench-t{t}.json")
    if d is None:
        return "n/a"
    r = next(x for x in d["results"] if x["role"] == "network")
    b = next(x for x in d["results"] if x["role"] == "baseline")
    return f"{r['speedup']:.2f}x ({r['latency']['median']:.3f} vs {b['latency']['median']:.3f} ms)"

def pct(x):
    return "n/a" if x is None else f"{100 * x:.2f}"

for model in sys.argv[1:] or ["resnet20"]:
    if load(f"{model}-float-int8.json") is None:
        continue
    print(f"\n{model}\n")
    print("| network | test top-1 | agreement with its float network | speed-up @1 thread | speed-up @2 threads |")
    print("|---|---:|---:|---:|---:|")
    rows = [("float (fine-tuned)", "float", "float-ft", None), ("int8 (first/last float)", "float-int8", None, "float-int8"),
            ("int8 (all layers)", "float-int8all", None, "float-int8all"), ("pruned (AMC, 50 % latency)", "pruned", "pruned-ft", None),
            ("pruned + int8", "pruned-int8", None, "pruned-int8"), ("pruned uniform 0.5", "pruned", None, None),
            ("joint search (widths and int8 / float per group, 50 % latency)", "joint-int8", None, "joint-int8")]
    for label, net, ft, q in rows:
        if load(f"{model}-{net}-bench-t1.json") is None:
            continue
        if label.startswith("pruned uniform") and load(f"{model}-pruned-ft.json") is not None:
            continue
        if label.startswith("pruned (AMC") and load(f"{model}-pruned-ft.json") is None:
            continue
        top1, agree = None, None
        if ft and load(f"{model}-{ft}.json"):
            top1 = load(f"{model}-{ft}.json").get("testTop1")
        if q and load(f"{model}-{q}.json"):
            d = load(f"{model}-{q}.json")
            top1, agree = d["int8"]["top1"], d["int8"]["agreement"]
        print(f"| {label} | {pct(top1)} | {pct(agree)} | {speedup(model, net, 1)} | {speedup(model, net, 2)} |")
