#!/usr/bin/env bash
# top-5 of each 1200-episode balanced search re-scored on the 5000 validation images, as each search finishes
export AMC_CLI=/tmp/amc-cli29/Amc.Cli.dll PRUNE_ARGS="--heldout 1000 --calibration-images 500 --bn-images 100" TEST_DATA=/tmp/fm224
for job in "$@"; do
  agent=${job%?} s=${job: -1}
  while [ ! -f /tmp/r50x/$agent$s/results.json ]; do sleep 20; done
  bash /tmp/b3/bench/quality_confirm.sh /tmp/r50/r50.amc /tmp/r50x/$agent$s 5 /tmp/fm224v $s /tmp/r50c/e1200-$agent$s /tmp/r50l/ddpg$s
done
