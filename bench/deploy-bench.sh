#!/usr/bin/env bash
# Deploy benchmark of docs/BENCHMARKS.md for one base model, after bench/search-bench.sh:
#   prepare: prune the base with each searched policy (bench/results/search/MODEL-amc: MAC budget,
#            MODEL-latency*: latency budgets, if present) and with the uniform baseline policy the
#            MAC search scored (least squares), fine-tune each the same way, export to ONNX.
#   time:    time each fine-tuned net against the base in ONNX Runtime (batch 1, 1 and 2 threads,
#            interleaved). Run it on a quiet machine; prepare may share the cores.
#   bench/deploy-bench.sh MODEL prepare|time [EPOCHS] [THREADS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
model="$1"; phase="$2"; epochs="${3:-1}"; threads="${4:-2}"
amc=(${AMC:-$root/amc})
export OMP_WAIT_POLICY=PASSIVE
res="$root/bench/results/deploy"
search="$root/bench/results/search"
mkdir -p "$res"
base="$root/bench/models/$model-fmnist.amc"
policies=(amc uniform)
for d in "$search/$model"-latency*/; do
  [ -f "$d/best-policy.json" ] && policies+=("$(basename "$d" | sed "s/^$model-//")")
done

if [ "$phase" = prepare ]; then
  # The uniform policy the MAC search scored, as a policy file.
  /usr/bin/python3 - "$search/$model-amc" <<'PY'
import json, sys
d = sys.argv[1]
policy = json.load(open(f"{d}/best-policy.json"))
uniform = next(r for r in json.load(open(f"{d}/results.json"))["results"] if r["name"] == "uniform")
for g, c in zip(policy["groups"], uniform["channels"]):
    g["channels"] = c
    g["keep"] = round(c / g["of"], 4)
json.dump(policy, open(f"{d}/uniform-policy.json", "w"), indent=2)
PY
  for p in "${policies[@]}"; do
    [ -f "$res/$model-$p-export.json" ] && continue  # prepared by an earlier run
    case "$p" in
      amc) policy="$search/$model-amc/best-policy.json" ;;
      uniform) policy="$search/$model-amc/uniform-policy.json" ;;
      latency*) policy="$search/$model-$p/best-policy.json" ;;
    esac
    "${amc[@]}" prune --checkpoint "$base" --policy "$policy" --reconstruct --out "$res/$model-$p.amc" --seed 1 --threads "$threads" --json > "$res/$model-$p-prune.json"
    "${amc[@]}" finetune --checkpoint "$res/$model-$p.amc" --epochs "$epochs" --out "$res/$model-$p-ft.amc" --seed 1 --threads "$threads" --json > "$res/$model-$p-ft.json"
    "${amc[@]}" export --checkpoint "$res/$model-$p-ft.amc" --onnx "$res/$model-$p-ft.onnx" --json > "$res/$model-$p-export.json"
  done
elif [ "$phase" = time ]; then
  for t in 1 2; do
    for p in "${policies[@]}"; do
      "${amc[@]}" bench --checkpoint "$res/$model-$p-ft.amc" --baseline "$base" --engine ort --batch 1 --threads "$t" --repeats 300 --json > "$res/$model-$p-bench-t$t.json"
    done
  done
else
  echo "usage: bench/deploy-bench.sh MODEL prepare|time [EPOCHS] [THREADS]" >&2; exit 2
fi
echo done
