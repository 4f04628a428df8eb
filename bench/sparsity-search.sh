#!/usr/bin/env bash
# The sparsity search of docs/BENCHMARKS.md "Fine-grained pruning under a parameter budget":
# AMC (DDPG) choosing each conv/linear layer's sparsity under a 20 % non-zero parameter budget
# (--mode sparsity), 400 episodes (100 warm-up), with the uniform sparsity of the same budget
# scored the same way (magnitude masks, BN re-estimated on 250 images, 1000 held-out images).
#   bench/sparsity-search.sh MODEL SEED [THREADS] [BUDGET]   e.g. bench/sparsity-search.sh resnet20 1
# Then bench/sparsity-finetune.sh fine-tunes its best and uniform policies.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
model="$1"; seed="$2"; threads="${3:-1}"; budget="${4:-0.2}"
ck="$root/bench/models/$model-fmnist.amc"
out="$root/bench/results/sparsity"
mkdir -p "$out"
export OMP_WAIT_POLICY=PASSIVE
amc=(${AMC:-$root/amc})
name="$model-b$budget-s$seed"
"${amc[@]}" search --checkpoint "$ck" --data fashion-mnist --mode sparsity --target-params "$budget" --episodes 400 --warmup 100 \
    --heldout 1000 --eval-engine ort --bn-images 250 --seed "$seed" --threads "$threads" --out "$out/$name" > "$out/$name.log" 2>&1
