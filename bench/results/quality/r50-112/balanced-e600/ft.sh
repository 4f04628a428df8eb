#!/usr/bin/env bash
# fine-tune the 600-episode balanced winners (AMC and random search), seeds 1-3
export AMC_CLI=/tmp/amc-cli28/Amc.Cli.dll FT_IMAGES=1000
export PRUNE_ARGS="--data /tmp/fm224 --heldout 1000 --calibration-images 500 --bn-images 100"
export FT_ARGS="--data /tmp/fm224 --heldout 1000 --bn-images 100 --no-augment"
for agent in "$@"; do for s in 1 2 3; do
  while [ ! -f /tmp/r50l/$agent$s/results.json ]; do sleep 10; done
  bash /tmp/b3/bench/quality-finetune.sh /tmp/r50/r50.amc /tmp/r50l/$agent$s best $s /tmp/r50l/ft/$agent /tmp/r50l/ddpg$s >> /tmp/r50l/ft.out 2>&1
done; done
