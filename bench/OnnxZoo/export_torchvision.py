#!/usr/bin/python3
"""Exports torchvision classification architectures (random, seeded weights) to ONNX as PyTorch
writes them, the fixtures of the ONNX import benchmark (bench/OnnxZoo). Needs torch, torchvision
and onnx (Debian: python3-torch python3-torchvision python3-onnx); run with the system python:

    /usr/bin/python3 bench/OnnxZoo/export_torchvision.py /tmp/onnx-zoo [model ...]

For each model and opset it writes <model>-opset<N>.onnx, and per model <model>.json holding the
published MACs (torchvision's model docs list them as GFLOPS; they count multiply-accumulates),
the input shape, and PyTorch's logits for the fixed input saved as <model>.input.bin (float32,
little-endian, [1, C, H, W])."""
import json
import os
import sys

import numpy as np
import torch
import torchvision

OPSETS = [11, 13, 17]

# torchvision's documented GFLOPS (= GMACs) per architecture, and the input size it is measured at.
PUBLISHED_GMACS = {
    "resnet18": 1.81, "resnet50": 4.09, "wide_resnet50_2": 11.40, "resnext50_32x4d": 4.23,
    "mobilenet_v2": 0.30, "mobilenet_v3_small": 0.06, "mobilenet_v3_large": 0.22,
    "efficientnet_b0": 0.39, "mnasnet1_0": 0.31, "regnet_y_400mf": 0.40, "densenet121": 2.83,
    "googlenet": 1.50, "inception_v3": 5.71, "squeezenet1_1": 0.35, "vgg11_bn": 7.61,
    "alexnet": 0.71, "shufflenet_v2_x1_0": 0.14, "convnext_tiny": 4.46,
}


def build(name):
    torch.manual_seed(0)
    kwargs = {"weights": None}
    if name in ("googlenet", "inception_v3"):
        kwargs.update(aux_logits=False, init_weights=True)
    model = getattr(torchvision.models, name)(**kwargs).eval()
    # Untrained BNs hold mean 0 / var 1, which would hide a wrong statistic: give them seeded values.
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
    return model


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/onnx-zoo"
    names = sys.argv[2:] or list(PUBLISHED_GMACS)
    os.makedirs(out, exist_ok=True)
    for name in names:
        model = build(name)
        size = 299 if name == "inception_v3" else 224
        x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            logits = model(x)
        x.numpy().astype("<f4").tofile(os.path.join(out, f"{name}.input.bin"))
        sidecar = {
            "model": name, "input": [3, size, size], "published_macs": round(PUBLISHED_GMACS[name] * 1e9),
            "torch": torch.__version__, "torchvision": torchvision.__version__,
            "logits": [float(v) for v in logits[0]],
        }
        with open(os.path.join(out, f"{name}.json"), "w") as f:
            json.dump(sidecar, f)
        for opset in OPSETS:
            path = os.path.join(out, f"{name}-opset{opset}.onnx")
            try:
                torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"],
                                  output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
                print(f"{name} opset {opset}: ok", flush=True)
            except Exception as e:  # an architecture this torch cannot export at this opset
                print(f"{name} opset {opset}: export failed: {e}", flush=True)


if __name__ == "__main__":
    main()
