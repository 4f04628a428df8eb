#!/usr/bin/env bash
# The same short fine-tune for the best and the uniform policy of a sparsity search
# (bench/sparsity-search.sh), as bench/quality-finetune.sh does for channel policies: prune to the
# policy (magnitude masks, BN re-estimated on 250 images), fine-tune one epoch on 5000 training
# images (the masks are re-applied after every step), export the sparse ONNX file, keep the JSON.
#   bench/sparsity-finetune.sh CHECKPOINT SEARCH-FOLDER best|uniform SEED OUT-FOLDER
set -euo pipefail
ck=$1 search=$2 name=$3 seed=$4 out=$5
amc=(${AMC:-$(dirname "$0")/../amc})
mkdir -p "$out"
tag="$(basename "$search")-$name"
policy="$out/$tag-policy.json"
if [ "$name" = best ]; then
    cp "$search/best-policy.json" "$policy"
else
    python3 - "$search/results.json" "$search/best-policy.json" "$name" "$policy" <<'PY'
import json, sys
results, named, name, out = sys.argv[1:]
row = next(r for r in json.load(open(results))["results"] if r["name"] == name)
policy = json.load(open(named))
for layer, kept in zip(policy["layers"], row["channels"]):
    layer["kept"], layer["sparsity"] = kept, round(1 - kept / layer["of"], 6)
json.dump(policy, open(out, "w"), indent=2)
PY
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"${amc[@]}" prune --checkpoint "$ck" --data fashion-mnist --policy "$policy" --heldout 1000 --bn-images 250 --seed "$seed" --threads 1 \
    --out "$tmp/pruned.amc" --json > "$out/$tag-prune.json"
"${amc[@]}" finetune --checkpoint "$tmp/pruned.amc" --data fashion-mnist --epochs 1 --train-images 5000 --seed "$seed" --threads 1 \
    --out "$tmp/ft.amc" --json > "$out/$tag-finetune.json"
"${amc[@]}" export --checkpoint "$tmp/ft.amc" --onnx "$tmp/ft.onnx" --sparse --json > "$out/$tag-export.json"
python3 - "$out/$tag-prune.json" "$out/$tag-finetune.json" "$out/$tag-export.json" <<'PY'
import json, sys
p, f, e = (json.load(open(x)) for x in sys.argv[1:])
orig, pruned = p["rows"]
print(f"{sys.argv[1]}: non-zero params {pruned['params']} ({100 * pruned['params'] / orig['params']:.1f} %), "
      f"test top-1 {100 * pruned['testTop1']:.2f} % before, {100 * f['testTop1']:.2f} % after fine-tuning (unpruned {100 * orig['testTop1']:.2f} %), "
      f"sparse ONNX {e['onnxBytes']} bytes (dense {orig['sparseOnnxBytes']})")
PY
