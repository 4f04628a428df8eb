#!/usr/bin/env bash
# Issue 12: the AMC search and random search at equal episodes, 25 % MACs, 300 episodes, one
# thread, for each seed given (docs/BENCHMARKS.md, "Result quality (issue 12)").
#   bench/quality-searches.sh MODEL ROUND OUT-FOLDER SEED...
#   e.g. bench/quality-searches.sh plain20 8 bench/results/quality/p20-r8 1 3 & bench/quality-searches.sh plain20 8 bench/results/quality/p20-r8 2
# MODEL: a checkpoint in bench/models (<MODEL>-fmnist.amc); ROUND: --round. Runs are named
# <PREFIX, default MODEL>-<TAG, default m25>-r<ROUND>-<ddpg|random>-s<SEED> (folder, .json result, .log).
# EPISODES (default 300) sets the search length.
# BUDGET (default "--target-macs 0.25") sets the budget, e.g. BUDGET="--target-latency 0.5 --latency-threads 1" TAG=l50.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
amc=(${AMC:-$root/amc})
model=$1 round=$2 out=$3; shift 3
mkdir -p "$out"
for s in "$@"; do
  for a in ddpg random; do
    extra=(); [ $a = random ] && extra=(--agent random --no-baselines)
    name="${PREFIX:-$model}-${TAG:-m25}-r$round-$a-s$s"
    "${amc[@]}" search --checkpoint "$root/bench/models/$model-fmnist.amc" --data fashion-mnist ${BUDGET:---target-macs 0.25} --episodes "${EPISODES:-300}" \
      --heldout 1000 --seed "$s" --threads 1 --round "$round" "${extra[@]}" --json --out "$out/$name" > "$out/$name.json" 2> "$out/$name.log"
    rm -f "$out/$name/.lock"
    echo "$a s$s done $(date -u +%H:%M:%S)" >> "$out/runs.txt"
  done
done
