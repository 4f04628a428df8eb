#!/usr/bin/env bash
# Usage: commands.sh [FOLDER] (default /tmp/mnv1/retime, the folder of the committed run); ROUNDS=2 by default. The JSON files here are its output (ONNX files and configs not kept).
# Timing-only repeat of quantize-bench.sh's last loop for MobileNet-V1: the same architectures (base, int8, int8 all
# layers, pruned to the latency policy, pruned + int8) built from the base without the 1-epoch fine-tune (weights do
# not change ONNX Runtime's latency), timed against the base export, batch 1, 300 interleaved runs, ROUNDS times.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../../.." && pwd)"
amc=$root/amc; m=$root/bench/models/mobilenet-fmnist.amc
pol=$root/bench/results/search/mobilenet-latency/best-policy.json
d=${1:-/tmp/mnv1/retime}; mkdir -p $d; export OMP_WAIT_POLICY=PASSIVE
$amc export --checkpoint $m --onnx $d/base.onnx > /dev/null
$amc export --checkpoint $m --onnx $d/float.onnx > /dev/null
$amc quantize --checkpoint $m --out $d/float-int8.onnx --seed 1 --json > $d/float-int8.json
$amc quantize --checkpoint $m --out $d/float-int8all.onnx --quantize-first-last --seed 1 --json > $d/float-int8all.json
$amc prune --checkpoint $m --policy $pol --reconstruct --out $d/pruned.amc --seed 1 --json > $d/pruned-prune.json
$amc export --checkpoint $d/pruned.amc --onnx $d/pruned.onnx > /dev/null
$amc quantize --checkpoint $d/pruned.amc --out $d/pruned-int8.onnx --seed 1 --json > $d/pruned-int8.json
for r in $(seq 1 ${ROUNDS:-2}); do
  for t in 1 2; do
    for net in float float-int8 float-int8all pruned pruned-int8; do
      $amc bench --onnx $d/$net.onnx --baseline $d/base.onnx --engine ort --batch 1 --threads $t --repeats 300 --json > $d/$net-r$r-t$t.json 2> /dev/null
      echo "round $r t$t $net $(cat /proc/loadavg | cut -d' ' -f1)"
    done
  done
done
