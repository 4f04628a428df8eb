#!/usr/bin/env bash
# Pruning, int8 and both, side by side (docs/BENCHMARKS.md, "Int8 quantization"), for a base
# model of bench/models and the policy of its 50 % latency search (bench/search-bench.sh MODEL 1 latency):
#   float      the base fine-tuned EPOCHS more (the same short fine-tune every row gets)
#   int8       that, quantized: all layers, and first/last kept in float (amc quantize's default)
#   pruned     the base pruned to the latency policy (least squares), fine-tuned EPOCHS
#   pruned+int8  that, quantized (first/last float)
#   joint      when bench/search-bench.sh MODEL 1 mixed (or JOINT=mixedNN) has run: the base pruned to the joint search's
#              widths, fine-tuned EPOCHS, quantized with its precisions (amc quantize --policy)
# Every ONNX file is then timed against the base's in ONNX Runtime (batch 1, 1 and 2 threads, interleaved).
#   bench/quantize-bench.sh MODEL [EPOCHS]
# For another base (e.g. a 224x224 network on an image folder, bench/accuracy224.sh): BASE, RES (the
# results folder), LATENCY_POLICY and JOINT_POLICY (the two policies), ARGS (options every finetune,
# prune and quantize gets, e.g. "--data FOLDER --heldout 1000"), FT_ARGS (finetune only, e.g.
# "--train-images 2000"), PRUNE_ARGS (prune only, e.g. "--calibration-images 500"), REPEATS (300).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
model="$1"; epochs="${2:-1}"
amc=(${AMC:-$root/amc})
export OMP_WAIT_POLICY=PASSIVE
res="${RES:-$root/bench/results/quantize}"
args=(${ARGS:-}) ft_args=(${FT_ARGS:-}) prune_args=(${PRUNE_ARGS:-})
mkdir -p "$res"
base="${BASE:-$root/bench/models/$model-fmnist.amc}"
policy="${LATENCY_POLICY:-$root/bench/results/search/$model-latency/best-policy.json}"
run() { /usr/bin/time -f "%e s, %M KB peak" -a -o "$res/$model-times.txt" "$@"; }

"${amc[@]}" export --checkpoint "$base" --onnx "$res/$model-base.onnx" > /dev/null
run "${amc[@]}" finetune --checkpoint "$base" --epochs "$epochs" --out "$res/$model-float-ft.amc" --seed 1 "${args[@]}" "${ft_args[@]}" --json > "$res/$model-float-ft.json"
run "${amc[@]}" prune --checkpoint "$base" --policy "$policy" --reconstruct --out "$res/$model-pruned.amc" --seed 1 "${args[@]}" "${prune_args[@]}" --json > "$res/$model-pruned-prune.json"
run "${amc[@]}" finetune --checkpoint "$res/$model-pruned.amc" --epochs "$epochs" --out "$res/$model-pruned-ft.amc" --seed 1 "${args[@]}" "${ft_args[@]}" --json > "$res/$model-pruned-ft.json"
for net in float pruned; do
  "${amc[@]}" export --checkpoint "$res/$model-$net-ft.amc" --onnx "$res/$model-$net.onnx" > /dev/null
  run "${amc[@]}" quantize --checkpoint "$res/$model-$net-ft.amc" --out "$res/$model-$net-int8.onnx" --seed 1 "${args[@]}" --json > "$res/$model-$net-int8.json"
done
run "${amc[@]}" quantize --checkpoint "$res/$model-float-ft.amc" --out "$res/$model-float-int8all.onnx" --quantize-first-last --seed 1 "${args[@]}" --json > "$res/$model-float-int8all.json"
nets=(float float-int8 float-int8all pruned pruned-int8)
joint="${JOINT_POLICY:-$root/bench/results/search/$model-${JOINT:-mixed}/best-policy.json}"
if [ -f "$joint" ]; then
  run "${amc[@]}" prune --checkpoint "$base" --policy "$joint" --reconstruct --out "$res/$model-joint.amc" --seed 1 "${args[@]}" "${prune_args[@]}" --json > "$res/$model-joint-prune.json"
  run "${amc[@]}" finetune --checkpoint "$res/$model-joint.amc" --epochs "$epochs" --out "$res/$model-joint-ft.amc" --seed 1 "${args[@]}" "${ft_args[@]}" --json > "$res/$model-joint-ft.json"
  run "${amc[@]}" quantize --checkpoint "$res/$model-joint-ft.amc" --policy "$joint" --out "$res/$model-joint-int8.onnx" --seed 1 "${args[@]}" --json > "$res/$model-joint-int8.json"
  nets+=(joint-int8)
fi

for t in 1 2; do
  for net in "${nets[@]}"; do
    "${amc[@]}" bench --onnx "$res/$model-$net.onnx" --baseline "$res/$model-base.onnx" --engine ort --batch 1 --threads "$t" --repeats "${REPEATS:-300}" --json > "$res/$model-$net-bench-t$t.json" 2> /dev/null
  done
done
rm -f "$res"/$model-*.amc "$res"/$model-*.onnx "$res"/$model-*.optim "$res"/$model-*.config.json
echo done
