#!/usr/bin/env bash
# The same short fine-tune for every policy of docs/BENCHMARKS.md "Result quality (issue 12)":
# prune the checkpoint to a policy of a search (its winner or one of its baselines), with the
# search's pruning settings (L1, least squares, BN re-estimated, round 8), then fine-tune one
# epoch on 5000 training images, and keep both JSON results.
#   bench/quality-finetune.sh CHECKPOINT SEARCH-FOLDER best|uniform|deep|shallow SEED OUT-FOLDER [POLICY-NAMES-FOLDER]
# POLICY-NAMES-FOLDER: a search folder whose best-policy.json gives the group names (default:
# SEARCH-FOLDER; a search run with --no-baselines has no baselines, a random search no others).
# AMC_CLI: the built CLI (default src/Amc.Cli/bin/Release/net10.0/Amc.Cli.dll).
# PRUNE_ARGS, FT_ARGS: more options for prune and finetune (at 224x224: the search's --data,
# --heldout, --calibration-images and --bn-images); FT_IMAGES: the fine-tune's images (5000).
set -euo pipefail
ck=$1 search=$2 name=$3 seed=$4 out=$5 names=${6:-$2}
cli=${AMC_CLI:-src/Amc.Cli/bin/Release/net10.0/Amc.Cli.dll}
mkdir -p "$out"
tag="$name-s$seed"
policy="$out/$tag-policy.json"
# A fine-tune already done is kept, so a folder can be extended with more seeds.
[ -s "$out/$tag-finetune.json" ] && exit 0
if [ "$name" = best ]; then
    cp "$search/best-policy.json" "$policy"
else
    python3 - "$search/results.json" "$names/best-policy.json" "$name" "$policy" <<'PY'
import json, sys
results, named, name, out = sys.argv[1:]
row = next(r for r in json.load(open(results))["results"] if r["name"] == name)
policy = json.load(open(named))
for g, c in zip(policy["groups"], row["channels"]):
    g["channels"], g["keep"] = c, round(c / g["of"], 4)
json.dump(policy, open(out, "w"), indent=2)
PY
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dotnet "$cli" prune --checkpoint "$ck" --policy "$policy" --reconstruct --seed "$seed" --threads 1 ${PRUNE_ARGS:-} \
    --out "$tmp/pruned.amc" --json > "$out/$tag-prune.json"
dotnet "$cli" finetune --checkpoint "$tmp/pruned.amc" --epochs 1 --train-images "${FT_IMAGES:-5000}" --seed "$seed" --threads 1 ${FT_ARGS:-} \
    --out "$tmp/ft.amc" --json > "$out/$tag-finetune.json"
python3 - "$out/$tag-prune.json" "$out/$tag-finetune.json" <<'PY'
import json, sys
p, f = (json.load(open(x)) for x in sys.argv[1:])
pruned = p["rows"][1]
print(f"{sys.argv[1]}: MACs {pruned['macs']}, test top-1 {100 * pruned['testTop1']:.2f} % before, {100 * f['testTop1']:.2f} % after fine-tuning")
PY
