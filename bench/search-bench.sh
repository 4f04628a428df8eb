#!/usr/bin/env bash
# The search benchmark of docs/BENCHMARKS.md for one base model: AMC (DDPG) and random search,
# 400 episodes each (AMC: 100 warm-up), 50 % MACs, with the uniform / deep / shallow baselines;
# "latency" is AMC under a 50 % latency budget (ONNX Runtime table, 1 thread, batch 1), "latency65"
# under 65 %, "mixed" the joint search of widths and int8 / float per group under a 50 % latency
# budget (of the float network; --mixed-precision), "mixedNN" under NN %. EPISODES (default 400) and
# WARMUP (mixedNN only, default 100) shorten a run.
#   bench/search-bench.sh MODEL [THREADS] [RUNS]   e.g. bench/search-bench.sh resnet20 1 "amc random latency"
# Candidates are scored on 1000 held-out training images (--heldout 1000, a subset of the 5000
# the base model never trained on), BN statistics re-estimated on 250 images and least squares
# sampled from 1000 calibration images, so that one search fits in ~12 minutes on one core.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
model="$1"; threads="${2:-1}"; runs="${3:-amc random}"
ck="$root/bench/models/$model-fmnist.amc"
out="$root/bench/results/search"
mkdir -p "$out"
common=(--checkpoint "$ck" --data fashion-mnist --episodes "${EPISODES:-400}" --round 4 --heldout 1000
        --eval-engine ort --bn-images 250 --calibration-images 1000 --seed 1 --threads "$threads")
export OMP_WAIT_POLICY=PASSIVE
amc=(${AMC:-$root/amc})
for run in $runs; do
  case "$run" in
    amc) args=(--target-macs 0.5 --warmup 100) ;;
    random) args=(--target-macs 0.5 --agent random --no-baselines) ;;
    latency) args=(--target-latency 0.5 --latency-threads 1 --warmup 100) ;;
    mixed) args=(--target-latency 0.5 --mixed-precision --latency-threads 1 --warmup 100) ;;
    mixed[0-9]*) args=(--target-latency "0.${run#mixed}" --mixed-precision --latency-threads 1 --warmup "${WARMUP:-100}") ;;
    latency[0-9]*) args=(--target-latency "0.${run#latency}" --latency-threads 1 --warmup 100) ;;
    *) echo "unknown run $run (amc, random, latency, latencyNN, mixed or mixedNN)" >&2; exit 2 ;;
  esac
  "${amc[@]}" search "${common[@]}" "${args[@]}" --out "$out/$model-$run" > "$out/$model-$run.log" 2>&1
done
