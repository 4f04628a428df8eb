#!/usr/bin/env bash
# Deploy benchmark of docs/BENCHMARKS.md for one base model, after bench/search-bench.sh:
# prune the base with the AMC policy and with the uniform baseline policy (least squares), fine-tune
# both the same way, export to ONNX, and time them against the base in ONNX Runtime (batch 1,
# 1 and 2 threads, interleaved).
#   bench/deploy-bench.sh MODEL [EPOCHS] [THREADS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
model="$1"; epochs="${2:-1}"; threads="${3:-2}"
amc=(${AMC:-$root/amc})
export OMP_WAIT_POLICY=PASSIVE
res="$root/bench/results"
base="$root/bench/models/$model-fmnist.amc"
# The uniform policy the search scored, as a policy file.
/usr/bin/python3 - "$res/$model-amc" <<'PY'
import json, sys
d = sys.argv[1]
policy = json.load(open(f"{d}/best-policy.json"))
uniform = next(r for r in json.load(open(f"{d}/results.json"))["results"] if r["name"] == "uniform")
for g, c in zip(policy["groups"], uniform["channels"]):
    g["channels"] = c
    g["keep"] = round(c / g["of"], 4)
json.dump(policy, open(f"{d}/uniform-policy.json", "w"), indent=2)
PY
for p in amc uniform; do
  policy="$res/$model-amc/best-policy.json"; [ "$p" = uniform ] && policy="$res/$model-amc/uniform-policy.json"
  "${amc[@]}" prune --checkpoint "$base" --policy "$policy" --reconstruct --out "$res/$model-$p.amc" --seed 1 --threads "$threads" --json > "$res/$model-$p-prune.json"
  "${amc[@]}" finetune --checkpoint "$res/$model-$p.amc" --epochs "$epochs" --out "$res/$model-$p-ft.amc" --seed 1 --threads "$threads" --json > "$res/$model-$p-ft.json"
  "${amc[@]}" export --checkpoint "$res/$model-$p-ft.amc" --onnx "$res/$model-$p-ft.onnx" --json > "$res/$model-$p-export.json"
done
for t in 1 2; do
  for p in amc uniform; do
    "${amc[@]}" bench --checkpoint "$res/$model-$p-ft.amc" --baseline "$base" --engine ort --batch 1 --threads "$t" --repeats 300 --json > "$res/$model-$p-bench-t$t.json"
  done
done
echo done
