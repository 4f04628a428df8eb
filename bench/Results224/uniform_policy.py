#!/usr/bin/python3
"""Prints the uniform baseline of an `amc search` output folder as a policy file for `amc prune
--policy`: the group names of its best-policy.json with the channels of results.json's "uniform"
row (the search sized that keep ratio to its budget).

    /usr/bin/python3 bench/Results224/uniform_policy.py SEARCH_DIR > uniform-policy.json"""
import json
import os
import sys

folder = sys.argv[1]
with open(os.path.join(folder, "best-policy.json")) as f:
    best = json.load(f)
with open(os.path.join(folder, "results.json")) as f:
    uniform = next(r for r in json.load(f)["results"] if r["name"] == "uniform")
groups = best["groups"]
if len(groups) != len(uniform["channels"]):
    sys.exit(f"{folder}: {len(groups)} groups in best-policy.json, {len(uniform['channels'])} uniform channels")
json.dump({"model": best["model"], "round": best["round"],
           "groups": [{"name": g["name"], "channels": c, "of": g["of"]} for g, c in zip(groups, uniform["channels"])]},
          sys.stdout, indent=2)
print()
