#!/usr/bin/env python3
"""Tables of bench/quality_confirm.sh's results: per seed, the search's own choice (its best
held-out score) on the validation images, and the top-K policy chosen on them with its test top-1,
beside uniform's validation and test top-1.

    bench/quality_confirm_table.py CONFIRM-FOLDER PREFIX SEEDS UNIFORM-FOLDER [SEARCH-FOLDER]
CONFIRM-FOLDER/PREFIX{agent}{seed}/ are quality_confirm.sh's outputs (agent: ddpg, random);
UNIFORM-FOLDER/uniform-s{seed}-validation.json and -prune.json are uniform's prunes on the
validation and the test images (test: the quality-finetune.sh prune of the same seed).
SEARCH-FOLDER/{agent}{seed}/results.json: the searches, for their own choice's test top-1.
"""
import glob, json, os, statistics, sys

folder, prefix, seeds, uniform = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3].split(",")], sys.argv[4]
searches = sys.argv[5] if len(sys.argv) > 5 else None


def own_test(agent, seed):
    path = os.path.join(searches, f"{agent}{seed}", "results.json")
    if not os.path.exists(path): return None
    rows = json.load(open(path))["results"]
    return 100 * next(r for r in rows if r["name"] not in ("original", "uniform", "deep", "shallow"))["testTop1"]


def top1(path):
    return 100 * json.load(open(path))["rows"][1]["testTop1"]


def top1_if_scored(path):
    return top1(path) if os.path.exists(path) and os.path.getsize(path) > 0 else None


def row(name, values):
    cells = " / ".join("–" if v is None else f"{v:.2f}" for v in values)
    known = [v for v in values if v is not None]
    mean = f"{statistics.mean(known):.2f}" if known else "–"
    return f"| {name} | {cells} | {mean} |"


rows = {}
for agent in ("ddpg", "random"):
    own_val, chosen_test = [], []
    for s in seeds:
        d = os.path.join(folder, f"{prefix}{agent}{s}")
        vals = {p: v for p in glob.glob(os.path.join(d, "top*-validation.json")) if (v := top1_if_scored(p)) is not None}
        own_val.append(vals.get(os.path.join(d, "top1-validation.json")))
        best = max(sorted(vals), key=lambda p: vals[p]) if vals else None
        chosen_test.append(top1_if_scored(best.replace("-validation.json", "-test.json")) if best else None)
    rows[agent] = (own_val, chosen_test)

print(f"| policy, seeds {' / '.join(map(str, seeds))} | top-1 (%) | mean |")
print("|---|---|---:|")
if searches:
    print(row("AMC (its best held-out score), test", [own_test("ddpg", s) for s in seeds]))
    print(row("random search (its best), test", [own_test("random", s) for s in seeds]))
    print(row("uniform, test", [top1_if_scored(f"{uniform}/uniform-s{s}-prune.json") for s in seeds]))
print(row("AMC (its best held-out score), validation", rows["ddpg"][0]))
print(row("random search (its best), validation", rows["random"][0]))
print(row("uniform, validation", [top1_if_scored(f"{uniform}/uniform-s{s}-validation.json") for s in seeds]))
print(row("AMC, top 5 re-chosen on validation: test", rows["ddpg"][1]))
print(row("random search, top 5 re-chosen on validation: test", rows["random"][1]))
