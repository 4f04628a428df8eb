#!/usr/bin/env bash
# Peak memory and time of every command at default settings on ResNet-50 and MobileNetV2 at
# 224x224 (docs/BENCHMARKS.md "Peak memory of every command at 224x224"). Only what must change
# to keep a run short is given: --epochs 1 for train and finetune, --train-images 64 for finetune.
#   /usr/bin/python3 bench/Memory224/make_folder.py /tmp/mem224 --classes 10 --train 20 --test 10
#   /usr/bin/python3 bench/Memory224/make_folder.py /tmp/mem224s --classes 10 --train 7 --test 2 --seed 1
#   AMC_DLL=/tmp/amc-copy/Amc.Cli.dll bench/Memory224/run-all.sh bench/results/memory224/runs.tsv /tmp/m224
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$1"; work="$2"
mkdir -p "$work"
m() { "$here/measure.sh" "$out" "$@"; }
for model in resnet50 mobilenetv2; do
  ck="$work/$model.amc"
  m train --model "$model" --data /tmp/mem224s --image-size 224 --epochs 1 --out "$ck"
done
for model in resnet50 mobilenetv2; do
  ck="$work/$model.amc"
  # Interleaved, so both engines see the same load.
  for _ in 1 2; do
    m eval --checkpoint "$ck" --data /tmp/mem224 --engine ort --json
    m eval --checkpoint "$ck" --data /tmp/mem224 --engine torch --json
  done
  m prune --checkpoint "$ck" --data /tmp/mem224 --uniform 0.5 --reconstruct --out "$work/$model-pruned.amc"
  m finetune --checkpoint "$work/$model-pruned.amc" --data /tmp/mem224 --epochs 1 --train-images 64 --out "$work/$model-ft.amc"
  m export --checkpoint "$ck" --onnx "$work/$model.onnx"
  m bench --checkpoint "$ck"
  m profile --checkpoint "$ck"
  # A batch given explicitly that does not fit the default budget: refused up front.
  m train --model "$model" --data /tmp/mem224s --image-size 224 --epochs 1 --batch-size 128 --out "$work/$model-refused.amc"
done
