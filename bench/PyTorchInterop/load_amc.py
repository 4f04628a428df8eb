"""Loads a network exported by `amc export --safetensors x.safetensors` into PyTorch and runs it.

The safetensors file is read with the standard library and torch (the format is an 8-byte header
length, a JSON header and raw little-endian data), the architecture from x.json beside it; the
layers are rebuilt as torch.nn modules with the exported (pruned) widths and loaded with
load_state_dict(strict=True). Prints the logits of a fixed input as JSON.

usage: /usr/bin/python3 load_amc.py x.safetensors input.json
"""
import json
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32"
        a, b = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(info["shape"])
    return out


class AmcNet(nn.Module):
    def __init__(self, arch):
        super().__init__()
        self.layers = arch["layers"]
        self.mods = nn.ModuleDict()
        channels = {"input": arch["input"]["c"]}
        for l in self.layers:
            c = channels[l["inputs"][0]]
            kind, key = l["kind"], l["name"].replace(".", "_")
            if kind == "Conv2d":
                self.mods[key] = nn.Conv2d(c, l["out"], l["kernel"], l.get("stride", 1), l.get("padding", 0),
                                           l.get("dilation", 1), l.get("groups", 1), l.get("bias", False))
                c = l["out"]
            elif kind == "BatchNorm2d":
                self.mods[key] = nn.BatchNorm2d(c)
            elif kind == "Linear":
                self.mods[key] = nn.Linear(c or 1, l["out"], l.get("bias", True))  # in_features fixed from the weights below
                c = l["out"]
            elif kind == "Flatten":
                c = None  # set from the runtime shape below
            elif kind == "Concat":
                c = sum(channels[i] for i in l["inputs"])
            channels[l["name"]] = c

    def forward(self, x):
        v = {"input": x}
        for l in self.layers:
            kind, a = l["kind"], v[l["inputs"][0]]
            key = l["name"].replace(".", "_")
            if kind in ("Conv2d", "BatchNorm2d", "Linear"):
                y = self.mods[key](a)
            elif kind == "ReLU":
                y = F.relu(a)
            elif kind == "ReLU6":
                y = F.relu6(a)
            elif kind == "MaxPool":
                y = F.max_pool2d(a, l["kernel"], l.get("stride", 1), l.get("padding", 0))
            elif kind == "AvgPool":
                y = F.avg_pool2d(a, l["kernel"], l.get("stride", 1), l.get("padding", 0))
            elif kind == "GlobalAvgPool":
                y = a.mean((2, 3), keepdim=True)
            elif kind == "Flatten":
                y = a.flatten(1)
            elif kind == "Add":
                y = sum(v[i] for i in l["inputs"])
            elif kind == "Concat":
                y = torch.cat([v[i] for i in l["inputs"]], 1)
            elif kind == "Dropout":
                y = a
            else:
                raise ValueError(kind)
            v[l["name"]] = y
        return v[self.layers[-1]["name"]]


def fix_linear_inputs(net, state):
    # A Linear after Flatten reads C*H*W features; take the width from the weights.
    for l in net.layers:
        if l["kind"] == "Linear":
            w = state[l["name"] + ".weight"]
            net.mods[l["name"].replace(".", "_")] = nn.Linear(w.shape[1], w.shape[0], l.get("bias", True))


st_path, input_path = sys.argv[1], sys.argv[2]
arch = json.load(open(st_path.rsplit(".", 1)[0] + ".json"))
state = read_safetensors(st_path)
net = AmcNet(arch)
fix_linear_inputs(net, state)
# Module keys: layer names with '.' replaced by '_' inside the ModuleDict.
mapped = {}
for k, t in state.items():
    layer, param = k.rsplit(".", 1)
    mapped["mods." + layer.replace(".", "_") + "." + param] = t
missing, unexpected = net.load_state_dict(mapped, strict=False)
missing = [m for m in missing if not m.endswith("num_batches_tracked")]
assert not missing and not unexpected, (missing, unexpected)
net.eval()
inp = json.load(open(input_path))
x = torch.tensor(inp["data"], dtype=torch.float32).reshape(inp["shape"])
with torch.no_grad():
    print(json.dumps(net(x).flatten().tolist()))
