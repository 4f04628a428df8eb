#!/usr/bin/env bash
# The README's three-machine search, on one Linux host: three network namespaces stand in for the
# machines, each with its own network stack and address on a bridge, and its own /data (a mount
# namespace binds a private folder there), so nothing reaches another "machine" except over the
# network. For docs/BENCHMARKS.md, "Scoring on Orleans workers across network namespaces".
#   A  10.0.0.5  Redis (with a password) and the coordinator (amc search --cluster)
#   B  10.0.0.6  amc worker
#   C  10.0.0.7  amc worker
# Runs, with the README's commands (fewer episodes):
#   reference  the same search in one process (--rollouts-per-round 2, no cluster)
#   cluster    A's search on the workers of B and C, both started before it (Redis clustering)
#   fault      the same with C's worker killed (kill -9) after KILL_AFTER episodes
# and compares each run's episodes.jsonl with the reference's, timings left out.
# Needs root (ip netns, mount) and redis-server; shares the CPU, so it shows correctness, not speed.
#   bench/cluster-netns.sh            (EPISODES, WARMUP, KILL_AFTER override 30, 10, 12)
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "bench/cluster-netns.sh: needs root (network and mount namespaces)" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "bench/cluster-netns.sh: needs redis-server (apt-get install redis-server)" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/bench/results/cluster-netns"
episodes="${EPISODES:-30}" warmup="${WARMUP:-10}" kill_after="${KILL_AFTER:-12}"
work="$(mktemp -d /tmp/amc-netns.XXXXXX)"
dotnet build "$root/src/Amc.Cli" -c Release -v q >/dev/null
cli="$work/cli"; cp -r "$root/src/Amc.Cli/bin/Release/net10.0" "$cli"
amc=(dotnet "$cli/Amc.Cli.dll")
declare -A ip=([a]=10.0.0.5 [b]=10.0.0.6 [c]=10.0.0.7)
secret="netns-cluster-secret-$RANDOM$RANDOM"
redis_password="netns-redis-$RANDOM$RANDOM"

cleanup() {
  for m in a b c; do ip netns pids "amc-$m" 2>/dev/null | xargs -r kill -9 2>/dev/null || true; ip netns del "amc-$m" 2>/dev/null || true; done
  ip link del br-amc 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip link add br-amc type bridge && ip link set br-amc up
mkdir -p /data   # the mount point the README's commands use; each machine binds its own folder on it
for m in a b c; do
  ip netns add "amc-$m"
  ip link add "veth-$m" type veth peer name eth0 netns "amc-$m"
  ip link set "veth-$m" master br-amc up
  ip -n "amc-$m" addr add "${ip[$m]}/24" dev eth0
  ip -n "amc-$m" link set eth0 up
  ip -n "amc-$m" link set lo up
  # Each machine's own copy of what the README says every machine needs at the same paths.
  mkdir -p "$work/$m/data/fmnist"
  cp "$root/bench/models/resnet20-fmnist.amc" "$work/$m/data/base.amc"
  cp "$root"/data/fashion-mnist-subset/*.gz "$work/$m/data/fmnist/"
  cat > "$work/$m/data/cluster.json" <<EOF
{ "clustering": "redis", "redis": "${ip[a]}:6379,password=$redis_password", "coordinator": "${ip[a]}:11111", "clusterId": "amc", "secret": "$secret" }
EOF
  chmod 600 "$work/$m/data/cluster.json"
done
on() { # machine, command...: runs the command on that machine, with its own /data
  local m="$1"; shift
  ip netns exec "amc-$m" unshare -m -- sh -c 'mount --bind "$0" /data && cd /data && exec "$@"' "$work/$m/data" "$@"
}

on a redis-server --port 6379 --bind "${ip[a]}" --requirepass "$redis_password" --save '' --appendonly no --daemonize yes --dir /tmp

search=(search --checkpoint /data/base.amc --data /data/fmnist --episodes "$episodes" --warmup "$warmup" --seed 1 --threads 1 --json)
rm -rf "$out"; mkdir -p "$out"
start_worker() { # machine, log tag; the cleanup trap stops it with everything else in its namespace
  on "$1" "${amc[@]}" worker --cluster cluster.json --serve /data --address "${ip[$1]}" --threads 1 > "$out/worker-$1-$2.log" 2>&1 &
}
timed() { # name, machine, args...
  local name="$1" m="$2"; shift 2
  local t0=$(date +%s.%N)
  on "$m" /usr/bin/time -v "${amc[@]}" "$@" --out "/data/runs/$name" > "$out/$name.json" 2> "$out/$name.log"
  echo "$name: $(echo "$(date +%s.%N) - $t0" | bc) s, peak RSS $(grep 'Maximum resident' "$out/$name.log" | awk '{print $6}') KB" | tee -a "$out/runs.txt"
  cp "$work/$m/data/runs/$name/episodes.jsonl" "$out/$name.episodes.jsonl"
}

# The reference: in one process, rounds of 2 as the cluster will run them.
timed reference a "${search[@]}" --rollouts-per-round 2

# The cluster: workers on B and C first (they wait for searches), then A's search.
start_worker b cluster; start_worker c cluster
sleep 5
timed cluster a "${search[@]}" --cluster cluster.json --rollouts-per-round 2

# A worker machine lost mid-search: C's worker killed after KILL_AFTER episodes; B finishes.
( log="$work/a/data/runs/fault/episodes.jsonl"
  while [ "$( { [ -f "$log" ] && wc -l < "$log"; } || echo 0)" -lt "$kill_after" ]; do sleep 0.2; done
  ip netns pids amc-c | xargs -r kill -9
  echo "killed machine C's worker after $kill_after episodes at $(date -u +%H:%M:%S)" | tee -a "$out/runs.txt" ) &
killer=$!
timed fault a "${search[@]}" --cluster cluster.json --rollouts-per-round 2
wait "$killer"

same() { # a b: episodes.jsonl equal without their timings?
  python3 - "$1" "$2" <<'EOF'
import json, sys
def rows(p):
    out = []
    for line in open(p):
        r = json.loads(line)
        for k in ("seconds", "times", "agentSeconds"): r.pop(k, None)
        out.append(r)
    return out
a, b = rows(sys.argv[1]), rows(sys.argv[2])
print("identical" if a == b else f"DIFFERENT ({len(a)} vs {len(b)} episodes)")
EOF
}
for run in cluster fault; do
  echo "$run vs reference, episodes.jsonl without timings: $(same "$out/reference.episodes.jsonl" "$out/$run.episodes.jsonl")" | tee -a "$out/runs.txt"
done
rm -rf "$work"
