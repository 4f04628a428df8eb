#!/usr/bin/env bash
# PyTorch interop, both directions, against Debian's PyTorch (python3-torch, python3-torchvision).
#   bench/PyTorchInterop/run.sh CHECKPOINT.amc
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
dotnet build "$root/bench/PyTorchInterop" -c Release -nologo -v q >/dev/null
bin="$root/bench/PyTorchInterop/bin/Release/net10.0/PyTorchInterop.dll"
echo "## torchvision state dicts -> amc zoo models"
/usr/bin/python3 "$root/bench/PyTorchInterop/make_weights.py" "$work" >/dev/null
dotnet "$bin" "$work"
echo "## amc export --safetensors -> PyTorch ($1)"
"$root/amc" export --checkpoint "$1" --safetensors "$work/exported.safetensors" >/dev/null
dotnet "$bin" --amc "$1" "$work"
/usr/bin/python3 "$root/bench/PyTorchInterop/load_amc.py" "$work/exported.safetensors" "$work/input.json" > "$work/pytorch.json"
/usr/bin/python3 -c "import json,sys; a=json.load(open('$work/torchsharp.json')); b=json.load(open('$work/pytorch.json')); print(f'max |PyTorch - TorchSharp| = {max(abs(x-y) for x,y in zip(a,b)):.2e} over {len(a)} logits')"
rm -rf "$work"
