#!/usr/bin/env bash
# ResNet-50-0.25 at 112, 25 % MACs, 1200 episodes (100 warm-up), balanced random actions, seeds 1-3
for job in "ddpg 1" "ddpg 2" "ddpg 3" "random 1" "random 2" "random 3"; do echo $job; done | xargs -P 2 -L 1 bash -c '
agent=$0 s=$1; extra=(); [ "$agent" = random ] && extra=(--agent random --no-baselines)
/usr/bin/time -v -o /tmp/r50x/$agent$s.time dotnet /tmp/amc-cli29/Amc.Cli.dll search --checkpoint /tmp/r50/r50.amc --data /tmp/fm224 --target-macs 0.25 \
  --episodes 1200 --warmup 100 --heldout 1000 --calibration-images 500 --bn-images 100 --threads 1 --seed $s --balanced-random "${extra[@]}" \
  --out /tmp/r50x/$agent$s > /tmp/r50x/$agent$s.log 2> /tmp/r50x/$agent$s.err'
