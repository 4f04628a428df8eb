#!/usr/bin/env bash
# Issue 14's comparison at 224x224 with accuracy that means something: a network trained at 224 on
# real images (e.g. Fashion-MNIST written as image folders by bench/idx_to_folders.py and upscaled
# by --image-size 224 --squash at training), then, side by side (bench/quantize-bench.sh's rows):
# float, int8, pruning only (a 50 % latency search), pruned + int8, and the joint search
# (widths and int8 / float per group under JOINT_TARGET of the float latency), each after the
# same short fine-tune (one epoch on 3000 training images, without augmentation: with random-resized
# crops of upscaled 28x28 images one epoch took the float network from 85 to 79 %), timed against
# the base in ONNX Runtime at 1 and 2 threads.
#   bench/accuracy224.sh CHECKPOINT FOLDER OUT      (EPISODES, WARMUP, JOINT_TARGET: 40, 15, 0.3;
#   FT_EPOCHS, FT_ARGS: the fine-tune, 1 and "--train-images 3000 --no-augment")
# The checkpoint must have been trained with --heldout 1000 (the searches score on 400 of those
# 1000 images, the fine-tunes keep all 1000 out).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ck="$1"; folder="$2"; out="$3"
amc=(${AMC:-$root/amc})
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$out"
search=(search --checkpoint "$ck" --data "$folder" --heldout 400 --calibration-images 300 --bn-images 100
        --episodes "${EPISODES:-40}" --warmup "${WARMUP:-15}" --latency-threads 1 --seed 1)
run() { /usr/bin/time -f "%e s, %M KB peak" -a -o "$out/times.txt" "$@"; }
# A search already in OUT is kept (delete its folder to search again).
[ -f "$out/search-latency/best-policy.json" ] ||
  run "${amc[@]}" "${search[@]}" --target-latency 0.5 --out "$out/search-latency" > "$out/search-latency.log" 2>&1
[ -f "$out/search-joint/best-policy.json" ] ||
  run "${amc[@]}" "${search[@]}" --target-latency "${JOINT_TARGET:-0.3}" --mixed-precision --out "$out/search-joint" > "$out/search-joint.log" 2>&1
BASE="$ck" RES="$out" LATENCY_POLICY="$out/search-latency/best-policy.json" JOINT_POLICY="$out/search-joint/best-policy.json" \
  ARGS="--data $folder --heldout 1000" FT_ARGS="${FT_ARGS:---train-images 3000 --no-augment}" PRUNE_ARGS="--calibration-images 300 --bn-images 200" \
  REPEATS=100 AMC="${amc[*]}" "$root/bench/quantize-bench.sh" m224 "${FT_EPOCHS:-1}"
RES="$out" python3 "$root/bench/collect_quantize_results.py" m224 | tee "$out/table.md"
