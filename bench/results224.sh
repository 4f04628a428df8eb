#!/usr/bin/env bash
# AMC vs uniform at 50 % MACs on 224x224 networks (issue 11, item 5): for each network, a short
# `amc search --reward fidelity`, `amc prune` of its best policy and of its uniform baseline (the
# same MAC budget), `amc export` of original / AMC / uniform, `amc bench` of AMC and uniform against
# the original in ONNX Runtime at 1 and 2 threads, side by side, in alternating rounds, then `amc
# eval --against` the original before and after a short `amc finetune --distill`. Every command
# runs under /usr/bin/time -v (peak RSS). bench/Results224/collect.py turns the logs into the tables.
#
#   bench/results224.sh WORK NET=CHECKPOINT [NET=CHECKPOINT ...]
#
# WORK gets one folder per network. The data set is $DATA (default /tmp/ep224/images, from
# `bench/Episode224 fixtures`): labelled folders, so top-1 is reported too; the search and the
# distillation use no labels (fidelity reward, --distill with alpha 1). Settings from the
# environment (defaults in brackets): EPISODES [16], WARMUP [8], HELDOUT [200] held-out images the
# search scores on, CALIB [200] calibration images, BN [100] BN images, FT_IMAGES [400] and FT_LR
# [0.01] of the one-epoch distillation, ROUNDS [3] bench rounds of REPEATS [100] runs, SEED [0];
# QUALITY=0 measures speed only: the pruned networks are neither refitted (no least squares, no BN
# re-estimation: their latency does not depend on the weights) nor evaluated nor distilled. A search (search/results.json) or a pruned network (amc.amc, uniform.amc) that
# exists is kept, so a run can be repeated with other distillation settings.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
amc="$root/amc"
work="$1"; shift
DATA="${DATA:-/tmp/ep224/images}"
EPISODES="${EPISODES:-16}"; WARMUP="${WARMUP:-8}"; HELDOUT="${HELDOUT:-200}"; CALIB="${CALIB:-200}"; BN="${BN:-100}"
FT_IMAGES="${FT_IMAGES:-400}"; FT_LR="${FT_LR:-0.01}"; ROUNDS="${ROUNDS:-3}"; REPEATS="${REPEATS:-100}"; SEED="${SEED:-0}"
QUALITY="${QUALITY:-1}"
data=(--data "$DATA" --heldout "$HELDOUT")
refit=(--reconstruct --calibration-images "$CALIB" --bn-images "$BN")
[ "$QUALITY" = 0 ] && refit=(--no-bn-recalibration)

# run NAME CMD...: the command's output in NAME.log, its /usr/bin/time -v report in NAME.time;
# a failure is logged and the rest of the network's steps still run where they can.
run() {
  local name="$1"; shift
  echo "$(date -u +%H:%M:%S) $name (load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$dir/steps.txt"
  /usr/bin/time -v -o "$dir/$name.time" "$@" > "$dir/$name.log" 2>&1 || echo "   $name failed: exit $?" | tee -a "$dir/steps.txt"
}

for spec in "$@"; do
  net="${spec%%=*}"; ckpt="${spec#*=}"
  dir="$work/$net"; mkdir -p "$dir"
  cat >> "$dir/settings.txt" <<EOF
$(date -u '+%F %H:%M UTC'): network $net checkpoint $ckpt data $DATA heldout $HELDOUT
search: --reward fidelity --target-macs 0.5 --episodes $EPISODES --warmup $WARMUP --calibration-images $CALIB --bn-images $BN --confirm-top 0 --threads 2 --seed $SEED
prune: ${refit[*]}
finetune: --distill --epochs 1 --train-images $FT_IMAGES --lr $FT_LR
bench: --engine ort --batch 1 --repeats $REPEATS, $ROUNDS rounds at --threads 1 and 2
quality (evaluations and distillation): $QUALITY
EOF
  [ -f "$dir/search/results.json" ] || run search "$amc" search --checkpoint "$ckpt" "${data[@]}" --reward fidelity --target-macs 0.5 \
    --episodes "$EPISODES" --warmup "$WARMUP" --calibration-images "$CALIB" --bn-images "$BN" \
    --confirm-top 0 --threads 2 --seed "$SEED" --out "$dir/search"
  # The search's uniform baseline (same keep ratio in every group, at the MAC budget) as a policy file.
  /usr/bin/python3 "$root/bench/Results224/uniform_policy.py" "$dir/search" > "$dir/uniform-policy.json"
  run export-original "$amc" export --checkpoint "$ckpt" --onnx "$dir/original.onnx"
  for policy in amc uniform; do
    file="$dir/search/best-policy.json"; [ "$policy" = uniform ] && file="$dir/uniform-policy.json"
    [ -f "$dir/$policy.amc" ] || run "prune-$policy" "$amc" prune --checkpoint "$ckpt" "${data[@]}" --policy "$file" "${refit[@]}" --seed "$SEED" --out "$dir/$policy.amc"
    # Timed as pruned: distillation changes the weights, not the latency.
    run "export-$policy" "$amc" export --checkpoint "$dir/$policy.amc" --onnx "$dir/$policy.onnx"
  done
  for round in $(seq "$ROUNDS"); do
    for threads in 1 2; do
      for policy in amc uniform; do
        run "bench-$policy-t$threads-r$round" "$amc" bench --onnx "$dir/$policy.onnx" --baseline "$dir/original.onnx" \
          --engine ort --threads "$threads" --repeats "$REPEATS" --json
      done
    done
  done
  [ "$QUALITY" = 0 ] && continue
  run eval-original "$amc" eval --checkpoint "$ckpt" "${data[@]}" --split test --json
  for policy in amc uniform; do
    run "eval-$policy" "$amc" eval --checkpoint "$dir/$policy.amc" --against "$ckpt" "${data[@]}" --split test --json
    run "finetune-$policy" "$amc" finetune --checkpoint "$dir/$policy.amc" "${data[@]}" --distill --epochs 1 \
      --train-images "$FT_IMAGES" --lr "$FT_LR" --seed "$SEED" --out "$dir/$policy-ft.amc"
    run "eval-$policy-ft" "$amc" eval --checkpoint "$dir/$policy-ft.amc" --against "$ckpt" "${data[@]}" --split test --json
  done
done
