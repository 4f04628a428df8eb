#!/usr/bin/env bash
# issue 12: ResNet-20 at 25 % MACs with channels rounded to multiples of 4 instead of 8
cd /work/main
out=bench/results/quality/r4
for s in "$@"; do
  for a in ddpg random; do
    extra=(); [ $a = random ] && extra=(--agent random --no-baselines)
    ./amc search --checkpoint bench/models/resnet20-fmnist.amc --data fashion-mnist --target-macs 0.25 --episodes 300 \
      --heldout 1000 --seed $s --threads 1 --round 4 "${extra[@]}" --json --out $out/r20-m25-r4-$a-s$s > $out/r20-m25-r4-$a-s$s.json 2> $out/r20-m25-r4-$a-s$s.log
    rm -f $out/r20-m25-r4-$a-s$s/.lock
    echo "$a s$s done $(date -u +%H:%M:%S)" >> $out/runs.txt
  done
done
