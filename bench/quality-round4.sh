#!/usr/bin/env bash
# Issue 12 (docs/BENCHMARKS.md, "ResNet-20 at 25 % MACs with channels rounded to multiples of 4"):
# the AMC search and random search at equal episodes for each seed given, channels rounded to 4.
#   bench/quality-round4.sh SEED...   e.g. bench/quality-round4.sh 1 3 & bench/quality-round4.sh 2
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
amc=(${AMC:-$root/amc})
out="$root/bench/results/quality/r4"
mkdir -p "$out"
for s in "$@"; do
  for a in ddpg random; do
    extra=(); [ $a = random ] && extra=(--agent random --no-baselines)
    name="r20-m25-r4-$a-s$s"
    "${amc[@]}" search --checkpoint "$root/bench/models/resnet20-fmnist.amc" --data fashion-mnist --target-macs 0.25 --episodes 300 \
      --heldout 1000 --seed "$s" --threads 1 --round 4 "${extra[@]}" --json --out "$out/$name" > "$out/$name.json" 2> "$out/$name.log"
    rm -f "$out/$name/.lock"
    echo "$a s$s done $(date -u +%H:%M:%S)" >> "$out/runs.txt"
  done
done
