#!/usr/bin/python3
"""Collects the outputs of bench/results224.sh into results.json, results.csv and results.md.

    /usr/bin/python3 bench/Results224/collect.py WORK OUT_DIR NET [NET ...]

Per network and policy (original, AMC, uniform): MACs, the ONNX Runtime speed-up over the original
at 1 and 2 threads (median over the rounds, of every bench pass, of each round's median-latency
ratio, with min and max),
its ratio to the MAC reduction, agreement and relative error against the original on the test images
before and after distillation, and per network the search's seconds per episode and every command's
peak RSS and wall time."""
import csv
import glob
import json
import os
import re
import statistics
import sys


def time_report(path):
    """Peak RSS (GB, 10^9 bytes) and wall seconds of a /usr/bin/time -v report, or (None, None)."""
    if not os.path.exists(path):
        return None, None
    text = open(path).read()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    seconds = None
    if wall:
        seconds = 0.0
        for part in wall.group(1).split(":"):
            seconds = seconds * 60 + float(part)
    return (int(rss.group(1)) * 1024 / 1e9 if rss else None), seconds


def command_json(path):
    """The --json output of an amc command: one (possibly indented) JSON object after any log lines."""
    if not os.path.exists(path):
        return None
    text = open(path).read()
    start = text.find("{")
    try:
        return json.loads(text[start:]) if start >= 0 else None
    except json.JSONDecodeError:
        return None


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)} if values else None


def network(work, net):
    d = os.path.join(work, net)
    out = {"network": net, "commands": {}}
    for t in sorted(glob.glob(os.path.join(d, "*.time"))):
        name = os.path.basename(t)[:-5]
        rss, wall = time_report(t)
        out["commands"][name] = {"peakRssGb": rss, "wallSeconds": wall}
    episodes = []
    path = os.path.join(d, "search", "episodes.jsonl")
    if os.path.exists(path):
        episodes = [json.loads(l) for l in open(path) if l.strip()]
    searched = episodes  # the baselines and the test pass are not episodes
    out["search"] = {
        "episodes": len(searched),
        "secondsPerEpisode": spread([e["seconds"] for e in searched]),
        "stageSeconds": {k: statistics.median(e["times"][k] for e in searched) for k in (searched[0]["times"] if searched else {})},
    }
    results = json.load(open(os.path.join(d, "search", "results.json"))) if os.path.exists(os.path.join(d, "search", "results.json")) else None
    rows = {r["name"]: r for r in results["results"]} if results else {}
    original_macs = rows.get("original", {}).get("macs")
    policies = []
    for policy, row_name in (("original", "original"), ("amc", None), ("uniform", "uniform")):
        row = rows.get(row_name) if row_name else (results["best"] if results else None)
        p = {"policy": policy, "macs": row["macs"] if row else None,
             "searchRelativeError": row.get("heldOut") if row and row_name else (row or {}).get("relativeError")}
        if policy != "original":
            p["macsFraction"] = p["macs"] / original_macs if p["macs"] and original_macs else None
            p["macReduction"] = 1 / p["macsFraction"] if p["macsFraction"] else None
            for threads in (1, 2):
                speedups = []
                # Rounds of every bench pass: the latest in d, earlier ones moved to d/bench-pass*/.
                for f in sorted(glob.glob(os.path.join(d, f"bench-{policy}-t{threads}-r*.log")) +
                                glob.glob(os.path.join(d, "bench-pass*", f"bench-{policy}-t{threads}-r*.log"))):
                    b = command_json(f)
                    if b:
                        speedups += [r["speedup"] for r in b["results"] if r.get("speedup")]
                s = spread(speedups)
                p[f"speedupT{threads}"] = s
                p[f"ratioT{threads}"] = s["median"] / p["macReduction"] if s and p["macReduction"] else None
            for stage, log in (("before", f"eval-{policy}.log"), ("after", f"eval-{policy}-ft.log")):
                e = command_json(os.path.join(d, log))
                p[stage] = {k: e.get(k) for k in ("top1", "agreement", "relativeError", "images")} if e else None
        else:
            e = command_json(os.path.join(d, "eval-original.log"))
            p["before"] = {"top1": e.get("top1"), "images": e.get("images")} if e else None
        policies.append(p)
    out["policies"] = policies
    return out


def fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "–"


def main():
    work, out_dir, nets = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(out_dir, exist_ok=True)
    data = [network(work, n) for n in nets]
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(data, f, indent=2)
    header = ["network", "policy", "macs", "macs_pct", "speedup_t1_median", "speedup_t1_min", "speedup_t1_max",
              "ratio_t1", "speedup_t2_median", "speedup_t2_min", "speedup_t2_max", "ratio_t2",
              "top1_before", "agreement_before", "relerr_before", "top1_after", "agreement_after", "relerr_after",
              "s_per_episode_median", "search_peak_rss_gb", "max_peak_rss_gb"]
    md = ["| network | policy | MACs % | speed-up @1 thread (min-max) | ratio @1 | speed-up @2 threads (min-max) | ratio @2 | "
          "test top-1 | agreement before → after | relative error before → after | s/episode (min-max) | peak RSS search / max of all |",
          "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    with open(os.path.join(out_dir, "results.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for n in data:
            s = n["search"]["secondsPerEpisode"]
            search_rss = n["commands"].get("search", {}).get("peakRssGb")
            max_rss = max((c["peakRssGb"] for c in n["commands"].values() if c["peakRssGb"]), default=None)
            orig_macs = n["policies"][0]["macs"]
            for p in n["policies"]:
                b, a = p.get("before") or {}, p.get("after") or {}
                t1, t2 = p.get("speedupT1") or {}, p.get("speedupT2") or {}
                pct = 100 * p["macs"] / orig_macs if p["macs"] and orig_macs else None
                w.writerow([n["network"], p["policy"], p["macs"], pct, t1.get("median"), t1.get("min"), t1.get("max"), p.get("ratioT1"),
                            t2.get("median"), t2.get("min"), t2.get("max"), p.get("ratioT2"),
                            b.get("top1"), b.get("agreement"), b.get("relativeError"), a.get("top1"), a.get("agreement"), a.get("relativeError"),
                            s["median"] if s else None, search_rss, max_rss])
                top1 = fmt(100 * b["top1"], ".0f") + " %" if b.get("top1") is not None else "–"
                if a.get("top1") is not None:
                    top1 += f" → {100 * a['top1']:.0f} %"
                speed = lambda t: f"{t['median']:.2f}x ({t['min']:.2f}-{t['max']:.2f})" if t else "–"
                agree = (f"{100 * b['agreement']:.0f} → {fmt(100 * a['agreement'], '.0f') if a.get('agreement') is not None else '–'} %"
                         if b.get("agreement") is not None else "–")
                rel = (f"{b['relativeError']:.3f} → {fmt(a.get('relativeError'), '.3f')}" if b.get("relativeError") is not None else "–")
                first = p["policy"] == "original"
                md.append(f"| {n['network'] if first else ''} | {p['policy']} | {fmt(pct, '.1f')} | {speed(p.get('speedupT1'))} | "
                          f"{fmt(p.get('ratioT1'), '.2f')} | {speed(p.get('speedupT2'))} | {fmt(p.get('ratioT2'), '.2f')} | {top1} | {agree} | {rel} | "
                          + (f"{s['median']:.1f} ({s['min']:.1f}-{s['max']:.1f}) | {fmt(search_rss, '.2f')} / {fmt(max_rss, '.2f')} GB |" if first and s else " | |"))
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
