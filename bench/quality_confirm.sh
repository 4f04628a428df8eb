#!/usr/bin/env bash
# The winner's curse, measured after the fact: a search's best K distinct policies (by reward,
# earliest first among equals, as --confirm-top picks them) are pruned again and scored on a
# validation folder of images neither the checkpoint nor the search saw; the best there is
# chosen, and its test top-1 is reported beside the search's own choice.
#   bench/quality_confirm.sh CHECKPOINT SEARCH-FOLDER K VALIDATION-DATA SEED OUT-FOLDER [POLICY-NAMES-FOLDER]
# VALIDATION-DATA: a data folder whose train/ is the search's and whose test/ holds the validation
# images (e.g. bench/idx_to_folders.py ... 500 0 700, then train/ and test/ linked). PRUNE_ARGS:
# the search's pruning options besides --data (at 112 or 224: --heldout, --calibration-images,
# --bn-images). TEST_DATA: the search's data folder (its test/ is the real test set). AMC_CLI as
# in quality-finetune.sh. Each prune's JSON is kept; a policy already scored is not pruned again.
set -euo pipefail
ck=$1 search=$2 k=$3 val=$4 seed=$5 out=$6 names=${7:-$2}
cli=${AMC_CLI:-src/Amc.Cli/bin/Release/net10.0/Amc.Cli.dll}
mkdir -p "$out"
python3 - "$search/episodes.jsonl" "$names/best-policy.json" "$k" "$out" <<'PY'
import json, sys
log, named, k, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
episodes = [json.loads(l) for l in open(log)]
episodes = [e for e in episodes if e.get("nonFiniteImages", 0) == 0]
episodes.sort(key=lambda e: (-e["reward"], e["episode"]))
seen, top = set(), []
for e in episodes:
    key = tuple(e["channels"])
    if key in seen: continue
    seen.add(key); top.append(e)
    if len(top) == k: break
template = json.load(open(named))
for rank, e in enumerate(top, 1):
    policy = json.loads(json.dumps(template))
    for g, c in zip(policy["groups"], e["channels"]):
        g["channels"], g["keep"] = c, round(c / g["of"], 4)
    json.dump(policy, open(f"{out}/top{rank}-policy.json", "w"), indent=2)
    print(f"top{rank}: episode {e['episode']}, held-out {100 * e['top1']:.2f} %")
PY
score() { # POLICY DATA OUT-JSON
    [ -s "$3" ] || dotnet "$cli" prune --checkpoint "$ck" --policy "$1" --data "$2" --reconstruct --seed "$seed" --threads 1 \
        ${PRUNE_ARGS:-} --out "$tmp/pruned.amc" --json > "$3"
    python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['rows'][1]['testTop1'])" "$3"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
best= bestVal=-1
for p in "$out"/top*-policy.json; do
    v=$(score "$p" "$val" "${p%-policy.json}-validation.json")
    echo "$(basename "$p"): validation top-1 $v"
    if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)" "$v" "$bestVal"; then best=$p bestVal=$v; fi
done
t=$(score "$best" "${TEST_DATA:?the search\'s data folder}" "${best%-policy.json}-test.json")
echo "$search: chosen $(basename "$best") (validation $bestVal), test top-1 $t"
