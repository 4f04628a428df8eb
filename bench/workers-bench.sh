#!/usr/bin/env bash
# ResNet-20 (bench/models/resnet20-fmnist.amc, the Fashion-MNIST subset) scored on Orleans workers,
# for docs/BENCHMARKS.md "Scoring on Orleans workers":
#   overhead  --workers 1, K = 1, 24 episodes: per episode, the log's seconds minus the agent's
#             seconds and the worker's own scoring time (stages) is what the round trip costs
#   speed     --workers 1 and 2 (K = N), 12 and 36 episodes, interleaved: the wall clock per
#             episode is the difference over the 24 extra episodes, so start-up and loading cancel
#   quality   best policy after 48 episodes (16 warm-up), K = 4 (what --workers 4 gives: tested
#             equal, episode by episode) vs K = 1, seeds 1 and 2, in one process
#             (QUALITY_EPISODES, QUALITY_WARMUP and SEEDS override 48, 16 and "1 2")
#   user      what a user sees: the README's search without workers (default threads, scoring in
#             process) against --workers 2 (run last: it changes the common options), USER_EPISODES (100) episodes of which a quarter warm-up, twice each,
#             interleaved, whole command under /usr/bin/time
#   bench/workers-bench.sh [PARTS]   e.g. bench/workers-bench.sh "overhead speed quality"
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
parts="${1:-overhead speed quality}"
out="$root/bench/results/workers"
mkdir -p "$out"
amc=(${AMC:-$root/amc})
common=(--checkpoint "$root/bench/models/resnet20-fmnist.amc" --data fashion-mnist-subset --no-baselines --confirm-top 0 --threads 1 --json)
export OMP_WAIT_POLICY=PASSIVE
run() { # name, args...: runs a search into $out/name, appends "name wall-seconds load" to $out/runs.txt
  local name="$1"; shift
  rm -rf "$out/$name"
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v "${amc[@]}" search "${common[@]}" "$@" --out "$out/$name" > "$out/$name.json" 2> "$out/$name.log"
  rm -f "$out/$name/.lock"
  end=$(date +%s.%N)
  echo "$name $(echo "$end - $start" | bc) load $(cut -d' ' -f1-3 /proc/loadavg) $(date -u +%H:%M:%S)" | tee -a "$out/runs.txt"
}
for part in $parts; do
  case "$part" in
    overhead) run overhead-w1-k1 --episodes 24 --warmup 8 --workers 1 --rollouts-per-round 1 ;;
    speed)
      for e in 12 36; do
        for w in 1 2; do run "speed-w$w-e$e" --episodes "$e" --warmup 8 --workers "$w"; done
      done ;;
    quality)
      e="${QUALITY_EPISODES:-48}" w="${QUALITY_WARMUP:-16}" tag=""
      [ "$e" = 48 ] || tag="-e$e"
      for seed in ${SEEDS:-1 2}; do
        for k in 1 4; do run "quality$tag-k$k-seed$seed" --episodes "$e" --warmup "$w" --seed "$seed" --rollouts-per-round "$k"; done
      done ;;
    user)
      e="${USER_EPISODES:-100}"
      for rep in 1 2; do
        # Without workers the search scores in process with the default threads (both cores).
        # The README's commands as they are (baselines, top-5 confirmation), plus the episodes.
        common=(--checkpoint "$root/bench/models/resnet20-fmnist.amc" --data fashion-mnist-subset --json)
        run "user-serial-e$e-r$rep" --episodes "$e" --warmup $((e / 4))
        run "user-w2-e$e-r$rep" --episodes "$e" --warmup $((e / 4)) --workers 2
      done ;;
    *) echo "unknown part $part (overhead, speed, quality or user)" >&2; exit 2 ;;
  esac
done
