#!/usr/bin/env bash
# The "pruning only" row at 224x224 next to bench/joint224.sh's (docs/BENCHMARKS.md, "Int8
# quantization"): AMC under 50 % of the float latency (float table, no int8), the best policy
# pruned, fine-tuned one epoch as the joint network was, exported and timed against the fine-tuned
# float network that joint224.sh wrote into the same OUT folder (run that first).
#   bench/pruned224.sh CHECKPOINT FOLDER OUT   e.g. bench/pruned224.sh mobilenetv2.amc images/ /tmp/j224
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ck="$1"; folder="$2"; out="$3"
amc=(${AMC:-$root/amc})
[ -f "$out/float.onnx" ] || { echo "$out/float.onnx is missing: run bench/joint224.sh $ck $folder $out first" >&2; exit 2; }
data=(--data "$folder" --heldout 200)
run() { /usr/bin/time -f "%e s, %M KB peak" -a -o "$out/pruned-times.txt" "$@"; }
run "${amc[@]}" search --checkpoint "$ck" "${data[@]}" --target-latency 0.5 --episodes 60 --warmup 20 \
  --calibration-images 100 --bn-images 50 --latency-threads 1 --confirm-top 0 --seed 1 --out "$out/pruned-search" > "$out/pruned-search.log" 2>&1
run "${amc[@]}" prune --checkpoint "$ck" --policy "$out/pruned-search/best-policy.json" --reconstruct --calibration-images 100 --out "$out/latency-pruned.amc" --seed 1 "${data[@]}" --json > "$out/latency-prune.json"
run "${amc[@]}" finetune --checkpoint "$out/latency-pruned.amc" --epochs 1 --out "$out/latency-tuned.amc" --seed 1 "${data[@]}" --json > "$out/latency-finetune.json"
"${amc[@]}" export --checkpoint "$out/latency-tuned.amc" --onnx "$out/latency-tuned.onnx" > /dev/null
for t in 1 2; do
  "${amc[@]}" bench --onnx "$out/latency-tuned.onnx" --baseline "$out/float.onnx" --engine ort --batch 1 --threads "$t" --repeats 100 --json > "$out/pruned-bench-t$t.json" 2> /dev/null
done
echo done
