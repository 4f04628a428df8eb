"""How much room above uniform a 224x224 search had (issue 12, docs/BENCHMARKS.md "The room above uniform").

At 224 each seed draws its own calibration and BN images, so scores are comparable within a seed
only: per seed, the best held-out top-1 of every episode within the 25 % MAC budget (DDPG and
random search together) against uniform's and shallow's held-out top-1 in the same search, and how
many distinct policies scored above uniform.

usage: python3 bench/quality224_ceiling.py FOLDER SEED...   (FOLDER holds ddpg<S>/ and random<S>/)
"""
import json
import statistics
import sys

folder, seeds = sys.argv[1], sys.argv[2:]


def episodes(path):
    try:
        return [json.loads(line) for line in open(path + "/episodes.jsonl")]
    except FileNotFoundError:
        return []


print("| seed | uniform | shallow | best of DDPG | best of random search | best minus uniform | policies above uniform | AMC's choice, held-out → test |")
print("|---|---:|---:|---:|---:|---:|---:|---|")
gaps = []
for s in seeds:
    results = {r["name"].split(" ")[0]: r for r in json.load(open(f"{folder}/ddpg{s}/results.json"))["results"]}
    best = {}
    for agent in ("ddpg", "random"):
        within = [e for e in episodes(f"{folder}/{agent}{s}") if e["macsFraction"] <= 0.25 + 1e-9 and e["top1"] is not None]
        best[agent] = max((e["top1"] for e in within), default=None)
        best.setdefault("all", {})
        for e in within:
            key = tuple(e["channels"])
            best["all"][key] = max(best["all"].get(key, 0), e["top1"])
    uniform, shallow, amc = results["uniform"]["heldOut"], results["shallow"]["heldOut"], results["AMC"]
    top = max(best["all"].values())
    gaps.append(top - uniform)
    above = sum(v > uniform for v in best["all"].values())
    rnd = "–" if best["random"] is None else f"{100 * best['random']:.1f}"
    print(f"| {s} | {100 * uniform:.1f} | {100 * shallow:.1f} | {100 * best['ddpg']:.1f} | {rnd} | {100 * (top - uniform):+.1f} | "
          f"{above} of {len(best['all'])} | {100 * amc['heldOut']:.1f} → {100 * amc['testTop1']:.2f} |")
print(f"\nbest minus uniform, mean over seeds: {100 * statistics.mean(gaps):+.2f} points")
