#!/usr/bin/env bash
# Runs one amc command under /usr/bin/time -v and appends a row to a results file:
# date, load average, exit code, peak RSS (MB), wall seconds, the command; its stderr tail goes to
# <results>.log. Used for docs/BENCHMARKS.md "Peak memory of every command at 224x224".
#   bench/Memory224/measure.sh bench/results/memory224/runs.tsv train --model resnet50 --data /tmp/mem224 ...
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$1"; shift
# AMC_DLL: a copy of the build, so rebuilding the checkout cannot change a measurement under way.
dll="${AMC_DLL:-$root/src/Amc.Cli/bin/Release/net10.0/Amc.Cli.dll}"
tmp="$(mktemp)"
load="$(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -v dotnet "$dll" "$@" >"$tmp.out" 2>"$tmp"
rc=$?
rss_kb="$(grep 'Maximum resident set size' "$tmp" | awk '{print $NF}')"
wall="$(grep 'Elapsed (wall clock)' "$tmp" | awk '{print $NF}')"
[ -f "$out" ] || printf 'date\tload\texit\tpeak_rss_mb\twall\tcommand\n' >"$out"
printf '%s\t%s\t%s\t%s\t%s\tamc %s\n' "$(date -u +%FT%TZ)" "$load" "$rc" "$((rss_kb / 1024))" "$wall" "$*" >>"$out"
{ echo "== amc $*"; grep -v -E '^\s+(Command being timed|User time|System time|Percent|Average|Major|Minor|Voluntary|Involuntary|Swaps|File system|Socket|Signals|Page size|Exit status|Maximum resident|Elapsed)' "$tmp" | tail -n 8; tail -n 3 "$tmp.out"; } >>"${out%.tsv}.log"
rm -f "$tmp" "$tmp.out"
tail -n 1 "$out"
