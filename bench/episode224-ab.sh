#!/usr/bin/env bash
# Episode224's episodes, two builds interleaved (A B A B): e.g. main before and after a change to
# the scoring path. Each build is a checkout whose bench/Episode224 was built with -c Release.
#   bench/episode224-ab.sh <checkout A> <checkout B> <fixture dir> <model> [reps=2] [out dir]
set -euo pipefail
a=$1 b=$2 dir=$3 model=$4 reps=${5:-2} out=${6:-bench/results/episode224}
mkdir -p "$out"
for r in $(seq 1 "$reps"); do
  for side in A B; do
    root=$a; [ "$side" = B ] && root=$b
    echo "== $model rep $r build $side ($root) $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
    /usr/bin/time -v dotnet "$root/bench/Episode224/bin/Release/net10.0/Episode224.dll" episodes "$dir" "$model" --policies 2 \
      2> >(grep -E "Maximum resident|Elapsed" >&2)
  done
done 2>&1 | tee "$out/ab-$model.txt"
