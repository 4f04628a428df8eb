#!/usr/bin/env bash
# Issue 12 at 224x224: AMC against random search at equal episodes and the hand-crafted policies,
# 25 % MACs, on a network trained at 224 (docs/BENCHMARKS.md, "A network where 4x hurts").
# Per seed, the DDPG search and the random search (one thread each), then the same short
# fine-tune of every policy (bench/quality-finetune.sh: prune with least squares, one epoch on 1000
# images without augmentation), JOBS at a time. bench/quality224.py makes the tables.
#   bench/quality224.sh CHECKPOINT DATA OUT SEED...
# AMC_CLI: the built CLI (default src/Amc.Cli/bin/Release/net10.0/Amc.Cli.dll); EPISODES [150], WARMUP [50];
# HELDOUT: the scoring images [500] (1000 on a base trained with --heldout 1000); JOBS: commands at a time [2];
# DDPG_ARGS: more options for the DDPG searches only (e.g. --td3).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ck=$1 data=$2 out=$3; shift 3
export AMC_CLI="${AMC_CLI:-$root/src/Amc.Cli/bin/Release/net10.0/Amc.Cli.dll}"
mkdir -p "$out"
export CK="$ck" DATA="$data" OUT="$out" HELDOUT="${HELDOUT:-500}"
# Every search of every seed, JOBS at a time (one thread each); a search whose results.json exists
# is kept, so a folder can be extended with more seeds or with the random searches alone.
for s in "$@"; do echo "ddpg $s"; echo "random $s"; done | while read -r agent s; do
  [ -f "$out/$agent$s/results.json" ] || echo "$agent $s"
done | xargs -P "${JOBS:-2}" -L 1 bash -c '
  agent=$0 s=$1
  extra=(${DDPG_ARGS:-}); [ "$agent" = random ] && extra=(--agent random --no-baselines)
  /usr/bin/time -v -o "$OUT/$agent$s.time" dotnet "$AMC_CLI" search --checkpoint "$CK" --data "$DATA" --target-macs 0.25 \
    --episodes "${EPISODES:-150}" --warmup "${WARMUP:-50}" --heldout "$HELDOUT" --calibration-images 500 --bn-images 100 \
    --threads 1 --seed "$s" "${extra[@]}" --out "$OUT/$agent$s" > "$OUT/$agent$s.log" 2> "$OUT/$agent$s.err"'
export FT_IMAGES=1000
export PRUNE_ARGS="--data $data --heldout $HELDOUT --calibration-images 500 --bn-images 100"
# The base was trained without augmentation: one epoch with it (random-resized crops) cost the
# AMC policy 2 points (77.35 -> 75.25 % on seed 1), so the fine-tune follows its recipe.
export FT_ARGS="--data $data --heldout $HELDOUT --bn-images 100 --no-augment"
for s in "$@"; do
  echo "$out/ddpg$s best $s $out/ft/ddpg"
  echo "$out/random$s best $s $out/ft/random"
  for b in uniform shallow deep; do echo "$out/ddpg$s $b $s $out/ft/base"; done
done | xargs -P "${JOBS:-2}" -L 1 bash -c 'bash "$0/bench/quality-finetune.sh" "$1" "$3" "$4" "$5" "$6" >> "$2/ft.out" 2>&1' "$root" "$ck" "$out"
