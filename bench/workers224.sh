#!/usr/bin/env bash
# 2 Orleans workers vs 1 at 224x224 (docs/BENCHMARKS.md, "Scoring on Orleans workers at 224x224"):
# MobileNetV2 on an image folder, 50 % MACs, K = N, one thread per worker, EPISODES_A and EPISODES_B
# episodes (default 6 and 18, 4 warm-up) for N = 1, 2 interleaved, so the difference over the extra
# episodes cancels start-up and loading. Wall clock and peak memory from /usr/bin/time.
#   bench/workers224.sh CHECKPOINT FOLDER OUT   e.g. bench/workers224.sh mobilenetv2.amc images/ /tmp/w224
# With a fourth argument "user": what a user sees, the search without workers (scoring in process
# on every core) against --workers 2, USER_EPISODES (30) episodes each, interleaved, for each of REPS ("1 2").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ck="$1"; folder="$2"; out="$3"
amc=(${AMC:-$root/amc})
mkdir -p "$out"
export OMP_WAIT_POLICY=PASSIVE
common=(--checkpoint "$ck" --data "$folder" --heldout 200 --calibration-images 100 --bn-images 50
        --target-macs 0.5 --warmup 4 --no-baselines --confirm-top 0 --seed 1 --json)
if [ "${4:-}" = user ]; then
  for rep in ${REPS:-1 2}; do
    for w in 0 2; do
      name="user-w$w-e${USER_EPISODES:-30}-r$rep"
      rm -rf "$out/$name"
      more=(); [ "$w" = 0 ] || more=(--workers "$w")
      /usr/bin/time -f "%e %M" -o "$out/$name.time" "${amc[@]}" search "${common[@]}" --episodes "${USER_EPISODES:-30}" "${more[@]}" \
        --out "$out/$name" > "$out/$name.json" 2> "$out/$name.log"
      echo "$name $(cat "$out/$name.time") load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)" | tee -a "$out/runs.txt"
    done
  done
  exit 0
fi
for rep in 1 2; do
  for e in ${EPISODES_A:-6} ${EPISODES_B:-18}; do
    for w in 1 2; do
      name="w$w-e$e-r$rep"
      rm -rf "$out/$name"
      /usr/bin/time -f "%e %M" -o "$out/$name.time" "${amc[@]}" search "${common[@]}" --threads 1 --episodes "$e" --workers "$w" \
        --out "$out/$name" > "$out/$name.json" 2> "$out/$name.log"
      echo "$name $(cat "$out/$name.time") load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)" | tee -a "$out/runs.txt"
    done
  done
done
