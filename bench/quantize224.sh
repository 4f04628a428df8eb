#!/usr/bin/env bash
# Pruning and int8 composed at 224x224 (docs/BENCHMARKS.md, "Int8 quantization"): a checkpoint
# at 224 is pruned uniformly (keep 0.5 of every group, no data needed), and both it and the
# original are quantized (calibrated on the image folder); the four ONNX files are timed against
# the original's in ONNX Runtime, batch 1, at 1 and 2 threads, interleaved. Speed only: the
# checkpoints of bench/Episode224 are trained one epoch on synthetic images.
#   bench/quantize224.sh NAME CHECKPOINT IMAGE_FOLDER [REPEATS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
name="$1"; ck="$2"; images="$3"; repeats="${4:-50}"
amc=(${AMC:-$root/amc})
export OMP_WAIT_POLICY=PASSIVE
res="$root/bench/results/quantize"
tmp="$(mktemp -d)"
mkdir -p "$res"
run() { /usr/bin/time -f "$name $1: %e s, %M KB peak" -a -o "$res/$name-times.txt" "${@:2}"; }
"${amc[@]}" export --checkpoint "$ck" --onnx "$tmp/float.onnx" > /dev/null
run prune "${amc[@]}" prune --checkpoint "$ck" --uniform 0.5 --out "$tmp/pruned.amc" --json > "$res/$name-pruned-prune.json"
"${amc[@]}" export --checkpoint "$tmp/pruned.amc" --onnx "$tmp/pruned.onnx" > /dev/null
run quantize "${amc[@]}" quantize --checkpoint "$ck" --data "$images" --out "$tmp/float-int8.onnx" --calibration-images 128 --repeats "$repeats" --json > "$res/$name-float-int8.json"
run quantize-pruned "${amc[@]}" quantize --checkpoint "$tmp/pruned.amc" --data "$images" --out "$tmp/pruned-int8.onnx" --calibration-images 128 --repeats "$repeats" --json > "$res/$name-pruned-int8.json"
for t in 1 2; do
  for net in float-int8 pruned pruned-int8; do
    "${amc[@]}" bench --onnx "$tmp/$net.onnx" --baseline "$tmp/float.onnx" --engine ort --batch 1 --threads "$t" --repeats "$repeats" --warmup 5 --json > "$res/$name-$net-bench-t$t.json" 2>> "$tmp/bench.err" || { cat "$tmp/bench.err" >&2; exit 1; }
  done
done
rm -rf "$tmp"
echo done
