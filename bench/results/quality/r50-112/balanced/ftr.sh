#!/usr/bin/env bash
export AMC_CLI=/tmp/amc-cli28/Amc.Cli.dll FT_IMAGES=1000
export PRUNE_ARGS="--data /tmp/fm224 --heldout 1000 --calibration-images 500 --bn-images 100"
export FT_ARGS="--data /tmp/fm224 --heldout 1000 --bn-images 100 --no-augment"
for s in "$@"; do
  while [ ! -f /tmp/r50b/random$s/results.json ]; do sleep 10; done
  bash /tmp/b3/bench/quality-finetune.sh /tmp/r50/r50.amc /tmp/r50b/random$s best $s /tmp/r50b/ft/random /tmp/r50b/ddpg$s >> /tmp/r50b/ft.out 2>&1
done
