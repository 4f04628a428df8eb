#!/usr/bin/env bash
export AMC_CLI=/tmp/amc-cli28/Amc.Cli.dll FT_IMAGES=1000
export PRUNE_ARGS="--data /tmp/fm224 --heldout 1000 --calibration-images 500 --bn-images 100"
export FT_ARGS="--data /tmp/fm224 --heldout 1000 --bn-images 100 --no-augment"
for s in 1 2 3; do echo "/tmp/r50b/ddpg$s best $s /tmp/r50b/ft/ddpg"; done | xargs -P 2 -L 1 bash -c 'bash /tmp/b3/bench/quality-finetune.sh /tmp/r50/r50.amc "$0" "$1" "$2" "$3" >> /tmp/r50b/ft.out 2>&1'
