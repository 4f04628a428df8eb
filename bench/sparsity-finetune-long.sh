#!/usr/bin/env bash
# A longer fine-tune of a sparsity policy that bench/sparsity-finetune.sh already pruned and
# fine-tuned briefly (docs/BENCHMARKS.md, "Fine-grained pruning under a parameter budget"): the
# same prune, then EPOCHS (default 5) epochs on every training image, then the sparse export.
#   bench/sparsity-finetune-long.sh CHECKPOINT POLICY SEED OUT-PREFIX   e.g.
#   bench/sparsity-finetune-long.sh bench/models/resnet20-fmnist.amc \
#       bench/results/sparsity/finetune/resnet20-b0.2-s1-best-policy.json 1 bench/results/sparsity/finetune-long/s1-best-e5
set -euo pipefail
ck=$1 policy=$2 seed=$3 out=$4
epochs="${EPOCHS:-5}"
amc=(${AMC:-$(dirname "$0")/../amc})
mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${amc[@]}" prune --checkpoint "$ck" --data fashion-mnist --policy "$policy" --heldout 1000 --bn-images 250 --seed "$seed" --threads 1 \
    --out "$tmp/pruned.amc" --json > "$out-prune.json"
"${amc[@]}" finetune --checkpoint "$tmp/pruned.amc" --data fashion-mnist --epochs "$epochs" --seed "$seed" --threads 1 \
    --out "$tmp/ft.amc" --json > "$out-finetune.json"
"${amc[@]}" export --checkpoint "$tmp/ft.amc" --onnx "$tmp/ft.onnx" --sparse --json > "$out-export.json"
