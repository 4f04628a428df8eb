#!/usr/bin/env bash
cd /work/main
export AMC_CLI=/tmp/amc-cli25/Amc.Cli.dll FT_IMAGES=6000
export PRUNE_ARGS="--data /tmp/fm224 --heldout 1000 --calibration-images 500 --bn-images 100"
export FT_ARGS="--data /tmp/fm224 --heldout 1000 --bn-images 100 --no-augment"
out=/tmp/v1h/ft6000
for s in 1 2 3; do
  echo "/tmp/v1h/ddpg$s best $s $out/ddpg"
  for b in uniform shallow; do echo "/tmp/v1h/ddpg$s $b $s $out/base"; done
done | xargs -P 2 -L 1 bash -c '/usr/bin/time -v -o "/tmp/v1h/ft6000/$2-s$3.time" bash bench/quality-finetune.sh /tmp/v1/mnv1.amc "$1" "$2" "$3" "$4" >> /tmp/v1h/ft6000/ft.out 2>&1' _
