#!/usr/bin/env bash
# Issue 12 (docs/BENCHMARKS.md, "ResNet-20 at 25 % MACs with channels rounded to multiples of 4"):
# the AMC search and random search at equal episodes for each seed given, channels rounded to 4.
#   bench/quality-round4.sh SEED...   e.g. bench/quality-round4.sh 1 3 & bench/quality-round4.sh 2
# Its runs are named r20-m25-r4-<ddpg|random>-s<SEED> in bench/results/quality/r4.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/bench/results/quality/r4"
PREFIX=r20 "$root/bench/quality-searches.sh" resnet20 4 "$out" "$@"
