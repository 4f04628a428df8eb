#!/usr/bin/env bash
for job in "random 2" "random 3"; do echo $job; done | xargs -P 2 -L 1 bash -c '
agent=$0 s=$1; extra=(); [ "$agent" = random ] && extra=(--agent random --no-baselines)
/usr/bin/time -v -o /tmp/r50l/$agent$s.time dotnet /tmp/amc-cli28/Amc.Cli.dll search --checkpoint /tmp/r50/r50.amc --data /tmp/fm224 --target-macs 0.25 \
  --episodes 600 --warmup 100 --heldout 1000 --calibration-images 500 --bn-images 100 --threads 1 --seed $s --balanced-random "${extra[@]}" \
  --out /tmp/r50l/$agent$s > /tmp/r50l/$agent$s.log 2> /tmp/r50l/$agent$s.err'
