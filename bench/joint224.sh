#!/usr/bin/env bash
# The joint search at 224x224 (docs/BENCHMARKS.md, "The joint search at 224"): widths and int8 /
# float per group under 25 % of the float network's latency, then the best policy pruned,
# fine-tuned one epoch and quantized with its precisions, next to the float network fine-tuned the
# same way and quantized whole (int8 alone); both timed against the fine-tuned float network.
#   bench/joint224.sh CHECKPOINT FOLDER OUT   e.g. bench/joint224.sh mobilenetv2.amc images/ /tmp/j224
# Latency tables are cached per machine: measure them on a quiet machine (delete the cached files,
# ~/.cache/amc/latency, if they were measured under load; the search's end-to-end check shows it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ck="$1"; folder="$2"; out="$3"
amc=(${AMC:-$root/amc})
mkdir -p "$out"
data=(--data "$folder" --heldout 200)
run() { /usr/bin/time -f "%e s, %M KB peak" -a -o "$out/times.txt" "$@"; }
run "${amc[@]}" search --checkpoint "$ck" "${data[@]}" --mixed-precision --target-latency 0.25 --episodes 60 --warmup 20 \
  --calibration-images 100 --bn-images 50 --latency-threads 1 --confirm-top 0 --seed 1 --out "$out/search" > "$out/search.log" 2>&1
policy="$out/search/best-policy.json"
run "${amc[@]}" prune --checkpoint "$ck" --policy "$policy" --reconstruct --calibration-images 100 --out "$out/pruned.amc" --seed 1 "${data[@]}" --json > "$out/prune.json"
run "${amc[@]}" finetune --checkpoint "$out/pruned.amc" --epochs 1 --out "$out/tuned.amc" --seed 1 "${data[@]}" --json > "$out/finetune.json"
run "${amc[@]}" finetune --checkpoint "$ck" --epochs 1 --out "$out/float-tuned.amc" --seed 1 "${data[@]}" --json > "$out/float-finetune.json"
run "${amc[@]}" quantize --checkpoint "$out/tuned.amc" --policy "$policy" --out "$out/joint.int8.onnx" --calibration-images 128 --seed 1 "${data[@]}" --json > "$out/joint-quantize.json"
run "${amc[@]}" quantize --checkpoint "$out/float-tuned.amc" --out "$out/float.int8.onnx" --calibration-images 128 --seed 1 "${data[@]}" --json > "$out/float-quantize.json"
"${amc[@]}" export --checkpoint "$out/float-tuned.amc" --onnx "$out/float.onnx" > /dev/null
for t in 1 2; do
  for n in joint float; do
    "${amc[@]}" bench --onnx "$out/$n.int8.onnx" --baseline "$out/float.onnx" --engine ort --batch 1 --threads "$t" --repeats 100 --json > "$out/$n-int8-bench-t$t.json" 2> /dev/null
  done
done
echo done
