#!/usr/bin/env bash
# The search benchmark of docs/BENCHMARKS.md for one base model: AMC (DDPG) and random search,
# 400 episodes each (AMC: 100 warm-up), 50 % MACs, with the uniform / deep / shallow baselines.
#   bench/search-bench.sh MODEL [THREADS]     e.g. bench/search-bench.sh resnet20 1
# Candidates are scored on 1000 held-out training images (--heldout 1000, a subset of the 5000
# the base model never trained on), BN statistics re-estimated on 250 images and least squares
# sampled from 1000 calibration images, so that one search fits in ~12 minutes on one core.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
model="$1"; threads="${2:-1}"
ck="$root/bench/models/$model-fmnist.amc"
out="$root/bench/results"
mkdir -p "$out"
common=(--checkpoint "$ck" --data fashion-mnist --target-macs 0.5 --episodes 400 --round 4 --heldout 1000
        --eval-engine ort --bn-images 250 --calibration-images 1000 --seed 1 --threads "$threads")
export OMP_WAIT_POLICY=PASSIVE
amc=(${AMC:-$root/amc})
"${amc[@]}" search "${common[@]}" --warmup 100 --out "$out/$model-amc" > "$out/$model-amc.log" 2>&1
"${amc[@]}" search "${common[@]}" --agent random --no-baselines --out "$out/$model-random" > "$out/$model-random.log" 2>&1
