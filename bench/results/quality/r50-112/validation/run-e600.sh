#!/usr/bin/env bash
# top-5 of each 600-episode balanced search re-scored on 5000 validation images (Fashion-MNIST train images 700-1199 of each class)
export AMC_CLI=/tmp/amc-cli29/Amc.Cli.dll PRUNE_ARGS="--heldout 1000 --calibration-images 500 --bn-images 100" TEST_DATA=/tmp/fm224
B=/work/main/bench/results/quality/r50-112/ft/base
for s in 1 2 3; do
  for agent in ddpg random; do
    bash /tmp/b3/bench/quality_confirm.sh /tmp/r50/r50.amc /tmp/r50l/$agent$s 5 /tmp/fm224v $s /tmp/r50c/e600-$agent$s /tmp/r50l/ddpg$s
  done
  mkdir -p /tmp/r50c/uniform
  f=/tmp/r50c/uniform/uniform-s$s-validation.json
  [ -s $f ] || dotnet $AMC_CLI prune --checkpoint /tmp/r50/r50.amc --policy $B/uniform-s$s-policy.json --data /tmp/fm224v --reconstruct --seed $s --threads 1 $PRUNE_ARGS --out /tmp/r50c/uniform/p.amc --json > $f
  echo "uniform seed $s validation $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['rows'][1]['testTop1'])" $f)"
done
